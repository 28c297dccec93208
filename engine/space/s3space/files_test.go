package s3space_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space"
	"github.com/jointcloud/jcs/engine/space/s3space"
	"github.com/jointcloud/jcs/engine/space/spacetest"
)

// TestFilesConformance runs the Files suite with each way an upload can travel; see
// TestConformance.
func TestFilesConformance(t *testing.T) {
	f := newFakeS3(t)
	for _, tc := range []struct {
		name                           string
		bufferMax, streamMax, partSize int64
	}{
		{"default", -1, 0, 0},
		{"streaming", 0, 1 << 40, 64 << 10},
		{"multipart", 0, 0, 64 << 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spacetest.RunFiles(t, func(t *testing.T) space.Files {
				s := f.newSpace(t, "")
				if tc.bufferMax >= 0 {
					s3space.SetTuning(s, tc.bufferMax, tc.streamMax, tc.partSize)
				}
				return s
			})
		})
	}
}

// walk returns the paths Walk visits under dir.
func walk(t *testing.T, v space.Files, dir string) []string {
	t.Helper()
	var paths []string
	require.NoError(t, v.Walk(t.Context(), dir, func(info space.FileInfo) error {
		paths = append(paths, info.Path)
		return nil
	}))
	return paths
}

// TestFilesRootedAtBucket checks that the Files view is the whole bucket, not Prefix: it
// sees the blobs under the prefix by their full keys, and writes where the path says.
func TestFilesRootedAtBucket(t *testing.T) {
	f := newFakeS3(t)
	bucket := f.newBucket(t)
	s, err := s3space.New(t.Context(), f.config(bucket, "jcs/shards"))
	require.NoError(t, err)
	require.NoError(t, s.Put(t.Context(), "blob", strings.NewReader("shard"), 5))
	require.NoError(t, s.WriteFile(t.Context(), "import/a.txt", strings.NewReader("file"), -1))

	require.Equal(t, []string{"import/a.txt", "jcs/shards/blob"}, f.keys(t, bucket))
	require.Equal(t, []string{"import/a.txt", "jcs/shards/blob"}, walk(t, s, ""))
	require.Equal(t, []string{"jcs/shards/blob"}, walk(t, s, "jcs"))
	infos, _, err := s.List(t.Context(), "", "", 0)
	require.NoError(t, err)
	require.Len(t, infos, 1, "List stays within the prefix")
}

// TestFilesSkipsInvalidKeys puts objects whose keys are not valid paths into the bucket, as
// other tools do: Walk passes over them, and a directory holding nothing else is empty, not
// missing.
func TestFilesSkipsInvalidKeys(t *testing.T) {
	f := newFakeS3(t)
	bucket := f.newBucket(t)
	for _, key := range []string{"/lead", "a//b", "a/./b", "a/b", "dir/", "marker/", "x\\y"} {
		f.putRaw(t, bucket, key, []byte(key))
	}
	s, err := s3space.New(t.Context(), f.config(bucket, ""))
	require.NoError(t, err)

	require.Equal(t, []string{"a/b"}, walk(t, s, ""))
	require.Equal(t, []string{"a/b"}, walk(t, s, "a"))
	require.Empty(t, walk(t, s, "marker"))
	err = s.Walk(t.Context(), "nothing", func(space.FileInfo) error { return nil })
	require.ErrorIs(t, err, space.ErrNotExist)
}

// TestFilesFileAndDirectory pins what the Files suite leaves open: a bucket holds "a" and
// "a/b" at once, and Walk of "a" then sees the file "a" alone.
func TestFilesFileAndDirectory(t *testing.T) {
	f := newFakeS3(t)
	s := f.newSpace(t, "")
	for _, path := range []string{"a", "a/b", "a/c/d"} {
		require.NoError(t, s.WriteFile(t.Context(), path, strings.NewReader(path), -1))
	}
	require.Equal(t, []string{"a", "a/b", "a/c/d"}, walk(t, s, ""))
	require.Equal(t, []string{"a"}, walk(t, s, "a"))
	require.Equal(t, []string{"a/c/d"}, walk(t, s, "a/c"))
}

// TestFilesUnsafePaths checks that unsafe paths are refused before any request is sent:
// against a stopped server, the only possible error is the path's.
func TestFilesUnsafePaths(t *testing.T) {
	f := newFakeS3(t)
	s := f.newSpace(t, "")
	f.srv.Close()
	for _, path := range []string{"/etc/passwd", "../up", "a/../../b", "a//b", "./a", "a/", "a\\b", "a\x00b", "\xff"} {
		t.Run(path, func(t *testing.T) {
			err := s.Walk(t.Context(), path, func(space.FileInfo) error { return errors.New("visited") })
			require.ErrorIs(t, err, space.ErrUnsafePath, "Walk")
			_, _, err = s.OpenFile(t.Context(), path)
			require.ErrorIs(t, err, space.ErrUnsafePath, "OpenFile")
			err = s.WriteFile(t.Context(), path, bytes.NewReader([]byte("x")), 1)
			require.ErrorIs(t, err, space.ErrUnsafePath, "WriteFile")
		})
	}
}

// TestOpenFileStreams reads a file larger than any buffer of the client through OpenFile
// in small pieces, checking the FileInfo against what was written.
func TestOpenFileStreams(t *testing.T) {
	f := newFakeS3(t)
	s := f.newSpace(t, "")
	want := randomData(7, 3<<20+5)
	require.NoError(t, s.WriteFile(t.Context(), "big", onlyReader{bytes.NewReader(want)}, -1))
	rc, info, err := s.OpenFile(t.Context(), "big")
	require.NoError(t, err)
	defer rc.Close()
	require.Equal(t, int64(len(want)), info.Size)
	got, err := io.ReadAll(io.LimitReader(rc, int64(len(want))+1))
	require.NoError(t, err)
	require.Equal(t, want, got)
}
