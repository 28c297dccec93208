//go:build !linux

package localdir

import "os"

// directFlag is 0 where this package does not use direct I/O.
const directFlag = 0

func clearDirect(*os.File) error { return nil }
