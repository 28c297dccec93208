//go:build unix

package localdir

import (
	"io/fs"
	"syscall"
)

// linked reports whether the file fi describes still has a name.
func linked(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return !ok || st.Nlink > 0
}
