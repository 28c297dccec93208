package localdir

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

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

// BenchmarkLargePut compares 16 MiB Puts written through the page cache and with O_DIRECT,
// eight at a time, as the shards of two 64 MiB uploads are; it reports CPU per byte too. Run
// it with a -benchtime of a few dozen x: every blob stays on disk until the end.
func BenchmarkLargePut(b *testing.B) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<20) // 16 MiB
	for _, mode := range []struct {
		name   string
		direct bool
	}{{"buffered", false}, {"direct", true}} {
		b.Run(mode.name, func(b *testing.B) {
			defer func(old bool) { directIO = old }(directIO)
			directIO = mode.direct
			s, err := Open(b.TempDir(), Options{PackMax: -1})
			require.NoError(b, err)
			defer s.Close()
			b.SetBytes(int64(len(data)))
			b.SetParallelism(4)
			var cpu0 unix.Rusage
			unix.Getrusage(unix.RUSAGE_SELF, &cpu0)
			var n atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					name := fmt.Sprintf("blobs/%d", n.Add(1))
					if err := s.Put(context.Background(), name, bytes.NewReader(data), int64(len(data))); err != nil {
						b.Error(err)
						return
					}
				}
			})
			var cpu1 unix.Rusage
			unix.Getrusage(unix.RUSAGE_SELF, &cpu1)
			used := time.Duration(cpu1.Utime.Nano() + cpu1.Stime.Nano() - cpu0.Utime.Nano() - cpu0.Stime.Nano())
			b.ReportMetric(float64(used.Nanoseconds())/float64(int64(b.N)*int64(len(data))), "cpu-ns/B")
		})
	}
}
