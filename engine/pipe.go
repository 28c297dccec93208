package engine

import (
	"errors"
	"io"
	"sync"
)

// errPipeReaderGone is what a pipe's writer sees when the reader side stopped without error,
// i.e. a space's Put returned before reading everything.
var errPipeReaderGone = errors.New("engine: shard consumer stopped reading")

// pipe connects an erasure encoder's shard writer to a space's Put without copying: Write hands
// its slice to the reader side and returns only once that slice has been consumed, so the
// reader can write it straight to a file. WriteTo is the fast path (a local space's
// os.File.ReadFrom uses it, so each block reaches the file in one write(2)); Read copies, for
// consumers that only read.
//
// Unlike io.Pipe, the reader side is an io.WriterTo, which is the whole point.
type pipe struct {
	mu   sync.Mutex
	cond sync.Cond
	buf  []byte // slice handed over by the current Write, not yet consumed
	werr error  // set by CloseWrite: io.EOF or the writer's error
	rerr error  // set by CloseRead: no more Writes are accepted
}

func newPipe() *pipe {
	p := &pipe{}
	p.cond.L = &p.mu
	return p
}

// Write hands b to the reader and waits until it has been consumed or the reader closed.
func (p *pipe) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rerr != nil {
		return 0, p.rerr
	}
	if p.werr != nil {
		return 0, io.ErrClosedPipe
	}
	p.buf = b
	p.cond.Broadcast()
	for p.buf != nil && p.rerr == nil {
		p.cond.Wait()
	}
	if p.buf != nil {
		n := len(b) - len(p.buf)
		p.buf = nil
		return n, p.rerr
	}
	return len(b), nil
}

// CloseWrite tells the reader no more data follows: it sees err, or io.EOF if err is nil.
func (p *pipe) CloseWrite(err error) {
	if err == nil {
		err = io.EOF
	}
	p.mu.Lock()
	if p.werr == nil {
		p.werr = err
	}
	p.cond.Broadcast()
	p.mu.Unlock()
}

// CloseRead stops the pipe from the reader side: pending and later Writes fail with err, or
// with errPipeReaderGone if err is nil.
func (p *pipe) CloseRead(err error) {
	if err == nil {
		err = errPipeReaderGone
	}
	p.mu.Lock()
	if p.rerr == nil {
		p.rerr = err
	}
	p.cond.Broadcast()
	p.mu.Unlock()
}

// next waits for a pending slice, returning nil and the writer's close error when there is
// none left. The caller holds p.mu.
func (p *pipe) next() ([]byte, error) {
	for p.buf == nil && p.werr == nil && p.rerr == nil {
		p.cond.Wait()
	}
	if p.rerr != nil {
		return nil, p.rerr
	}
	if p.buf == nil {
		return nil, p.werr
	}
	return p.buf, nil
}

// Read copies pending data into b.
func (p *pipe) Read(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	buf, err := p.next()
	if buf == nil {
		return 0, err
	}
	n := copy(b, buf)
	p.consumed(n)
	return n, nil
}

// consumed marks n pending bytes as taken and wakes the writer when all are. The caller holds
// p.mu.
func (p *pipe) consumed(n int) {
	p.buf = p.buf[n:]
	if len(p.buf) == 0 {
		p.buf = nil
		p.cond.Broadcast()
	}
}

// WriteTo writes each handed-over slice to w as it arrives, without copying it, until the
// writer closes. It returns nil when the writer closed cleanly.
func (p *pipe) WriteTo(w io.Writer) (int64, error) {
	var total int64
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		buf, err := p.next()
		if buf == nil {
			if err == io.EOF {
				err = nil
			}
			return total, err
		}
		// Write without the lock: the writer is parked until consumed, so buf is stable.
		p.mu.Unlock()
		n, werr := w.Write(buf)
		p.mu.Lock()
		total += int64(n)
		if werr == nil && n < len(buf) {
			werr = io.ErrShortWrite
		}
		if werr != nil {
			if p.rerr == nil {
				p.rerr = werr
			}
			p.cond.Broadcast()
			return total, werr
		}
		p.consumed(n)
	}
}
