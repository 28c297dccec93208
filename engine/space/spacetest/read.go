package spacetest

import (
	"bytes"
	"errors"
	"io"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space"
)

// testReadAt checks the io.ReaderAt contract at the edges of a blob: a short read returns
// io.EOF itself (never wrapped), and a read that ends exactly at the end may return io.EOF
// or nil.
func testReadAt(t *testing.T, s space.Space) {
	data := blobData(20, 1000)
	put(t, s, "blob", data)
	r, err := s.Open(t.Context(), "blob")
	require.NoError(t, err)
	defer r.Close()

	for _, tc := range []struct {
		name   string
		off    int64
		len    int
		wantN  int
		mayEOF bool // n == len, yet io.EOF is allowed because the read ends at the end
	}{
		{"start", 0, 10, 10, false},
		{"middle", 500, 100, 100, false},
		{"whole", 0, 1000, 1000, true},
		{"tail", 990, 10, 10, true},
		{"across end", 995, 10, 5, false},
		{"larger than blob", 0, 4000, 1000, false},
		{"at end", 1000, 1, 0, false},
		{"past end", 5000, 10, 0, false},
		{"empty buffer", 10, 0, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := make([]byte, tc.len)
			gotN, err := r.ReadAt(p, tc.off)
			require.Equal(t, tc.wantN, gotN)
			end := min(tc.off+int64(gotN), int64(len(data)))
			require.Equal(t, data[min(tc.off, end):end], p[:gotN])
			switch {
			case gotN < tc.len:
				require.Equal(t, io.EOF, err, "a short read must return io.EOF itself")
			case tc.mayEOF && err == io.EOF:
			default:
				require.NoError(t, err)
			}
		})
	}
	t.Run("negative offset", func(t *testing.T) {
		n, err := r.ReadAt(make([]byte, 10), -1)
		require.Zero(t, n)
		require.Error(t, err)
	})
}

// testReadAtManyOffsets reads a blob in windows of several sizes at every offset step, which
// catches off-by-one errors in implementations that cache or split ranges.
func testReadAtManyOffsets(t *testing.T, s space.Space) {
	data := blobData(21, 10_000)
	put(t, s, "blob", data)
	r, err := s.Open(t.Context(), "blob")
	require.NoError(t, err)
	defer r.Close()

	for _, window := range []int{1, 63, 4096} {
		p := make([]byte, window)
		for off := 0; off <= len(data)+window; off += 997 {
			gotN, err := r.ReadAt(p, int64(off))
			wantN := max(0, min(window, len(data)-off))
			require.Equal(t, wantN, gotN, "window %d at %d", window, off)
			if wantN > 0 {
				require.Equal(t, data[off:off+wantN], p[:gotN], "window %d at %d", window, off)
			}
			if gotN < window {
				require.Equal(t, io.EOF, err, "window %d at %d", window, off)
			} else if err != io.EOF {
				require.NoError(t, err, "window %d at %d", window, off)
			}
		}
	}
}

// testReadAtConcurrent shares one reader between goroutines, as the engine does when it
// serves several ranges of one shard at once.
func testReadAtConcurrent(t *testing.T, s space.Space) {
	data := blobData(22, 1<<20)
	put(t, s, "blob", data)
	r, err := s.Open(t.Context(), "blob")
	require.NoError(t, err)
	defer r.Close()

	const goroutines, reads, window = 16, 32, 8 << 10
	errs := make(chan error, goroutines*reads)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			p := make([]byte, window)
			for i := range reads {
				off := (g*reads + i) * 7919 % (len(data) - window)
				n, err := r.ReadAt(p, int64(off))
				switch {
				case err != nil && err != io.EOF:
					errs <- err
				case n != window || !bytes.Equal(p, data[off:off+window]):
					errs <- errors.New("spacetest: concurrent ReadAt returned wrong bytes")
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

// testReaderSnapshot checks a reader opened before its blob is replaced or deleted. The
// contract lets remote stores fail such reads with ErrNotExist, but never lets them return the
// new content or a mix.
func testReaderSnapshot(t *testing.T, s space.Space) {
	old := blobData(23, 3000)
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, name string)
	}{
		{"replaced", func(t *testing.T, name string) { put(t, s, name, blobData(24, 1000)) }},
		{"deleted", func(t *testing.T, name string) { require.NoError(t, s.Delete(t.Context(), name)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			put(t, s, tc.name, old)
			r, err := s.Open(t.Context(), tc.name)
			require.NoError(t, err)
			defer r.Close()
			tc.change(t, tc.name)

			require.Equal(t, int64(len(old)), r.Size())
			got := make([]byte, len(old))
			n, err := r.ReadAt(got, 0)
			if err != nil && !(err == io.EOF && n == len(got)) {
				require.ErrorIs(t, err, space.ErrNotExist)
				return
			}
			require.Equal(t, old, got)
		})
	}
}

func testStat(t *testing.T, s space.Space) {
	for _, tc := range []struct {
		name string
		size int
	}{
		{"blob", 1234},
		{"nested/deeper/blob", 1},
		{"empty", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			put(t, s, tc.name, blobData(25, tc.size))
			got, err := s.Stat(t.Context(), tc.name)
			require.NoError(t, err)
			require.Equal(t, tc.name, got.Name)
			require.Equal(t, int64(tc.size), got.Size)
			require.False(t, got.ModTime.IsZero(), "ModTime is zero")
		})
	}
}

// testMissing asks for names that hold no blob, including names that are directories of
// other blobs and names that pass through a blob as if it were a directory.
func testMissing(t *testing.T, s space.Space) {
	put(t, s, "a/b", blobData(26, 10))
	for _, name := range []string{"never", "a", "a/b/c", "a/bc", "b/a"} {
		t.Run(name, func(t *testing.T) { requireMissing(t, s, name) })
	}
}
