package localdir

import (
	"os"

	"golang.org/x/sys/unix"
)

// startWriteback asks the kernel to begin writing bytes [off, off+n) of f to disk without
// waiting for it (sync_file_range with SYNC_FILE_RANGE_WRITE). Put calls it as a file grows,
// so the disk works while later bytes are still arriving and the final fsync waits only for
// the tail, as Pebble and RocksDB do with "bytes per sync". It is advice: errors are ignored,
// and durability still comes from the fsync.
func startWriteback(f *os.File, off, n int64) {
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	rc.Control(func(fd uintptr) {
		unix.SyncFileRange(int(fd), off, n, unix.SYNC_FILE_RANGE_WRITE)
	})
}
