package memspace_test

import (
	"bytes"
	"io"
	"io/fs"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space"
	"github.com/jointcloud/jcs/engine/space/memspace"
	"github.com/jointcloud/jcs/engine/space/spacetest"
)

func TestConformance(t *testing.T) {
	spacetest.Run(t, func(t *testing.T) space.Space { return memspace.New() })
}

// TestReaderSnapshot pins what the conformance suite leaves open for remote stores: a memspace
// reader always keeps the content it opened.
func TestReaderSnapshot(t *testing.T) {
	s := memspace.New()
	old := []byte("old content")
	require.NoError(t, s.Put(t.Context(), "blob", bytes.NewReader(old), int64(len(old))))
	r, err := s.Open(t.Context(), "blob")
	require.NoError(t, err)
	defer r.Close()

	require.NoError(t, s.Put(t.Context(), "blob", strings.NewReader("new"), 3))
	require.NoError(t, s.Delete(t.Context(), "blob"))

	got := make([]byte, len(old))
	n, err := r.ReadAt(got, 0)
	require.NoError(t, err)
	require.Equal(t, len(old), n)
	require.Equal(t, old, got)
}

// TestPutCopies checks that a blob does not alias the caller's buffer, which a source such as
// bytes.Reader would hand to Write directly.
func TestPutCopies(t *testing.T) {
	s := memspace.New()
	data := []byte("original")
	require.NoError(t, s.Put(t.Context(), "blob", bytes.NewReader(data), int64(len(data))))
	copy(data, "XXXXXXXX")

	r, err := s.Open(t.Context(), "blob")
	require.NoError(t, err)
	defer r.Close()
	got := make([]byte, r.Size())
	_, err = r.ReadAt(got, 0)
	require.NoError(t, err)
	require.Equal(t, "original", string(got))
}

func TestReadAfterClose(t *testing.T) {
	s := memspace.New()
	require.NoError(t, s.Put(t.Context(), "blob", strings.NewReader("x"), 1))
	r, err := s.Open(t.Context(), "blob")
	require.NoError(t, err)
	require.NoError(t, r.Close())

	_, err = r.ReadAt(make([]byte, 1), 0)
	require.ErrorIs(t, err, fs.ErrClosed)
	require.ErrorIs(t, r.Close(), fs.ErrClosed)
}

// TestPutAllocations bounds the allocations of a multi-MiB Put, which would grow with the blob
// if the buffer were grown by fixed steps or copied through an intermediate buffer.
func TestPutAllocations(t *testing.T) {
	data := make([]byte, 8<<20)
	s := memspace.New()
	for _, tc := range []struct {
		name       string
		source     func() io.Reader
		size       int64
		wantAllocs float64
	}{
		{"writerto exact size", func() io.Reader { return bytes.NewReader(data) }, int64(len(data)), 4},
		{"reader exact size", func() io.Reader { return struct{ io.Reader }{bytes.NewReader(data)} }, int64(len(data)), 5},
		// 64 KiB doubled to 8 MiB is 8 buffers, plus the fixed cost of a Put.
		{"reader unknown size", func() io.Reader { return struct{ io.Reader }{bytes.NewReader(data)} }, -1, 12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := testing.AllocsPerRun(5, func() {
				if err := s.Put(t.Context(), "blob", tc.source(), tc.size); err != nil {
					t.Fatal(err)
				}
			})
			require.LessOrEqual(t, got, tc.wantAllocs)
		})
	}
}
