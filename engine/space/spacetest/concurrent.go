package spacetest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space"
)

// testConcurrentPuts stores distinct names from many goroutines at once, many of them in a
// directory that does not exist yet, which races implementations that create directories.
func testConcurrentPuts(t *testing.T, s space.Space) {
	const goroutines, perGoroutine = 8, 4
	errs := make(chan error, goroutines*perGoroutine)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range perGoroutine {
				name := fmt.Sprintf("shared/dir/%d-%d", g, i)
				data := blobData(uint64(g*perGoroutine+i), 16<<10+i)
				errs <- s.Put(t.Context(), name, bytes.NewReader(data), int64(len(data)))
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	var want []string
	for g := range goroutines {
		for i := range perGoroutine {
			name := fmt.Sprintf("shared/dir/%d-%d", g, i)
			requireBlob(t, s, name, blobData(uint64(g*perGoroutine+i), 16<<10+i))
			want = append(want, name)
		}
	}
	require.Equal(t, slices.Sorted(slices.Values(want)), listAll(t, s, ""))
}

// sameNameContent is writer w's content in testConcurrentPutsSameName: every byte is w and the
// length is unique to w, so a reader can tell whole content from a mix.
func sameNameContent(w int) []byte {
	return bytes.Repeat([]byte{byte(w)}, 32<<10+w*1001)
}

// testConcurrentPutsSameName lets writers race on one name while readers read it. Every read
// and the final content must be exactly one writer's content, never a mix or a prefix.
func testConcurrentPutsSameName(t *testing.T, s space.Space) {
	const writers, readers, reads = 8, 4, 16
	put(t, s, "contended", sameNameContent(0))

	errs := make(chan error, writers+readers*reads)
	var wg sync.WaitGroup
	for w := 1; w <= writers; w++ {
		wg.Go(func() {
			data := sameNameContent(w)
			errs <- s.Put(t.Context(), "contended", bytes.NewReader(data), int64(len(data)))
		})
	}
	for range readers {
		wg.Go(func() {
			for range reads {
				errs <- checkWhole(t, s, "contended", writers)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	got := readBlob(t, s, "contended")
	require.NotEmpty(t, got)
	require.NotZero(t, got[0], "no writer won")
	require.Equal(t, sameNameContent(int(got[0])), got)
}

// checkWhole reads name once and reports an error unless it holds exactly the content of one
// writer. It runs in goroutines, so it returns errors rather than failing the test.
func checkWhole(t *testing.T, s space.Space, name string, writers int) error {
	r, err := s.Open(t.Context(), name)
	if err != nil {
		return err
	}
	defer r.Close()
	got := make([]byte, r.Size())
	n, err := r.ReadAt(got, 0)
	switch {
	case errors.Is(err, space.ErrNotExist):
		return nil // a remote store may lose a replaced blob under an open reader
	case err != nil && !(err == io.EOF && n == len(got)):
		return err
	}
	if len(got) == 0 || int(got[0]) > writers || !bytes.Equal(got, sameNameContent(int(got[0]))) {
		return fmt.Errorf("spacetest: read %d bytes that are not one writer's whole content", len(got))
	}
	return nil
}
