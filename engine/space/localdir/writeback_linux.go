package localdir

import (
	"os"

	"golang.org/x/sys/unix"
)

// onFd runs fn on f's file descriptor and returns fn's error.
func onFd(f *os.File, fn func(fd int) error) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		return err
	}
	return ferr
}

// startWriteback asks the kernel to begin writing bytes [off, off+n) of f to disk without
// waiting for it (sync_file_range with SYNC_FILE_RANGE_WRITE). Put calls it as a file grows,
// so the disk works while later bytes are still arriving and the final fsync waits only for
// the tail, as Pebble and RocksDB do with "bytes per sync". It is advice: errors are ignored,
// and durability still comes from the fsync.
func startWriteback(f *os.File, off, n int64) {
	onFd(f, func(fd int) error { return unix.SyncFileRange(fd, off, n, unix.SYNC_FILE_RANGE_WRITE) })
}

// fdatasync makes f's data durable, and of its metadata only what reading the data back
// needs (size and allocation, not times), so overwriting written blocks commits no journal.
func fdatasync(f *os.File) error {
	return onFd(f, func(fd int) error {
		for {
			if err := unix.Fdatasync(fd); err != unix.EINTR {
				return err
			}
		}
	})
}
