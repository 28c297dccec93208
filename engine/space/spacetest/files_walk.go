package spacetest

import (
	"errors"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space"
)

// walkTree is a tree whose byte order differs from the order of a depth-first walk that sorts
// bare names: '-' and '.' sort before '/', so "a-b" and "a.c" come before everything under
// "a/", while "a0" and "ab/c" come after it. Upper case sorts before lower case, and
// multi-byte UTF-8 after ASCII.
var walkTree = []string{
	"z",
	"a/c/d",
	"ab/c",
	"a0",
	"a.c",
	"a/b",
	"a-b",
	"a/b.c",
	"A",
	"é",
	"a/c.d/e",
	" space",
}

// writeWalkTree writes walkTree in the order given, each file with content of its own length.
func writeWalkTree(t *testing.T, v space.Files) {
	t.Helper()
	for i, path := range walkTree {
		writeFile(t, v, path, blobData(uint64(200+i), 10+i))
	}
}

func testFilesWalkEmpty(t *testing.T, v space.Files) {
	require.Empty(t, walkPaths(t, v, ""))
}

// testFilesWalkOrder walks the whole view: every file, in ascending byte order of path, each
// with its size.
func testFilesWalkOrder(t *testing.T, v space.Files) {
	writeWalkTree(t, v)
	infos := walkInfos(t, v, "")
	var got []string
	for _, info := range infos {
		i := slices.Index(walkTree, info.Path)
		require.GreaterOrEqual(t, i, 0, "Walk visited %q, which was never written", info.Path)
		require.Equal(t, int64(10+i), info.Size, "size of %q", info.Path)
		got = append(got, info.Path)
	}
	require.Equal(t, slices.Sorted(slices.Values(walkTree)), got)
}

// testFilesWalkDir walks directories: only the files below them, with paths relative to the
// root, and none of the siblings whose names merely start with the directory's.
func testFilesWalkDir(t *testing.T, v space.Files) {
	writeWalkTree(t, v)
	for _, tc := range []struct {
		dir  string
		want []string
	}{
		{"a", []string{"a/b", "a/b.c", "a/c.d/e", "a/c/d"}},
		{"a/c", []string{"a/c/d"}},
		{"a/c.d", []string{"a/c.d/e"}},
		{"ab", []string{"ab/c"}},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			require.Equal(t, tc.want, walkPaths(t, v, tc.dir))
		})
	}
}

// testFilesWalkFile walks paths that name files: fn sees that file alone, even when other
// paths start with its name.
func testFilesWalkFile(t *testing.T, v space.Files) {
	writeWalkTree(t, v)
	for _, path := range []string{"a/b", "a.c", "a0", "a/c/d", "z"} {
		t.Run(path, func(t *testing.T) {
			infos := walkInfos(t, v, path)
			require.Len(t, infos, 1)
			require.Equal(t, path, infos[0].Path)
			require.Equal(t, int64(10+slices.Index(walkTree, path)), infos[0].Size)
		})
	}
}

// testFilesWalkMissing walks paths that name nothing: each is an error wrapping ErrNotExist,
// including a path below a file and a string that is only a prefix of existing names.
func testFilesWalkMissing(t *testing.T, v space.Files) {
	writeWalkTree(t, v)
	for _, dir := range []string{
		"missing",
		"a/missing",
		"missing/deeper",
		"a/b/below-a-file",
		"a-",   // a prefix of "a-b", not a directory
		"a/c.", // a prefix of "a/c.d/e"
	} {
		t.Run(dir, func(t *testing.T) {
			err := v.Walk(t.Context(), dir, func(info space.FileInfo) error {
				t.Errorf("Walk of missing %q visited %q", dir, info.Path)
				return nil
			})
			require.ErrorIs(t, err, space.ErrNotExist)
		})
	}
}

// testFilesWalkStops returns an error from fn part way: Walk must call fn no more and return
// that error.
func testFilesWalkStops(t *testing.T, v space.Files) {
	writeWalkTree(t, v)
	errStop := errors.New("spacetest: stop walking")
	for _, tc := range []struct {
		dir       string
		stopAfter int
	}{
		{"", 1},
		{"", 3},
		{"", len(walkTree)},
		{"a", 2},
		{"z", 1},
	} {
		var calls int
		err := v.Walk(t.Context(), tc.dir, func(space.FileInfo) error {
			calls++
			if calls == tc.stopAfter {
				return errStop
			}
			return nil
		})
		require.ErrorIs(t, err, errStop, "Walk %q stopping after %d", tc.dir, tc.stopAfter)
		require.Equal(t, tc.stopAfter, calls, "Walk %q called fn after it failed", tc.dir)
	}
}
