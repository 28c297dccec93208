package spacetest

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space"
)

// unsafePaths break a rule of space.ValidatePath. Joined to a directory unchecked, several
// would reach outside it or name the directory itself.
var unsafePaths = []struct {
	path, why string
}{
	{"", "empty"},
	{"../x", "leading dot dot"},
	{"..", "dot dot"},
	{"a/../b", "inner dot dot"},
	{"a/..", "trailing dot dot"},
	{".", "dot"},
	{"./a", "leading dot"},
	{"a/./b", "inner dot"},
	{"/abs", "absolute"},
	{"/", "root"},
	{"a//b", "empty segment"},
	{"a/", "trailing slash"},
	{"a\x00b", "NUL"},
	{"a\nb", "newline"},
	{"a\x7fb", "DEL"},
	{"a\\b", "backslash"},
	{"..\\x", "backslash dot dot"},
	{"a\xffb", "invalid UTF-8"},
	{strings.Repeat("x", space.MaxNameLen+1), "too long"},
}

// testFilesUnsafePaths checks that every method refuses unsafe paths with ErrUnsafePath, that
// Walk calls fn for none of them, and that nothing is written. The empty path is the one
// exception for Walk, where it names the root.
func testFilesUnsafePaths(t *testing.T, v space.Files) {
	writeFile(t, v, "a/b", []byte("x")) // something for "a/../b" and friends to find
	for _, tc := range unsafePaths {
		t.Run(tc.why, func(t *testing.T) {
			require.ErrorIs(t, space.ValidatePath(tc.path), space.ErrUnsafePath, "test path %q", tc.path)

			err := v.WriteFile(t.Context(), tc.path, strings.NewReader("evil"), 4)
			require.ErrorIs(t, err, space.ErrUnsafePath, "WriteFile")

			rc, _, err := v.OpenFile(t.Context(), tc.path)
			if err == nil {
				rc.Close()
			}
			require.ErrorIs(t, err, space.ErrUnsafePath, "OpenFile")

			if tc.path == "" {
				return
			}
			err = v.Walk(t.Context(), tc.path, func(info space.FileInfo) error {
				t.Errorf("Walk of unsafe %q visited %q", tc.path, info.Path)
				return nil
			})
			require.ErrorIs(t, err, space.ErrUnsafePath, "Walk")
		})
	}
	require.Equal(t, []string{"a/b"}, walkPaths(t, v, ""))
}

// testFilesValidPaths writes unusual but valid paths, the same set a Space must store, and
// reads them back through OpenFile and Walk.
func testFilesValidPaths(t *testing.T, v space.Files) {
	for _, path := range validNames {
		require.NoError(t, space.ValidatePath(path), "test path %q", path)
		writeFile(t, v, path, []byte(path))
	}
	for _, path := range validNames {
		requireFile(t, v, path, []byte(path))
	}
	require.Equal(t, slices.Sorted(slices.Values(validNames)), walkPaths(t, v, ""))
}
