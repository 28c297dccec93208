package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
)

// The layout Disk imitates: 4+2 erasure coding in 1 MiB chunks.
const (
	diskChunk  = MiB
	diskData   = 4 // data files
	diskFiles  = 6 // data files, then parity files
	diskParity = diskFiles - diskData
)

// Disk is the baseline Target: the bytes 4+2 erasure coding would write, written straight to
// local files, with no coding, hashing, HTTP or index.
//
// Put cuts the stream into 1 MiB chunks and writes chunk i to data file i%4; for every two
// data chunks it writes one chunk of their (larger) size to parity file 4 or 5, alternately,
// so each full stripe of four data chunks gets two parity chunks and the six files hold 1.5×
// the object (the parity bytes are copies, not computed). Each file is written and then
// fsynced by a goroutine of its own, as six spaces would, and then their directory is fsynced.
// Get reads the four data files back in stream order.
//
// Setup creates a fresh directory under the one given, and Close removes it with everything in
// it. The files of an object sit side by side in it as KEY.0 to KEY.5, KEY URL-encoded. Reads
// of freshly written files come from the page cache, as the server's do.
type Disk struct {
	parent string
	dir    string // set by Setup
}

var (
	_ Target    = (*Disk)(nil)
	_ io.Closer = (*Disk)(nil)
)

var chunkBuffers = sync.Pool{New: func() any { b := make([]byte, diskChunk); return &b }}

// NewDisk returns a Disk target writing under dir, which must exist.
func NewDisk(dir string) *Disk { return &Disk{parent: dir} }

// String names the target in results.
func (d *Disk) String() string { return "disk " + d.parent }

// Setup creates the directory the run writes to.
func (d *Disk) Setup(context.Context) error {
	dir, err := os.MkdirTemp(d.parent, "jcs-bench-disk-")
	if err != nil {
		return fmt.Errorf("disk: %w", err)
	}
	d.dir = dir
	return nil
}

// Close removes everything the run wrote.
func (d *Disk) Close() error {
	if d.dir == "" {
		return nil
	}
	return os.RemoveAll(d.dir)
}

func (d *Disk) name(key string, i int) string {
	return filepath.Join(d.dir, fmt.Sprintf("%s.%d", url.PathEscape(key), i))
}

// Put writes body as six files and makes them durable.
func (d *Disk) Put(ctx context.Context, key string, body io.Reader, size int64) (err error) {
	var files [diskFiles]*os.File
	defer func() {
		for _, f := range files {
			if f != nil {
				if cerr := f.Close(); err == nil {
					err = cerr
				}
			}
		}
	}()
	for i := range files {
		if files[i], err = os.Create(d.name(key, i)); err != nil {
			return fmt.Errorf("disk: %w", err)
		}
	}
	sw := startStripeWriter(files[:])
	n, err := sw.feed(ctx, body)
	if werr := sw.finish(); err == nil {
		err = werr
	}
	switch {
	case err != nil:
		return fmt.Errorf("disk: %w", err)
	case n != size:
		return fmt.Errorf("disk: the body held %d bytes, want %d", n, size)
	}
	return syncDir(d.dir)
}

// stripeWriter writes and then fsyncs each of the six files from a goroutine of its own, as the
// server's six spaces each write their shard at once: a baseline that serialised what a real
// store does in parallel would be no ceiling. (On a test VM, one writer for all six files was
// up to twice as slow as six.)
type stripeWriter struct {
	files  []*os.File
	jobs   []chan stripeJob
	errs   []error // per file; read after finish
	failed atomic.Bool
	wg     sync.WaitGroup
}

// stripeJob is a write of p, which lies in c's buffer.
type stripeJob struct {
	p []byte
	c *chunk
}

// chunk is a pooled 1 MiB buffer shared by the writes of the data and parity chunks cut from
// it; the last write to release it returns it to the pool.
type chunk struct {
	b    *[]byte
	refs atomic.Int32
}

func newChunk() *chunk { return &chunk{b: chunkBuffers.Get().(*[]byte)} }

func (c *chunk) release() {
	if c.refs.Add(-1) == 0 {
		chunkBuffers.Put(c.b)
	}
}

// stripeQueue is how many writes may wait for each file: it bounds a Put's buffers to
// about 6*stripeQueue+2 chunks however large the object.
const stripeQueue = 2

func startStripeWriter(files []*os.File) *stripeWriter {
	sw := &stripeWriter{files: files, jobs: make([]chan stripeJob, len(files)), errs: make([]error, len(files))}
	for i := range files {
		sw.jobs[i] = make(chan stripeJob, stripeQueue)
		sw.wg.Go(func() { sw.run(i) })
	}
	return sw
}

// run writes file i's jobs, then fsyncs it. After a failure it only releases the buffers.
func (sw *stripeWriter) run(i int) {
	for j := range sw.jobs[i] {
		if sw.errs[i] == nil {
			if _, sw.errs[i] = sw.files[i].Write(j.p); sw.errs[i] != nil {
				sw.failed.Store(true)
			}
		}
		j.c.release()
	}
	if sw.errs[i] == nil {
		sw.errs[i] = sw.files[i].Sync()
	}
}

// feed cuts r into the 4+2 layout and hands the chunks to the writers; it returns the data
// bytes read. It stops early if ctx is done or a writer failed (finish reports that error).
func (sw *stripeWriter) feed(ctx context.Context, r io.Reader) (int64, error) {
	var total int64
	for pair := 0; ; pair++ {
		if err := ctx.Err(); err != nil || sw.failed.Load() {
			return total, err
		}
		a := newChunk()
		na, err := readChunk(r, *a.b)
		if err != nil || na == 0 {
			chunkBuffers.Put(a.b)
			return total, err
		}
		var b *chunk
		nb := 0
		if na == diskChunk {
			b = newChunk()
			if nb, err = readChunk(r, *b.b); err != nil || nb == 0 {
				chunkBuffers.Put(b.b)
				b = nil
			}
			if err != nil {
				chunkBuffers.Put(a.b)
				return total, err
			}
		}
		// Data chunks 2*pair and 2*pair+1 go to data files (2*pair)%4 and (2*pair+1)%4; the
		// parity chunk, half the pair's bytes rounded up (never more than the first chunk),
		// to parity file 4 or 5.
		a.refs.Store(2)
		sw.jobs[2*pair%diskData] <- stripeJob{(*a.b)[:na], a}
		if b != nil {
			b.refs.Store(1)
			sw.jobs[(2*pair+1)%diskData] <- stripeJob{(*b.b)[:nb], b}
		}
		sw.jobs[diskData+pair%diskParity] <- stripeJob{(*a.b)[:(na+nb+1)/2], a}
		total += int64(na + nb)
		if na+nb < 2*diskChunk {
			return total, nil
		}
	}
}

// finish waits until the writers have written and fsynced everything fed, and returns their
// errors.
func (sw *stripeWriter) finish() error {
	for _, ch := range sw.jobs {
		close(ch)
	}
	sw.wg.Wait()
	return errors.Join(sw.errs...)
}

// readChunk fills p from r as far as r goes; 0 or a short count means r has ended.
func readChunk(r io.Reader, p []byte) (int, error) {
	n, err := io.ReadFull(r, p)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		err = nil
	}
	return n, err
}

// Get reads the object's chunks back from the four data files, in stream order.
func (d *Disk) Get(ctx context.Context, key string, w io.Writer) (err error) {
	var files [diskData]*os.File
	defer func() {
		for _, f := range files {
			if f != nil {
				f.Close()
			}
		}
	}()
	for i := range files {
		if files[i], err = os.Open(d.name(key, i)); err != nil {
			return fmt.Errorf("disk: %w", err)
		}
	}
	buf := chunkBuffers.Get().(*[]byte)
	defer chunkBuffers.Put(buf)
	for i := int64(0); ; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := files[i%diskData].ReadAt(*buf, i/diskData*diskChunk)
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("disk: %w", err)
		}
		if _, err := w.Write((*buf)[:n]); err != nil {
			return err
		}
		if n < diskChunk {
			return nil // the stream's last chunk is the first short one
		}
	}
}

// syncDir fsyncs a directory, making the entries created in it durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("disk: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("disk: %w", err)
	}
	return nil
}
