package s3space

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/jointcloud/jcs/engine/space"
)

// errDetached is what a source returns once Put has returned. Nobody should see it: the HTTP
// transport reads a request body in a goroutine of its own, which may outlive the request.
var errDetached = errors.New("s3space: source read after put returned")

// source wraps the reader given to Put. It fails with space.ErrSizeMismatch as soon as the
// reader yields more or fewer bytes than announced, and with ctx's error once ctx is done, so
// that a request body carrying the wrong bytes never reaches its end: S3 then discards it
// rather than publishing it. It remembers the first failure so that Put reports its own
// verdict rather than the SDK's rendering of it.
//
// When the size is known, the last bytes are released only after the reader has confirmed
// io.EOF; otherwise a request with Content-Length set would complete, and the server publish
// it, before the surplus came to light.
type source struct {
	mu       sync.Mutex // held across reads: see detach
	ctx      context.Context
	r        io.Reader
	size     int64 // announced size, or -1
	n        int64 // bytes read from r
	eof      bool  // r returned io.EOF, and the count was right
	err      error // first failure: r's error, a size mismatch or ctx's error
	detached bool
}

func newSource(ctx context.Context, r io.Reader, size int64) *source {
	return &source{ctx: ctx, r: r, size: max(size, -1)}
}

// Read implements io.Reader. Its errors are sticky.
func (s *source) Read(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.detached:
		return 0, errDetached
	case s.err != nil:
		return 0, s.err
	case s.eof:
		return 0, io.EOF
	case s.ctx.Err() != nil:
		return 0, s.fail(s.ctx.Err())
	case len(p) == 0:
		return 0, nil
	}
	n, err := s.r.Read(p)
	s.n += int64(n)
	switch {
	case s.size >= 0 && s.n > s.size:
		return 0, s.fail(fmt.Errorf("%w: more than %d bytes", space.ErrSizeMismatch, s.size))
	case err == io.EOF:
		if s.size >= 0 && s.n != s.size {
			return 0, s.fail(fmt.Errorf("%w: got %d bytes, want %d", space.ErrSizeMismatch, s.n, s.size))
		}
		s.eof = true
	case err != nil:
		return 0, s.fail(err)
	case s.size >= 0 && s.n == s.size:
		if err := s.expectEOF(); err != nil {
			return 0, s.fail(err)
		}
		s.eof = true
	}
	// A cancellation during the read must stop the body before its end, too.
	if err := s.ctx.Err(); err != nil {
		return 0, s.fail(err)
	}
	if n == 0 && s.eof {
		return 0, io.EOF
	}
	return n, nil
}

// expectEOF reads from r, which has yielded its announced size, until io.EOF.
func (s *source) expectEOF() error {
	var b [1]byte
	for range 100 {
		n, err := s.r.Read(b[:])
		switch {
		case n > 0:
			return fmt.Errorf("%w: more than %d bytes", space.ErrSizeMismatch, s.size)
		case err == io.EOF:
			return nil
		case err != nil:
			return err
		}
	}
	return io.ErrNoProgress
}

func (s *source) fail(err error) error {
	s.err = err
	return err
}

// detach makes every later Read fail without touching r, waits for a Read in progress, and
// returns the source's failure, if any. Put calls it before returning, so that r is never used
// after Put returns.
func (s *source) detach() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.detached = true
	return s.err
}

// readAll reads the whole source, which announced size bytes (or -1), into memory.
func (s *source) readAll() ([]byte, error) {
	var buf bytes.Buffer
	if s.size >= 0 {
		buf.Grow(int(s.size) + bytes.MinRead) // room for the read that sees io.EOF
	}
	_, err := buf.ReadFrom(s)
	return buf.Bytes(), err
}

// readPart fills p from the source. It returns the number of bytes read and whether the
// source is exhausted; a part shorter than p is always the last.
func (s *source) readPart(p []byte) (n int, last bool, err error) {
	n, err = io.ReadFull(s, p)
	s.mu.Lock()
	failed, eof := s.err, s.eof
	s.mu.Unlock()
	switch {
	case failed != nil:
		// Checked first: the reader's own error may be io.ErrUnexpectedEOF, which must not
		// pass for the end of the source.
		return n, false, failed
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return n, true, nil
	case err != nil:
		return n, false, err
	}
	return n, eof, nil // a known size may end exactly at the end of p
}
