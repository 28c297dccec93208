package localdir

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func fileFlags(t *testing.T, f *os.File) int {
	t.Helper()
	flags, err := unix.FcntlInt(f.Fd(), unix.F_GETFL, 0)
	require.NoError(t, err)
	return flags
}

// TestDirectWrites: where the file system takes O_DIRECT, temporary files of large blobs are
// opened with it, and blobs of every alignment come out whole and of the right size.
func TestDirectWrites(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{PackMax: -1})
	require.NoError(t, err)
	defer s.Close()
	f, tmp, direct, err := s.createTempDirect()
	require.NoError(t, err)
	if !direct {
		t.Skipf("%s does not take O_DIRECT", dir)
	}
	require.NotZero(t, fileFlags(t, f)&unix.O_DIRECT)
	f.Close()
	s.root.Remove(tmp)

	ctx := context.Background()
	for _, n := range []int{1, directAlign - 1, directAlign, directAlign + 1, directBufSize - 1, directBufSize, 3*directBufSize + 12345} {
		data := bytes.Repeat([]byte{byte(n)}, n)
		copy(data, "head")
		require.NoError(t, s.Put(ctx, "b", bytes.NewReader(data), int64(n)))
		got, err := os.ReadFile(filepath.Join(dir, "b"))
		require.NoError(t, err)
		require.Equal(t, data, got, "size %d", n)
	}
}

// TestClearDirect: a file opened with O_DIRECT can be turned back to the page cache, the
// fallback for file systems that open with O_DIRECT but refuse direct writes.
func TestClearDirect(t *testing.T) {
	f, err := os.OpenFile(filepath.Join(t.TempDir(), "f"), os.O_CREATE|os.O_WRONLY|unix.O_DIRECT, 0o644)
	if err != nil {
		t.Skipf("no O_DIRECT here: %v", err)
	}
	defer f.Close()
	require.NotZero(t, fileFlags(t, f)&unix.O_DIRECT)
	require.NoError(t, clearDirect(f))
	require.Zero(t, fileFlags(t, f)&unix.O_DIRECT)
	_, err = f.Write([]byte("unaligned"))
	require.NoError(t, err)
}
