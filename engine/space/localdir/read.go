package localdir

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/jointcloud/jcs/engine/space"
)

// Open implements space.Space. The reader is the open file, so ReadAt is safe for concurrent
// use and keeps reading the content it opened after the name is replaced or deleted. The
// caller must Close it.
func (s *Space) Open(ctx context.Context, name string) (space.Reader, error) {
	if err := s.check(ctx, "open", name); err != nil {
		return nil, err
	}
	if r, ok := s.packs.open(name); ok {
		return r, nil
	}
	f, err := s.root.Open(name)
	if err != nil {
		return nil, opError("open", name, err)
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = space.ErrNotExist // a directory or device is not a blob
	}
	if err != nil {
		f.Close()
		return nil, opError("open", name, err)
	}
	return &fileReader{f: f, size: fi.Size()}, nil
}

// Stat implements space.Space.
func (s *Space) Stat(ctx context.Context, name string) (space.Info, error) {
	if err := s.check(ctx, "stat", name); err != nil {
		return space.Info{}, err
	}
	if e, ok := s.packs.get(name); ok {
		return space.Info{Name: name, Size: e.size, ModTime: time.Unix(0, e.mtime)}, nil
	}
	fi, err := s.root.Stat(name)
	if err == nil && !fi.Mode().IsRegular() {
		err = space.ErrNotExist
	}
	if err != nil {
		return space.Info{}, opError("stat", name, err)
	}
	return space.Info{Name: name, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// Delete implements space.Space. It removes the packed blob, appending a tombstone, and the
// file, or the symbolic link itself if name is one, but never a directory: a directory is not
// a blob, so Delete treats it as missing. Delete neither fsyncs the directory nor waits for
// the tombstone, so after a crash a deleted blob may reappear; garbage collection, being
// idempotent, deletes it again.
func (s *Space) Delete(ctx context.Context, name string) error {
	if err := s.check(ctx, "delete", name); err != nil {
		return err
	}
	if _, err := s.packs.remove(name); err != nil {
		return fmt.Errorf("localdir: delete %q: %w", name, err)
	}
	fi, err := s.root.Lstat(name)
	if err == nil && !fi.IsDir() {
		err = s.root.Remove(name)
	}
	if err != nil && !isNotExist(err) {
		return fmt.Errorf("localdir: delete %q: %w", name, err)
	}
	return nil
}

// check validates name and ctx, the preamble of every method that takes a name.
func (s *Space) check(ctx context.Context, op, name string) error {
	if err := validateName(name); err != nil {
		return fmt.Errorf("localdir: %s: %w", op, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("localdir: %s %q: %w", op, name, err)
	}
	return nil
}

// fileReader is the space.Reader that Open returns.
type fileReader struct {
	f    *os.File
	size int64
}

// ReadAt returns the file's errors unwrapped: io.EOF must stay io.EOF for callers that compare.
func (r *fileReader) ReadAt(p []byte, off int64) (int, error) { return r.f.ReadAt(p, off) }

func (r *fileReader) Size() int64 { return r.size }

func (r *fileReader) Close() error { return r.f.Close() }
