package faultspace

import (
	"context"
	"io"

	"github.com/jointcloud/jcs/engine/space"
)

// reader wraps a reader of the inner space and applies the faults of OpReadAt and Corrupt on
// each call.
type reader struct {
	space.Reader
	s    *Space
	name string
}

func (r *reader) ReadAt(p []byte, off int64) (int, error) {
	if err := r.s.wait(context.Background(), OpReadAt, r.name); err != nil {
		return 0, err
	}
	if err := r.s.injected(OpReadAt, r.name); err != nil {
		return 0, err
	}
	n, err := r.Reader.ReadAt(p, off)
	r.s.corrupt(r.name, p[:n], off)
	return n, err
}

// corrupt inverts the bytes of p, read at off from name, that a corruption covers.
func (s *Space) corrupt(name string, p []byte, off int64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, c := range s.corruptions {
		if c.match != nil && !c.match(name) {
			continue
		}
		from, to := max(c.off, off), min(c.off+c.n, off+int64(len(p)))
		for i := from; i < to; i++ {
			p[i-off] ^= 0xff
		}
	}
}

// brokenReader passes left bytes of r through and then fails with err, to break a Put part
// way. It hides io.WriterTo on purpose: the fault must strike between two reads.
type brokenReader struct {
	r    io.Reader
	left int64
	err  error
}

func (r *brokenReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, r.err
	}
	n, err := r.r.Read(p[:min(int64(len(p)), r.left)])
	r.left -= int64(n)
	return n, err
}
