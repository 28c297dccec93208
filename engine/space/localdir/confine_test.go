package localdir_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestConfinement plants a symbolic link inside the root that points outside it, absolute or
// relative, to a directory or to a file, and drives every method through it. Reads fail and
// List skips the link. Writes through a directory link fail; a Put or Delete of a file link
// replaces or removes the link itself, inside the root. Either way the outside stays intact.
func TestConfinement(t *testing.T) {
	for _, tc := range []struct {
		name     string
		target   func(outside, rel string) string
		blobs    []string // names that go through the link
		wantFail bool     // whether Put and Delete fail
	}{
		{"absolute dir link", func(outside, _ string) string { return outside }, []string{"link/secret", "link/new"}, true},
		{"relative dir link", func(_, rel string) string { return rel }, []string{"link/secret", "link/new"}, true},
		{"absolute file link", func(outside, _ string) string { return filepath.Join(outside, "secret") }, []string{"link"}, false},
		{"relative file link", func(_, rel string) string { return filepath.Join(rel, "secret") }, []string{"link"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, root := newSpace(t)
			outside := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(outside, "secret"), []byte("secret"), 0o644))
			rel, err := filepath.Rel(root, outside)
			require.NoError(t, err)
			require.NoError(t, os.Symlink(tc.target(outside, rel), filepath.Join(root, "link")))

			infos, _, err := s.List(t.Context(), "", "", 0)
			require.NoError(t, err)
			require.Empty(t, infos, "a symbolic link is not a blob")
			for _, name := range tc.blobs {
				_, err := s.Open(t.Context(), name)
				require.Error(t, err, "Open %q", name)
				_, err = s.Stat(t.Context(), name)
				require.Error(t, err, "Stat %q", name)
				err = s.Put(t.Context(), name, strings.NewReader("evil"), 4)
				require.Equal(t, tc.wantFail, err != nil, "Put %q: %v", name, err)
				err = s.Delete(t.Context(), name)
				require.Equal(t, tc.wantFail, err != nil, "Delete %q: %v", name, err)
			}
			requireOnlySecret(t, outside)
		})
	}
}

// requireOnlySecret checks that outside holds just the file "secret", unchanged.
func requireOnlySecret(t *testing.T, outside string) {
	t.Helper()
	entries, err := os.ReadDir(outside)
	require.NoError(t, err)
	require.Len(t, entries, 1, "a file was created outside the root")
	got, err := os.ReadFile(filepath.Join(outside, "secret"))
	require.NoError(t, err)
	require.Equal(t, "secret", string(got))
}
