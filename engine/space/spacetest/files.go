package spacetest

import (
	"bytes"
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space"
)

// RunFiles runs the conformance suite for space.Files implementations as subtests of t, in the
// manner of Run. newFiles is called once per subtest and must return an empty view; it should
// register any cleanup (closing the view, removing its storage) with t.Cleanup.
//
// The suite checks each sentence of the space.Files contract and nothing more:
//   - WriteFile then OpenFile returns the bytes written, for empty, small and multi-MiB files,
//     with known and unknown (-1) sizes and every shape of source; parents are created as
//     needed and an existing file is replaced;
//   - a WriteFile that fails (wrong size, failing source, cancelled context) returns an error
//     wrapping ErrSizeMismatch, the source's error or context.Canceled, and leaves nothing new
//     at the path; a WriteFile in progress shows nothing new either;
//   - Walk visits regular files in ascending byte order of path, under the root, a directory or
//     a single file, fails with ErrNotExist for a missing directory, and stops at the first
//     error fn returns, returning it;
//   - OpenFile of a missing file fails with ErrNotExist;
//   - every method refuses unsafe paths with an error wrapping ErrUnsafePath, and writes
//     nothing for them;
//   - methods are safe for concurrent use.
//
// It creates no symbolic links or other special files: what a view does with those depends on
// its storage, so implementations test that themselves. Nor does it write a path that is both a
// file and a directory ("a" and "a/b"), which a local directory refuses and a bucket allows.
func RunFiles(t *testing.T, newFiles func(t *testing.T) space.Files) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, v space.Files)
	}{
		{"WriteOpen", testFilesWriteOpen},
		{"WriteLarge", testFilesWriteLarge},
		{"WriteNested", testFilesWriteNested},
		{"WriteReplace", testFilesWriteReplace},
		{"WriteSizeMismatch", testFilesWriteSizeMismatch},
		{"WriteReaderError", testFilesWriteReaderError},
		{"WriteCancelled", testFilesWriteCancelled},
		{"WriteInProgressInvisible", testFilesWriteInProgressInvisible},
		{"OpenMissing", testFilesOpenMissing},
		{"WalkEmpty", testFilesWalkEmpty},
		{"WalkOrder", testFilesWalkOrder},
		{"WalkDir", testFilesWalkDir},
		{"WalkFile", testFilesWalkFile},
		{"WalkMissing", testFilesWalkMissing},
		{"WalkStops", testFilesWalkStops},
		{"UnsafePaths", testFilesUnsafePaths},
		{"ValidPaths", testFilesValidPaths},
		{"Concurrent", testFilesConcurrent},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newFiles(t)) })
	}
}

// writeFile writes data to path with its exact size and fails the test on error.
func writeFile(t *testing.T, v space.Files, path string, data []byte) {
	t.Helper()
	require.NoError(t, v.WriteFile(t.Context(), path, bytes.NewReader(data), int64(len(data))))
}

// readFile returns the content of path and the FileInfo that OpenFile reported, checking that
// the info names path and matches the content.
func readFile(t *testing.T, v space.Files, path string) []byte {
	t.Helper()
	r, info, err := v.OpenFile(t.Context(), path)
	require.NoError(t, err, "OpenFile %q", path)
	got, err := io.ReadAll(r)
	require.NoError(t, err, "read %q", path)
	require.NoError(t, r.Close(), "close %q", path)
	require.Equal(t, path, info.Path, "OpenFile info path")
	require.Equal(t, int64(len(got)), info.Size, "OpenFile info size of %q", path)
	require.False(t, info.ModTime.IsZero(), "OpenFile info of %q has no ModTime", path)
	return got
}

// requireFile checks that path holds exactly want, through OpenFile and through Walk.
func requireFile(t *testing.T, v space.Files, path string, want []byte) {
	t.Helper()
	require.True(t, bytes.Equal(want, readFile(t, v, path)), "content of %q", path)
	infos := walkInfos(t, v, path)
	require.Len(t, infos, 1, "Walk of the file %q", path)
	require.Equal(t, path, infos[0].Path)
	require.Equal(t, int64(len(want)), infos[0].Size, "Walk size of %q", path)
}

// requireNoFile checks that OpenFile finds nothing at path.
func requireNoFile(t *testing.T, v space.Files, path string) {
	t.Helper()
	r, _, err := v.OpenFile(t.Context(), path)
	if err == nil {
		r.Close()
	}
	require.ErrorIs(t, err, space.ErrNotExist, "OpenFile %q", path)
}

// requireFileUnchanged checks that a failed WriteFile left path holding old, or nothing if it
// did not exist, and that the view as a whole still holds exactly before.
func requireFileUnchanged(t *testing.T, v space.Files, path string, existing bool, old []byte, before []string) {
	t.Helper()
	if existing {
		requireFile(t, v, path, old)
	} else {
		requireNoFile(t, v, path)
	}
	require.Equal(t, before, walkPaths(t, v, ""), "Walk after a failed WriteFile of %q", path)
}

// walkInfos returns what Walk passes to fn for dir, in order, checking each info.
func walkInfos(t *testing.T, v space.Files, dir string) []space.FileInfo {
	t.Helper()
	var infos []space.FileInfo
	err := v.Walk(t.Context(), dir, func(info space.FileInfo) error {
		require.NoError(t, space.ValidatePath(info.Path), "Walk gave an unsafe path")
		require.False(t, info.ModTime.IsZero(), "Walk info of %q has no ModTime", info.Path)
		infos = append(infos, info)
		return nil
	})
	require.NoError(t, err, "Walk %q", dir)
	return infos
}

// walkPaths returns the paths Walk visits for dir, in order.
func walkPaths(t *testing.T, v space.Files, dir string) []string {
	t.Helper()
	var paths []string
	for _, info := range walkInfos(t, v, dir) {
		paths = append(paths, info.Path)
	}
	return paths
}
