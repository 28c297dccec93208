package localdir

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// directFlag asks OpenFile for direct I/O.
const directFlag = syscall.O_DIRECT

// clearDirect turns direct I/O off on f.
func clearDirect(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	err = rc.Control(func(fd uintptr) {
		var flags int
		if flags, ferr = unix.FcntlInt(fd, unix.F_GETFL, 0); ferr == nil {
			_, ferr = unix.FcntlInt(fd, unix.F_SETFL, flags&^unix.O_DIRECT)
		}
	})
	if err != nil {
		return err
	}
	return ferr
}
