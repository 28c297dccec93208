package localdir

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"sync"
	"syscall"

	"github.com/jointcloud/jcs/engine/space"
)

// copyBufferSize is the buffer that carries sources without io.WriterTo into the file. It is
// larger than io.Copy's 32 KiB so that a multi-GiB shard costs fewer write syscalls.
const copyBufferSize = 1 << 20

var copyBuffers = sync.Pool{New: func() any { b := make([]byte, copyBufferSize); return &b }}

// Put implements space.Space. A blob of up to Options.PackMax bytes becomes a record in the
// active pack (see pack.go); when size is unknown, Put reads that much ahead to find out. Any other is written to a temporary file, which is fsynced,
// renamed over name and its directory fsynced; if r implements io.WriterTo, r writes straight
// into the file, and the temporary file is removed on every failure before the rename.
//
// One failure breaks the contract's "nothing new is visible": if fsyncing the directory fails
// after the rename, the blob is visible but its durability is unknown, so Put reports the error.
// The old blob is gone by then, and there is nothing to roll back to.
func (s *Space) Put(ctx context.Context, name string, r io.Reader, size int64) error {
	if err := s.check(ctx, "put", name); err != nil {
		return err
	}
	if size < 0 && s.packs.max >= 0 {
		// Unknown size: read up to a pack's worth to find out.
		buf := s.packs.buffer(int(s.packs.max) + 1)
		defer s.packs.bufs.Put(buf)
		n, err := io.ReadFull(r, *buf)
		switch {
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			r, size = bytes.NewReader((*buf)[:n]), int64(n)
		case err != nil:
			return putError(name, err)
		default:
			r = io.MultiReader(bytes.NewReader(*buf), r)
		}
	}
	if s.packs.takes(size) {
		if err := s.packs.put(ctx, name, r, size); err != nil {
			return putError(name, err)
		}
		return nil // a file of the same name, if any, is shadowed until Delete
	}
	tmp, err := s.writeTemp(ctx, r, size)
	if err != nil {
		return putError(name, err)
	}
	if err := s.publish(ctx, tmp, name); err != nil {
		s.root.Remove(tmp)
		return putError(name, err)
	}
	// A packed blob of the same name would shadow the file: the replacement is only complete
	// once its tombstone is durable.
	if err := s.packs.unshadow(name); err != nil {
		return putError(name, err)
	}
	return nil
}

// batchBytes bounds the records PutBatch appends with one write.
const batchBytes = 8 << 20

// PutBatch stores blobs as Put would; the ones the packs take are appended together, with one
// write and one sync per batchBytes of records (see space.Batcher).
func (s *Space) PutBatch(ctx context.Context, blobs []space.Blob) error {
	var group []space.Blob
	n := 0
	flush := func() error {
		if len(group) == 0 {
			return nil
		}
		err := s.packs.putBatch(group)
		group, n = group[:0], 0
		if err != nil {
			return fmt.Errorf("localdir: put a batch: %w", err)
		}
		return nil
	}
	for _, b := range blobs {
		if err := s.check(ctx, "put", b.Name); err != nil {
			return err
		}
		if !s.packs.takes(int64(len(b.Data))) {
			if err := s.Put(ctx, b.Name, bytes.NewReader(b.Data), int64(len(b.Data))); err != nil {
				return err
			}
			continue
		}
		if n > 0 && n+len(b.Data) > batchBytes {
			if err := flush(); err != nil {
				return err
			}
		}
		group = append(group, b)
		n += recordHeaderLen + len(b.Name) + len(b.Data)
	}
	return flush()
}

// putError wraps err without turning "not exist" into space.ErrNotExist, which would be
// meaningless for a Put.
func putError(name string, err error) error {
	return fmt.Errorf("localdir: put %q: %w", name, err)
}

// writeTemp copies r into a new durable temporary file and returns its name. On failure it
// removes the file.
func (s *Space) writeTemp(ctx context.Context, r io.Reader, size int64) (string, error) {
	f, tmp, direct, err := s.createTempDirect()
	if err != nil {
		return "", err
	}
	w := &checkedWriter{ctx: ctx, f: f, dst: f, size: size}
	var dw *directWriter
	if direct {
		dw = newDirectWriter(f)
		defer dw.release()
		w.dst = dw
	}
	err = copyChecked(w, r)
	if err == nil && dw != nil {
		err = dw.finish()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		s.root.Remove(tmp)
		return "", err
	}
	return tmp, nil
}

// createTempDirect is createTemp with direct I/O if the file system takes it (see direct.go),
// reporting whether it does.
func (s *Space) createTempDirect() (*os.File, string, bool, error) {
	if directIO {
		f, tmp, err := s.createTempFlags(directFlag)
		if err == nil {
			return f, tmp, true, nil
		}
		if !errors.Is(err, syscall.EINVAL) {
			return nil, "", false, err
		}
	}
	f, tmp, err := s.createTemp()
	return f, tmp, false, err
}

// createTemp creates a file with a fresh random name in TempDir. It recreates TempDir if
// someone removed it, and retries on the unlikely name collision.
func (s *Space) createTemp() (*os.File, string, error) { return s.createTempFlags(0) }

// createTempFlags is createTemp with extra open flags.
func (s *Space) createTempFlags(flags int) (*os.File, string, error) {
	var err error
	for range 10 {
		tmp := fmt.Sprintf("%s/%016x", TempDir, rand.Uint64())
		var f *os.File
		f, err = s.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL|flags, filePerm)
		switch {
		case err == nil:
			return f, tmp, nil
		case errors.Is(err, fs.ErrNotExist):
			if err := s.ensureTempDir(); err != nil {
				return nil, "", err
			}
		case !errors.Is(err, fs.ErrExist):
			return nil, "", err
		}
	}
	return nil, "", err
}

// publish renames tmp over name once the directory exists, and makes the rename durable.
func (s *Space) publish(ctx context.Context, tmp, name string) error {
	dir := path.Dir(name)
	if err := s.ensureDir(dir); err != nil {
		return err
	}
	// The last point at which cancellation can stop the Put: after the rename it is done.
	if err := ctx.Err(); err != nil {
		return err
	}
	err := s.root.Rename(tmp, name)
	if isNotExist(err) {
		// A directory we remembered was removed behind our back: create it again, once.
		s.dirs.reset()
		if err := s.ensureDir(dir); err != nil {
			return err
		}
		err = s.root.Rename(tmp, name)
	}
	if err != nil {
		return err
	}
	return s.syncDir(dir)
}

// bytesPerSync is how much a file grows between requests to start writing it back; see
// startWriteback.
const bytesPerSync = 4 << 20

// copyChecked copies r through w, failing with ErrSizeMismatch unless r yields exactly w.size
// bytes (when w.size >= 0), and with w.ctx's error once it is done.
func copyChecked(w *checkedWriter, r io.Reader) error {
	ctx, size := w.ctx, w.size
	var err error
	if wt, ok := r.(io.WriterTo); ok {
		_, err = wt.WriteTo(w)
	} else {
		buf := copyBuffers.Get().(*[]byte)
		_, err = io.CopyBuffer(w, r, *buf)
		copyBuffers.Put(buf)
	}
	// Our own verdicts come first: a source's WriteTo may replace the error Write returned.
	switch {
	case w.tooLong:
		return fmt.Errorf("%w: more than %d bytes", space.ErrSizeMismatch, size)
	case ctx.Err() != nil:
		return ctx.Err()
	case err != nil:
		return err
	case size >= 0 && w.n != size:
		return fmt.Errorf("%w: got %d bytes, want %d", space.ErrSizeMismatch, w.n, size)
	}
	return nil
}

// checkedWriter writes to dst (f, or a directWriter over f) while counting bytes, so that the
// size check needs no second pass over the file. It deliberately has no ReadFrom:
// io.CopyBuffer then uses the pooled buffer, and every write goes through the checks here.
type checkedWriter struct {
	ctx     context.Context
	f       *os.File
	dst     io.Writer
	n       int64 // bytes written
	synced  int64 // bytes whose writeback has been started
	size    int64 // announced size, or -1
	tooLong bool  // the source yielded more than size bytes
}

func (w *checkedWriter) Write(p []byte) (int, error) {
	if err := w.ctx.Err(); err != nil {
		return 0, err
	}
	if w.size >= 0 && w.n+int64(len(p)) > w.size {
		w.tooLong = true
		return 0, space.ErrSizeMismatch
	}
	n, err := w.dst.Write(p)
	w.n += int64(n)
	if w.dst == io.Writer(w.f) && w.n-w.synced >= bytesPerSync { // direct writes need no writeback
		startWriteback(w.f, w.synced, w.n-w.synced)
		w.synced = w.n
	}
	return n, err
}
