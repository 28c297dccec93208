package memspace

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sync/atomic"
)

// reader is the space.Reader that Open returns. ReadAt only reads data, so it is safe for
// concurrent use.
type reader struct {
	name   string
	data   []byte
	closed atomic.Bool
}

// errNegativeOffset matches what os.File.ReadAt reports, so that both twins fail alike.
var errNegativeOffset = errors.New("memspace: negative offset")

func (r *reader) ReadAt(p []byte, off int64) (int, error) {
	if r.closed.Load() {
		return 0, fmt.Errorf("memspace: read %q: %w", r.name, fs.ErrClosed)
	}
	if off < 0 {
		return 0, errNegativeOffset
	}
	if off >= int64(len(r.data)) {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	n := copy(p, r.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (r *reader) Size() int64 { return int64(len(r.data)) }

// Close releases nothing but marks the reader closed, so that later reads fail as they would
// on a file.
func (r *reader) Close() error {
	if r.closed.Swap(true) {
		return fmt.Errorf("memspace: close %q: %w", r.name, fs.ErrClosed)
	}
	return nil
}
