package loadgen

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"sync/atomic"
)

// sourceSize is the size of the buffer bodies are streamed from. It is a few MiB, so that the
// client's memory does not grow with the object size, and deliberately not a multiple of any
// power of two, so that the 1 MiB chunks of a large object differ from each other.
const sourceSize = 4*MiB + 4099

// maxWriteTo bounds the slices a body hands to a writer at once, so that progress advances
// while a large object streams.
const maxWriteTo = MiB

// source is a buffer of pseudo-random bytes that bodies stream from. It is read-only once built
// and shared by every worker.
type source struct {
	buf []byte
}

// newSource fills a buffer from a ChaCha8 stream with the given seed.
func newSource(seed uint64) *source {
	var s [32]byte
	for i := range 4 {
		for j := range 8 {
			s[8*i+j] = byte((seed + uint64(i)) >> (8 * j))
		}
	}
	buf := make([]byte, sourceSize)
	rand.NewChaCha8(s).Read(buf)
	return &source{buf: buf}
}

// body returns a reader of size bytes starting at an offset chosen by seed, so that objects
// with different seeds have different content. Each byte read is added to live.
func (s *source) body(seed uint64, size int64, live *atomic.Int64) *body {
	return &body{buf: s.buf, off: int(seed % uint64(len(s.buf))), left: size, live: live}
}

// body streams bytes from a source buffer, wrapping around at its end. It implements
// io.WriterTo, so that io.Copy hands the buffer's own slices to the writer without copying.
type body struct {
	buf  []byte
	off  int   // next byte of buf
	left int64 // bytes still to yield
	live *atomic.Int64
}

// next returns the next run of bytes, at most max long, and advances past it.
func (b *body) next(max int) []byte {
	n := min(len(b.buf)-b.off, max)
	if int64(n) > b.left {
		n = int(b.left)
	}
	p := b.buf[b.off : b.off+n]
	b.off += n
	if b.off == len(b.buf) {
		b.off = 0
	}
	b.left -= int64(n)
	b.live.Add(int64(n))
	return p
}

func (b *body) Read(p []byte) (int, error) {
	if b.left == 0 {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && b.left > 0 {
		n += copy(p[n:], b.next(len(p)-n))
	}
	return n, nil
}

// WriteTo writes the rest of the body to w.
func (b *body) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for b.left > 0 {
		p := b.next(maxWriteTo)
		n, err := w.Write(p)
		total += int64(n)
		if err != nil {
			return total, err
		}
		if n < len(p) {
			return total, io.ErrShortWrite
		}
	}
	return total, nil
}

// counter is the writer a Get writes to: it counts and discards.
type counter struct {
	n    int64
	live *atomic.Int64
}

func (c *counter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	c.live.Add(int64(len(p)))
	return len(p), nil
}

// checker is the writer a Get writes to with Config.Verify: it counts like counter and compares
// every byte with want, the body as it was put, replayed from the source buffer. Bytes beyond
// want's end are only counted: the runner's length check fails them.
type checker struct {
	*counter
	want *body
}

func (c *checker) Write(p []byte) (int, error) {
	at := c.n // offset of p[0] in the object
	c.counter.Write(p)
	for q := p; len(q) > 0 && c.want.left > 0; {
		w := c.want.next(len(q))
		if !bytes.Equal(q[:len(w)], w) {
			for i := range w {
				if q[i] != w[i] {
					return 0, fmt.Errorf("loadgen: byte %d of the object differs from what was put", at+int64(i))
				}
			}
		}
		at += int64(len(w))
		q = q[len(w):]
	}
	return len(p), nil
}
