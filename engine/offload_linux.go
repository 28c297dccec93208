package engine

import "golang.org/x/sys/unix"

// lowerThreadPriority sets the nice value of the calling thread, which must be locked to its
// goroutine: on Linux, setpriority with a thread ID applies to that thread alone. A failure
// (a seccomp filter, say) leaves the normal priority, which costs speed, not correctness.
func lowerThreadPriority(nice int) {
	_ = unix.Setpriority(unix.PRIO_PROCESS, unix.Gettid(), nice)
}
