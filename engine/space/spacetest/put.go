package spacetest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space"
)

func testPutOpen(t *testing.T, s space.Space) {
	want := blobData(1, 1000)
	put(t, s, "dir/blob", want)

	r, err := s.Open(t.Context(), "dir/blob")
	require.NoError(t, err)
	require.Equal(t, int64(len(want)), r.Size())
	got := make([]byte, len(want))
	n, err := r.ReadAt(got, 0)
	require.Equal(t, len(want), n)
	if err != io.EOF {
		require.NoError(t, err)
	}
	require.Equal(t, want, got)
	require.NoError(t, r.Close())
}

// testPutSizes stores blobs with known and unknown sizes, including empty ones, from every
// shape of source.
func testPutSizes(t *testing.T, s space.Space) {
	for _, src := range sources {
		for _, tc := range []struct {
			name  string
			n     int
			known bool
		}{
			{"exact size", 3000, true},
			{"unknown size", 3000, false},
			{"empty exact size", 0, true},
			{"empty unknown size", 0, false},
		} {
			t.Run(src.name+"/"+tc.name, func(t *testing.T) {
				name := "sizes/" + src.name + "/" + tc.name
				want := blobData(2, tc.n)
				size := int64(-1)
				if tc.known {
					size = int64(tc.n)
				}
				require.NoError(t, s.Put(t.Context(), name, src.wrap(want), size))
				requireBlob(t, s, name, want)
			})
		}
	}
	t.Run("empty blob reads as EOF", func(t *testing.T) {
		put(t, s, "sizes/empty", nil)
		r, err := s.Open(t.Context(), "sizes/empty")
		require.NoError(t, err)
		defer r.Close()
		require.Zero(t, r.Size())
		n, err := r.ReadAt(make([]byte, 1), 0)
		require.Zero(t, n)
		require.Equal(t, io.EOF, err)
	})
}

// testPutLarge stores a blob larger than any plausible internal buffer, with an odd length.
func testPutLarge(t *testing.T, s space.Space) {
	want := blobData(3, 5<<20+17)
	for _, tc := range []struct {
		name string
		r    io.Reader
		size int64
	}{
		{"writerto exact size", bytes.NewReader(want), int64(len(want))},
		{"reader unknown size", readOnly{bytes.NewReader(want)}, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, s.Put(t.Context(), "large", tc.r, tc.size))
			requireBlob(t, s, "large", want)
		})
	}
}

func testPutReplace(t *testing.T, s space.Space) {
	put(t, s, "blob", blobData(4, 5000))
	want := blobData(5, 300)
	put(t, s, "blob", want)
	requireBlob(t, s, "blob", want)
	require.Equal(t, []string{"blob"}, listAll(t, s, ""))
}

// testPutSizeMismatch announces a size the source does not match: Put must fail with
// ErrSizeMismatch and leave the name as it was.
func testPutSizeMismatch(t *testing.T, s space.Space) {
	old := blobData(6, 50)
	for _, src := range sources {
		for _, tc := range []struct {
			name string
			n    int
			size int64
		}{
			{"too many bytes", 100, 99},
			{"too few bytes", 100, 101},
			{"empty announced as one byte", 0, 1},
			{"one byte announced as empty", 1, 0},
		} {
			for _, existing := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%s/existing=%t", src.name, tc.name, existing), func(t *testing.T) {
					name := fmt.Sprintf("mismatch/%s/%s/%t", src.name, tc.name, existing)
					if existing {
						put(t, s, name, old)
					}
					err := s.Put(t.Context(), name, src.wrap(blobData(7, tc.n)), tc.size)
					require.ErrorIs(t, err, space.ErrSizeMismatch)
					requireUnchanged(t, s, name, existing, old)
				})
			}
		}
	}
}

// requireUnchanged checks that a failed Put left name holding old, or nothing at all.
func requireUnchanged(t *testing.T, s space.Space, name string, existing bool, old []byte) {
	t.Helper()
	if existing {
		requireBlob(t, s, name, old)
		return
	}
	requireMissing(t, s, name)
	require.Empty(t, listAll(t, s, name))
}

// testPutReaderError feeds Put a source that fails part way: Put must fail with an error
// wrapping the source's error and leave the name as it was.
func testPutReaderError(t *testing.T, s space.Space) {
	old := blobData(8, 50)
	for _, tc := range []struct {
		name string
		r    func() io.Reader
		size int64
	}{
		{"reader unknown size", func() io.Reader { return &failingReader{blobData(9, 1000)} }, -1},
		{"reader exact size", func() io.Reader { return &failingReader{blobData(9, 1000)} }, 2000},
		{"writerto unknown size", func() io.Reader { return &failingWriterTo{failingReader{blobData(9, 1000)}} }, -1},
		{"writerto exact size", func() io.Reader { return &failingWriterTo{failingReader{blobData(9, 1000)}} }, 2000},
		{"fails at once", func() io.Reader { return &failingReader{} }, -1},
	} {
		for _, existing := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/existing=%t", tc.name, existing), func(t *testing.T) {
				name := fmt.Sprintf("failing/%s/%t", tc.name, existing)
				if existing {
					put(t, s, name, old)
				}
				err := s.Put(t.Context(), name, tc.r(), tc.size)
				require.ErrorIs(t, err, errSource)
				requireUnchanged(t, s, name, existing, old)
			})
		}
	}
}

// testPutCancelled cancels the context before Put and during it: Put must return an error
// wrapping context.Canceled and publish nothing.
func testPutCancelled(t *testing.T, s space.Space) {
	old := blobData(10, 50)
	data := blobData(11, 256<<10)
	for _, tc := range []struct {
		name string
		r    func(cancel func()) io.Reader
		size int64
	}{
		{"before put", func(cancel func()) io.Reader { cancel(); return bytes.NewReader(data) }, int64(len(data))},
		{"during put exact size", func(cancel func()) io.Reader { return &cancellingReader{data, cancel} }, int64(len(data))},
		{"during put unknown size", func(cancel func()) io.Reader { return &cancellingReader{data, cancel} }, -1},
	} {
		for _, existing := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/existing=%t", tc.name, existing), func(t *testing.T) {
				name := fmt.Sprintf("cancelled/%s/%t", tc.name, existing)
				if existing {
					put(t, s, name, old)
				}
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				err := s.Put(ctx, name, tc.r(cancel), tc.size)
				require.ErrorIs(t, err, context.Canceled)
				requireUnchanged(t, s, name, existing, old)
			})
		}
	}
}

// testPutInProgressInvisible looks at the space while a Put is blocked half way through its
// source: neither the new blob, a prefix of it, nor a temporary file may be visible, and a
// replaced blob must still read whole.
func testPutInProgressInvisible(t *testing.T, s space.Space) {
	old := blobData(12, 1000)
	put(t, s, "replaced", old)
	for _, name := range []string{"fresh", "replaced"} {
		t.Run(name, func(t *testing.T) {
			before := listAll(t, s, "")
			want := blobData(13, 100<<10)
			r := newBlockingReader(want)
			release := sync.OnceFunc(func() { close(r.release) })
			defer release() // never leave the Put blocked if the test fails early
			done := make(chan error, 1)
			go func() { done <- s.Put(t.Context(), name, r, int64(len(want))) }()
			select {
			case <-r.started:
			case err := <-done:
				require.FailNow(t, "Put returned before reading its source", "err: %v", err)
			}

			if name == "fresh" {
				requireMissing(t, s, name)
			} else {
				requireBlob(t, s, name, old)
			}
			require.Equal(t, before, listAll(t, s, ""))

			release()
			require.NoError(t, <-done)
			requireBlob(t, s, name, want)
		})
	}
}

// testPutReadsToEOFWithoutClosing pins two sentences of the Put contract: r is read until
// io.EOF, even when its size was announced, and it is not closed.
func testPutReadsToEOFWithoutClosing(t *testing.T, s space.Space) {
	want := blobData(14, 4000)
	for _, size := range []int64{-1, int64(len(want))} {
		t.Run(fmt.Sprintf("size=%d", size), func(t *testing.T) {
			r := &trackingReader{r: bytes.NewReader(want)}
			require.NoError(t, s.Put(t.Context(), "tracked", r, size))
			require.True(t, r.eof, "Put did not read to io.EOF")
			require.False(t, r.closed, "Put closed its source")
			requireBlob(t, s, "tracked", want)
		})
	}
}
