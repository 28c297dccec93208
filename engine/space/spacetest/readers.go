package spacetest

import (
	"bytes"
	"errors"
	"io"
)

// errSource is the error the suite's failing readers return; Put must wrap it so that callers
// can tell a failed source from a failed space.
var errSource = errors.New("spacetest: source failed")

// sources are the shapes of reader that Put must accept: one that offers io.WriterTo (the path
// implementations should prefer) and ones that only Read, in large and tiny pieces.
var sources = []struct {
	name string
	wrap func(data []byte) io.Reader
}{
	{"writerto", func(data []byte) io.Reader { return bytes.NewReader(data) }},
	{"reader", func(data []byte) io.Reader { return readOnly{bytes.NewReader(data)} }},
	{"short reads", func(data []byte) io.Reader { return &shortReader{data: data, max: 7} }},
}

// readOnly hides every method of the wrapped reader except Read, so that implementations
// cannot take the io.WriterTo or io.Seeker path.
type readOnly struct{ r io.Reader }

func (r readOnly) Read(p []byte) (int, error) { return r.r.Read(p) }

// shortReader returns at most max bytes per Read, like a slow network body.
type shortReader struct {
	data []byte
	max  int
}

func (r *shortReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.max)], r.data)
	r.data = r.data[n:]
	return n, nil
}

// failingReader yields data, then fails with errSource instead of io.EOF.
type failingReader struct{ data []byte }

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, errSource
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

// failingWriterTo is a failingReader that also offers io.WriterTo, so that the failure reaches
// implementations through the fast path too.
type failingWriterTo struct{ failingReader }

func (r *failingWriterTo) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(r.data)
	if err != nil {
		return int64(n), err
	}
	return int64(n), errSource
}

// cancellingReader calls cancel after its first Read and then goes on yielding data, so that a
// Put which ignores its context would publish the blob.
type cancellingReader struct {
	data   []byte
	cancel func()
}

func (r *cancellingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), 4096)], r.data)
	r.data = r.data[n:]
	r.cancel()
	return n, nil
}

// blockingReader yields its first byte, closes started and then waits for release before
// yielding the rest. It lets a test look at the space while a Put is half done, without sleeps.
type blockingReader struct {
	data     []byte
	sent     bool
	started  chan struct{}
	release  chan struct{}
	released bool
}

func newBlockingReader(data []byte) *blockingReader {
	return &blockingReader{data: data, started: make(chan struct{}), release: make(chan struct{})}
}

func (r *blockingReader) Read(p []byte) (int, error) {
	if !r.sent && len(p) > 0 && len(r.data) > 0 {
		r.sent = true
		p[0], r.data = r.data[0], r.data[1:]
		return 1, nil
	}
	if !r.released {
		close(r.started)
		<-r.release
		r.released = true
	}
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

// trackingReader records whether Put read it to io.EOF and whether Put closed it, which the
// contract forbids.
type trackingReader struct {
	r      io.Reader
	eof    bool
	closed bool
}

func (r *trackingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err == io.EOF {
		r.eof = true
	}
	return n, err
}

func (r *trackingReader) Close() error {
	r.closed = true
	return nil
}
