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
	return onFd(f, func(fd int) error {
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
		if err == nil {
			_, err = unix.FcntlInt(uintptr(fd), unix.F_SETFL, flags&^unix.O_DIRECT)
		}
		return err
	})
}
