package localdir

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space"
)

// TestRequireSame plays the race that requireSame closes: a directory and a file are opened,
// then swapped for links to what was opened, as if the swap had happened between the Lstat and
// the open that followed the link. The open is refused, and so is a real entry swapped in for
// another.
func TestRequireSame(t *testing.T) {
	root := t.TempDir()
	for _, dir := range []string{"dir", "other"} {
		require.NoError(t, os.Mkdir(filepath.Join(root, dir), 0o755))
	}
	require.NoError(t, os.WriteFile(filepath.Join(root, "file"), []byte("x"), 0o644))
	d, err := os.OpenRoot(root)
	require.NoError(t, err)
	defer d.Close()

	opened := map[string]os.FileInfo{}
	for _, name := range []string{"dir", "file"} {
		fi, err := d.Stat(name)
		require.NoError(t, err)
		require.NoError(t, requireSame(d, name, name, fi), "the entry itself")
		opened[name] = fi
	}
	for _, name := range []string{"dir", "file"} {
		p := filepath.Join(root, name)
		require.NoError(t, os.Rename(p, p+".moved"))
		require.NoError(t, os.Symlink(name+".moved", p))
		require.ErrorIs(t, requireSame(d, name, name, opened[name]), space.ErrUnsafePath, "a link to %s", name)
	}
	require.NoError(t, os.Remove(filepath.Join(root, "dir")))
	require.NoError(t, os.Rename(filepath.Join(root, "other"), filepath.Join(root, "dir")))
	require.ErrorIs(t, requireSame(d, "dir", "dir", opened["dir"]), space.ErrUnsafePath, "another directory")
}
