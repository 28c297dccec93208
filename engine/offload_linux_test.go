package engine

import (
	"io"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// threadNice reports the calling thread's ID and nice value.
func threadNice() (tid, nice int, err error) {
	tid = unix.Gettid()
	prio, err := unix.Getpriority(unix.PRIO_PROCESS, tid)
	return tid, 20 - prio, err // the raw system call returns 20 - nice
}

// TestHashersRunLowered checks that an offloaded Write runs on a thread of its own with the
// hashers' nice value, and that the caller's thread keeps its priority.
func TestHashersRunLowered(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tid, nice, err := threadNice()
	require.NoError(t, err)
	var workerTID, workerNice int
	w := newOffloadPool(1).offload([]io.Writer{writerFunc(func(b []byte) (int, error) {
		var err error
		workerTID, workerNice, err = threadNice()
		return len(b), err
	})})[0]
	_, err = w.Write([]byte("x"))
	require.NoError(t, err)
	require.NotEqual(t, tid, workerTID)
	if nice >= hashersNice {
		t.Skipf("the test already runs at nice %d", nice)
	}
	require.Equal(t, hashersNice, workerNice)
	_, after, err := threadNice()
	require.NoError(t, err)
	require.Equal(t, nice, after, "the caller's thread was lowered")
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }
