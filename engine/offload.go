package engine

import (
	"io"
	"runtime"
	"sync/atomic"
)

// Hashing on threads of its own. Every byte of an erasure-coded upload goes through MD5 (the
// S3 ETag) and SHA-256 (the fileHash), which together cost more CPU than the rest of the
// request. Their result is needed only at the commit, after the shards are durable, so they
// run beside the shard writes (erasure.EncodeOptions.WritersDone). But run as ordinary
// goroutines, they share the runtime's threads with the work that the request waits for:
// reading the body from the socket, handing blocks to the spaces, issuing their writes and
// syncs. On a busy machine the kernel then time-slices those threads evenly, and a thread that
// is about to issue a 1 ms disk write waits behind a 1.5 ms MD5.
//
// hashers runs the observers' Writes on a few goroutines locked to OS threads of their own, at
// a lower priority on Linux (hashersNice). The kernel's scheduler favors threads that run in
// short bursts over those that use their whole slice, and the priority makes the intent
// explicit: where the two compete for a CPU, the request's I/O goes first and the hashes use
// what is left, which on an I/O-bound upload is plenty. 1 MiB PUTs, c=4, six A/B rounds:
// 317 ops/s without, 343 on dedicated threads, 357 with the lower priority as well; see
// docs/PERFORMANCE.md. The rest of the process keeps its normal priority: a worker's thread is
// never unlocked, so it never runs anything else.
var hashers = newOffloadPool(2 * runtime.NumCPU())

// hashersNice is the nice value of the hashers' threads, where the OS lets a thread have its
// own (Linux). 5 gives a thread about a third of the CPU share of a normal one when both want
// it, and all of an idle CPU.
const hashersNice = 5

// offloadPool runs Writes on up to max goroutines, each locked to its own OS thread. Workers
// start as needed and never stop.
type offloadPool struct {
	jobs    chan *offloadedWriter
	max     int32
	workers atomic.Int32
}

func newOffloadPool(max int) *offloadPool {
	return &offloadPool{jobs: make(chan *offloadedWriter), max: int32(max)}
}

// offload returns ws with every Write run on the pool. The pool is bounded, so a Write must
// not wait for another offloaded Write: hashes never wait for anything.
func (p *offloadPool) offload(ws []io.Writer) []io.Writer {
	out := make([]io.Writer, len(ws))
	for i, w := range ws {
		out[i] = &offloadedWriter{pool: p, w: w, done: make(chan struct{}, 1)}
	}
	return out
}

// offloadedWriter is an io.Writer whose Writes run on its pool. Like any io.Writer, it is not
// for concurrent Writes: each one is a job, and the writer is the job's record.
type offloadedWriter struct {
	pool *offloadPool
	w    io.Writer
	done chan struct{}

	// The current job: the worker sets n and err, then signals done.
	b   []byte
	n   int
	err error
}

func (o *offloadedWriter) Write(b []byte) (int, error) {
	o.b = b
	o.pool.submit(o)
	<-o.done
	o.b = nil
	return o.n, o.err
}

// submit hands o's job to an idle worker, starting one if none is idle and the pool may grow.
func (p *offloadPool) submit(o *offloadedWriter) {
	select {
	case p.jobs <- o:
		return
	default:
	}
	if p.workers.Add(1) <= p.max {
		go p.work()
	} else {
		p.workers.Add(-1)
	}
	p.jobs <- o
}

func (p *offloadPool) work() {
	runtime.LockOSThread() // for good: the thread's priority must not leak to other goroutines
	lowerThreadPriority(hashersNice)
	for o := range p.jobs {
		o.n, o.err = o.w.Write(o.b)
		o.done <- struct{}{}
	}
}
