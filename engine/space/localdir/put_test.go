package localdir_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space"
	"github.com/jointcloud/jcs/engine/space/localdir"
)

// writerToOnly offers only io.WriterTo: its Read fails, so a Put that falls back to a copy
// loop through a buffer is caught.
type writerToOnly struct {
	data   []byte
	writes []int // the length of each Write that WriteTo made, as accepted
}

func (r *writerToOnly) Read([]byte) (int, error) {
	return 0, errors.New("localdir_test: Read called instead of WriteTo")
}

func (r *writerToOnly) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(r.data)
	r.writes = append(r.writes, n)
	return int64(n), err
}

// TestPutUsesWriterTo checks that a source with io.WriterTo writes its blocks straight into
// the file in one Write each, with no bounce buffer in between.
func TestPutUsesWriterTo(t *testing.T) {
	s, dir := newSpace(t)
	want := bytes.Repeat([]byte("shard"), 1<<20)
	for _, size := range []int64{int64(len(want)), -1} {
		r := &writerToOnly{data: want}
		require.NoError(t, s.Put(t.Context(), "blob", r, size))
		require.Equal(t, []int{len(want)}, r.writes)
		got, err := os.ReadFile(filepath.Join(dir, "blob"))
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
}

// requireNoTemp checks that no temporary file is left in the space's TempDir.
func requireNoTemp(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, localdir.TempDir))
	require.NoError(t, err)
	require.Empty(t, entries, "temporary files left behind")
}

// TestPutFailureLeavesNoTemp makes Put fail in each way it can and checks that the temporary
// file is gone each time.
func TestPutFailureLeavesNoTemp(t *testing.T) {
	s, dir := newSpace(t)
	require.NoError(t, s.Put(t.Context(), "file", strings.NewReader("x"), 1))
	require.NoError(t, s.Put(t.Context(), "dir/blob", strings.NewReader("x"), 1))
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	for _, tc := range []struct {
		name, blob string
		ctx        context.Context
		r          io.Reader
		size       int64
	}{
		{"too many bytes", "b", t.Context(), strings.NewReader("abc"), 2},
		{"too few bytes", "b", t.Context(), strings.NewReader("abc"), 4},
		{"source error", "b", t.Context(), io.MultiReader(strings.NewReader("abc"), errReader{}), -1},
		{"cancelled", "b", cancelled, strings.NewReader("abc"), 3},
		{"parent is a file", "file/b", t.Context(), strings.NewReader("abc"), 3},
		{"name is a directory", "dir", t.Context(), strings.NewReader("abc"), 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Error(t, s.Put(tc.ctx, tc.blob, tc.r, tc.size))
			requireNoTemp(t, dir)
			_, err := s.Stat(t.Context(), tc.blob)
			require.ErrorIs(t, err, space.ErrNotExist)
		})
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("localdir_test: source failed") }

// TestPutCreatesDirectories checks that Put creates missing parents, including after a
// directory it created is removed behind its back.
func TestPutCreatesDirectories(t *testing.T) {
	s, dir := newSpace(t)
	for _, step := range []struct {
		name   string
		before func(t *testing.T)
	}{
		{"a/b/c/d", nil},
		{"a/b/x", nil},
		{"a/b/c/e", func(t *testing.T) { require.NoError(t, os.RemoveAll(filepath.Join(dir, "a"))) }},
	} {
		if step.before != nil {
			step.before(t)
		}
		require.NoError(t, s.Put(t.Context(), step.name, strings.NewReader(step.name), -1))
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(step.name)))
		require.NoError(t, err)
		require.Equal(t, step.name, string(got))
	}
	requireNoTemp(t, dir)
}

// TestReaderSnapshot pins what the conformance suite leaves open for remote stores: a reader
// of a local file keeps its content after the name is replaced or deleted.
func TestReaderSnapshot(t *testing.T) {
	s, _ := newSpace(t)
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

// BenchmarkPut measures Put of a 64 MiB blob from a source with io.WriterTo and from one
// without, which goes through the pooled copy buffer.
func BenchmarkPut(b *testing.B) {
	data := make([]byte, 64<<20)
	s, err := localdir.New(b.TempDir())
	require.NoError(b, err)
	defer s.Close()
	for _, bc := range []struct {
		name string
		r    func() io.Reader
	}{
		{"writerto", func() io.Reader { return bytes.NewReader(data) }},
		{"reader", func() io.Reader { return struct{ io.Reader }{bytes.NewReader(data)} }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if err := s.Put(b.Context(), "blob", bc.r(), int64(len(data))); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
