package memspace

import (
	"context"
	"fmt"
	"io"

	"github.com/jointcloud/jcs/engine/space"
)

const (
	// maxPrealloc bounds the buffer Put allocates up front from an announced size, so that a
	// wrong or hostile size cannot exhaust memory before any byte arrives.
	maxPrealloc = 64 << 20
	// minGrow is the first chunk Put allocates when the size is unknown.
	minGrow = 64 << 10
)

// Put implements space.Space. It copies r into a new slice, sized once when the size is
// announced and grown by doubling otherwise, and publishes it only when r is exhausted and its
// length is right.
func (s *Space) Put(ctx context.Context, name string, r io.Reader, size int64) error {
	if err := check(ctx, "put", name); err != nil {
		return err
	}
	w := &blobWriter{ctx: ctx, size: size}
	if size >= 0 {
		// One spare byte lets the final Read report io.EOF, or an excess byte, without growing.
		w.buf = make([]byte, 0, min(size+1, maxPrealloc))
	}
	_, err := io.Copy(w, r)
	switch {
	case w.tooLong:
		return fmt.Errorf("memspace: put %q: %w: more than %d bytes", name, space.ErrSizeMismatch, size)
	case err != nil:
		return fmt.Errorf("memspace: put %q: %w", name, err)
	case size >= 0 && int64(len(w.buf)) != size:
		return fmt.Errorf("memspace: put %q: %w: got %d bytes, want %d", name, space.ErrSizeMismatch, len(w.buf), size)
	}
	// The last check before publishing, so that a Put cancelled at any time publishes nothing.
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memspace: put %q: %w", name, err)
	}
	s.store(name, w.buf)
	return nil
}

// blobWriter collects the content of one Put. Write serves sources that implement io.WriterTo;
// ReadFrom serves the others and reads straight into the buffer's spare capacity, so neither
// path copies through an intermediate buffer.
type blobWriter struct {
	ctx     context.Context
	buf     []byte
	size    int64 // announced size, or -1
	tooLong bool  // the source yielded more than size bytes
	probe   [512]byte
}

func (w *blobWriter) Write(p []byte) (int, error) {
	if err := w.ctx.Err(); err != nil {
		return 0, err
	}
	if w.size >= 0 && int64(len(w.buf)+len(p)) > w.size {
		w.tooLong = true
		return 0, space.ErrSizeMismatch
	}
	w.grow(len(p))
	w.buf = append(w.buf, p...)
	return len(p), nil
}

func (w *blobWriter) ReadFrom(r io.Reader) (int64, error) {
	var total int64
	for {
		if err := w.ctx.Err(); err != nil {
			return total, err
		}
		n, err := w.readOnce(r)
		total += int64(n)
		if w.size >= 0 && int64(len(w.buf)) > w.size {
			w.tooLong = true
			return total, space.ErrSizeMismatch
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// readOnce reads from r once, into the spare capacity of buf. When buf is full it reads into
// the small probe instead, so that a source which is exactly at its end does not double the
// buffer only to report io.EOF.
func (w *blobWriter) readOnce(r io.Reader) (int, error) {
	if len(w.buf) < cap(w.buf) {
		n, err := r.Read(w.buf[len(w.buf):cap(w.buf)])
		w.buf = w.buf[:len(w.buf)+n]
		return n, err
	}
	n, err := r.Read(w.probe[:])
	w.grow(n)
	w.buf = append(w.buf, w.probe[:n]...)
	return n, err
}

// grow makes room for n more bytes, at least doubling the capacity so that filling a blob of
// any size copies each byte a bounded number of times.
func (w *blobWriter) grow(n int) {
	if cap(w.buf)-len(w.buf) >= n {
		return
	}
	newCap := max(2*cap(w.buf), len(w.buf)+n, minGrow)
	buf := make([]byte, len(w.buf), newCap)
	copy(buf, w.buf)
	w.buf = buf
}
