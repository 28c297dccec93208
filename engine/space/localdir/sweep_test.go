package localdir_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space/localdir"
)

// TestSweepTemp ages some temporary files and checks that SweepTemp removes exactly those,
// leaving recent temporary files and blobs alone. Times are set explicitly, not waited for.
func TestSweepTemp(t *testing.T) {
	s, root := newSpace(t)
	require.NoError(t, s.Put(t.Context(), "blob", strings.NewReader("x"), 1))
	now := time.Now()
	for name, age := range map[string]time.Duration{
		"old1":   48 * time.Hour,
		"old2":   25 * time.Hour,
		"recent": time.Hour,
	} {
		path := filepath.Join(root, localdir.TempDir, name)
		require.NoError(t, os.WriteFile(path, []byte("partial"), 0o644))
		require.NoError(t, os.Chtimes(path, now.Add(-age), now.Add(-age)))
	}
	require.NoError(t, os.Chtimes(filepath.Join(root, "blob"), now.Add(-72*time.Hour), now.Add(-72*time.Hour)))

	got, err := s.SweepTemp(t.Context(), now.Add(-24*time.Hour))
	require.NoError(t, err)
	require.Equal(t, 2, got)

	entries, err := os.ReadDir(filepath.Join(root, localdir.TempDir))
	require.NoError(t, err)
	require.Len(t, entries, 1)
	require.Equal(t, "recent", entries[0].Name())
	_, err = s.Stat(t.Context(), "blob")
	require.NoError(t, err)

	got, err = s.SweepTemp(t.Context(), now.Add(-24*time.Hour))
	require.NoError(t, err)
	require.Zero(t, got, "a second sweep finds nothing")
}

// TestTempDirRecreated removes TempDir behind the space's back: Put recreates it.
func TestTempDirRecreated(t *testing.T) {
	s, root := newSpace(t)
	require.NoError(t, os.Remove(filepath.Join(root, localdir.TempDir)))
	require.NoError(t, s.Put(t.Context(), "blob", strings.NewReader("x"), 1))
	_, err := s.Stat(t.Context(), "blob")
	require.NoError(t, err)
}
