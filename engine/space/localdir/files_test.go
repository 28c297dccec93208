package localdir_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space"
	"github.com/jointcloud/jcs/engine/space/localdir"
	"github.com/jointcloud/jcs/engine/space/spacetest"
)

// newFiles returns a Files view of a fresh temporary directory, closed when the test ends.
func newFiles(t *testing.T) (*localdir.Files, string) {
	t.Helper()
	dir := t.TempDir()
	v, err := localdir.NewFiles(dir)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, v.Close()) })
	return v, dir
}

func TestFilesConformance(t *testing.T) {
	spacetest.RunFiles(t, func(t *testing.T) space.Files {
		v, _ := newFiles(t)
		return v
	})
}

// walkFiles returns the paths Walk visits below dir.
func walkFiles(t *testing.T, v space.Files, dir string) []string {
	t.Helper()
	var paths []string
	require.NoError(t, v.Walk(t.Context(), dir, func(info space.FileInfo) error {
		paths = append(paths, info.Path)
		return nil
	}))
	return paths
}

// writeOS creates the file rel under dir with content, and its parents, bypassing Files.
func writeOS(t *testing.T, dir, rel, content string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
}

// TestFilesSymlinks plants symbolic links inside the root, absolute and relative, to a
// directory and a file outside it and inside it, and drives every method through them. Files
// never follows a link, not even one that stays inside the root: reads and writes through one
// fail with ErrUnsafePath, Walk neither lists a link nor descends into one, and the targets,
// outside and inside, stay exactly as they were.
func TestFilesSymlinks(t *testing.T) {
	for _, tc := range []struct {
		name     string
		target   func(root, outside string) string // absolute
		relative bool                              // whether the link holds a relative path
		dir      bool                              // whether the target is a directory holding "secret"
	}{
		{"absolute dir outside", func(_, outside string) string { return outside }, false, true},
		{"relative dir outside", func(_, outside string) string { return outside }, true, true},
		{"absolute file outside", func(_, outside string) string { return filepath.Join(outside, "secret") }, false, false},
		{"relative file outside", func(_, outside string) string { return filepath.Join(outside, "secret") }, true, false},
		{"absolute dir inside", func(root, _ string) string { return filepath.Join(root, "inside") }, false, true},
		{"relative dir inside", func(root, _ string) string { return filepath.Join(root, "inside") }, true, true},
		{"file inside", func(root, _ string) string { return filepath.Join(root, "inside", "secret") }, true, false},
		{"dangling", func(root, _ string) string { return filepath.Join(root, "nothing") }, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, root := newFiles(t)
			outside := t.TempDir()
			writeOS(t, outside, "secret", "secret")
			writeOS(t, root, "inside/secret", "secret")
			for _, dir := range []string{root, filepath.Join(root, "sub")} {
				require.NoError(t, os.MkdirAll(dir, 0o755))
				target := tc.target(root, outside)
				if tc.relative {
					target = rel(t, dir, target)
				}
				require.NoError(t, os.Symlink(target, filepath.Join(dir, "link")))
			}

			require.Equal(t, []string{"inside/secret"}, walkFiles(t, v, ""))
			require.Empty(t, walkFiles(t, v, "sub"))
			paths := []string{"link", "sub/link"}
			if tc.dir {
				paths = append(paths, "link/secret", "link/new", "link/new/deeper", "sub/link/secret")
			}
			for _, path := range paths {
				requireUnsafe(t, v, path)
			}
			requireOnlySecret(t, outside)
			requireOnlySecret(t, filepath.Join(root, "inside"))
		})
	}
}

// requireUnsafe checks that every method refuses path, which runs through a link.
func requireUnsafe(t *testing.T, v space.Files, path string) {
	t.Helper()
	err := v.WriteFile(t.Context(), path, strings.NewReader("evil"), 4)
	require.ErrorIs(t, err, space.ErrUnsafePath, "WriteFile %q", path)
	r, _, err := v.OpenFile(t.Context(), path)
	if err == nil {
		r.Close()
	}
	require.ErrorIs(t, err, space.ErrUnsafePath, "OpenFile %q", path)
	err = v.Walk(t.Context(), path, func(info space.FileInfo) error {
		t.Errorf("Walk %q visited %q", path, info.Path)
		return nil
	})
	require.ErrorIs(t, err, space.ErrUnsafePath, "Walk %q", path)
}

func rel(t *testing.T, from, to string) string {
	t.Helper()
	r, err := filepath.Rel(from, to)
	require.NoError(t, err)
	return r
}

// TestFilesFileAndDirectory writes where a local directory cannot: below a file, and over a
// directory. Each write fails cleanly, leaving no file or temporary file behind.
func TestFilesFileAndDirectory(t *testing.T) {
	v, root := newFiles(t)
	writeOS(t, root, "a", "file a")
	writeOS(t, root, "d/f", "file d/f")
	for _, path := range []string{"a/b", "a/b/c", "d"} {
		t.Run(path, func(t *testing.T) {
			err := v.WriteFile(t.Context(), path, strings.NewReader("new"), 3)
			require.Error(t, err)
			require.NotErrorIs(t, err, space.ErrNotExist)
			require.NotErrorIs(t, err, space.ErrUnsafePath)
			require.Equal(t, []string{"a", "d/f"}, walkFiles(t, v, ""))
			requireNoTempFiles(t, root)
		})
	}
}

// TestFilesTempNames checks that temporary files, such as a crashed WriteFile leaves, are never
// shown, and that paths using the reserved prefix are refused.
func TestFilesTempNames(t *testing.T) {
	v, root := newFiles(t)
	writeOS(t, root, "dir/.jcs-tmp-0123456789abcdef", "half written")
	writeOS(t, root, ".jcs-tmp-dir/file", "x")
	writeOS(t, root, "dir/.jcs-tmpx", "not reserved")
	require.Equal(t, []string{"dir/.jcs-tmpx"}, walkFiles(t, v, ""))
	for _, path := range []string{"dir/.jcs-tmp-0123456789abcdef", ".jcs-tmp-dir/file", ".jcs-tmp-new"} {
		requireRefused(t, v, path)
	}
}

// requireRefused checks that every method refuses path with ErrUnsafePath without writing.
func requireRefused(t *testing.T, v space.Files, path string) {
	t.Helper()
	require.ErrorIs(t, v.WriteFile(t.Context(), path, strings.NewReader("x"), 1), space.ErrUnsafePath)
	_, _, err := v.OpenFile(t.Context(), path)
	require.ErrorIs(t, err, space.ErrUnsafePath)
	require.ErrorIs(t, v.Walk(t.Context(), path, func(space.FileInfo) error { return nil }), space.ErrUnsafePath)
}

// TestFilesWalkSkipsUnaddressable checks that Walk skips files whose names no path can spell,
// such as a name with a backslash, rather than giving fn a path the other methods refuse.
func TestFilesWalkSkipsUnaddressable(t *testing.T) {
	v, root := newFiles(t)
	writeOS(t, root, `back\slash`, "x")
	writeOS(t, root, "ctl\x01/file", "x")
	writeOS(t, root, "ok", "x")
	require.Equal(t, []string{"ok"}, walkFiles(t, v, ""))
}

// TestFilesWriteLeavesNoTemp makes WriteFile fail after it has created its temporary file and
// checks that the file is gone.
func TestFilesWriteLeavesNoTemp(t *testing.T) {
	v, root := newFiles(t)
	err := v.WriteFile(t.Context(), "dir/file", strings.NewReader("abc"), 2)
	require.ErrorIs(t, err, space.ErrSizeMismatch)
	requireNoTempFiles(t, root)
	require.NoError(t, v.WriteFile(t.Context(), "dir/file", strings.NewReader("abc"), 3))
	got, err := os.ReadFile(filepath.Join(root, "dir", "file"))
	require.NoError(t, err)
	require.Equal(t, "abc", string(got))
	requireNoTempFiles(t, root)
}

// requireNoTempFiles checks that no temporary file is left anywhere under root.
func requireNoTempFiles(t *testing.T, root string) {
	t.Helper()
	require.NoError(t, filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		require.False(t, strings.HasPrefix(d.Name(), ".jcs-tmp-"), "temporary file %s left behind", p)
		return nil
	}))
}
