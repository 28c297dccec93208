//go:build unix

package localdir_test

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space"
)

// TestFilesSpecialFiles checks that Walk skips a FIFO, and that OpenFile treats it as missing
// instead of blocking on it.
func TestFilesSpecialFiles(t *testing.T) {
	v, root := newFiles(t)
	require.NoError(t, syscall.Mkfifo(filepath.Join(root, "fifo"), 0o644))
	writeOS(t, root, "file", "x")
	require.Equal(t, []string{"file"}, walkFiles(t, v, ""))
	_, _, err := v.OpenFile(t.Context(), "fifo")
	require.ErrorIs(t, err, space.ErrNotExist)
	err = v.Walk(t.Context(), "fifo", func(space.FileInfo) error { return nil })
	require.ErrorIs(t, err, space.ErrNotExist)
	err = v.WriteFile(t.Context(), "fifo", strings.NewReader("x"), 1)
	require.Error(t, err)
	require.NotErrorIs(t, err, space.ErrNotExist)
}
