package localdir_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space"
	"github.com/jointcloud/jcs/engine/space/localdir"
)

// TestPackageNames checks the two naming rules this package adds to space.ValidateName.
func TestPackageNames(t *testing.T) {
	s, _ := newSpace(t)
	long := strings.Repeat("s", localdir.MaxSegmentLen)
	for _, tc := range []struct {
		name  string
		valid bool
	}{
		{localdir.TempDir, false},
		{localdir.TempDir + "/x", false},
		{localdir.TempDir + "/x/y", false},
		{"dir/" + long + "s", false},
		{".tmpx", true},
		{"dir/" + localdir.TempDir, true},
		{"dir/" + long, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Put(t.Context(), tc.name, strings.NewReader("x"), 1)
			if tc.valid {
				require.NoError(t, err)
				require.NoError(t, s.Delete(t.Context(), tc.name))
				return
			}
			require.ErrorIs(t, err, space.ErrInvalidName, "Put")
			_, err = s.Open(t.Context(), tc.name)
			require.ErrorIs(t, err, space.ErrInvalidName, "Open")
			_, err = s.Stat(t.Context(), tc.name)
			require.ErrorIs(t, err, space.ErrInvalidName, "Stat")
			require.ErrorIs(t, s.Delete(t.Context(), tc.name), space.ErrInvalidName, "Delete")
		})
	}
}

// TestErrors checks the error forms callers rely on: the package prefix, and ErrNotExist for
// blobs that are missing, including paths through a file.
func TestErrors(t *testing.T) {
	s, _ := newSpace(t)
	require.NoError(t, s.Put(t.Context(), "file", strings.NewReader("x"), 1))
	for _, name := range []string{"missing", "file/below", "missing/below"} {
		_, err := s.Stat(t.Context(), name)
		require.ErrorIs(t, err, space.ErrNotExist)
		require.True(t, strings.HasPrefix(err.Error(), "localdir: "), err.Error())
	}
}

// TestNew checks that New refuses a root that is not an existing directory.
func TestNew(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(file, []byte("x"), 0o644))
	for _, tc := range []struct {
		name, root string
	}{
		{"missing", filepath.Join(dir, "missing")},
		{"file", file},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := localdir.New(tc.root)
			require.ErrorContains(t, err, "localdir: ")
		})
	}
}
