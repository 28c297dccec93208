package memspace

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"iter"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jointcloud/jcs/engine/space"
)

var _ space.Files = (*Files)(nil)

// Files is an in-memory space.Files, the twin of a local directory's file view for engine
// tests. Like a directory, and unlike a bucket, it refuses a path that is both a file and a
// directory ("a" and "a/b"), and a directory exists only while it holds files. It has no
// symbolic links, so no path can be unsafe once ValidatePath accepts it.
//
// Files are byte slices that are never modified once stored, as in Space, so a reader keeps
// the content it opened. The zero value is not usable; call NewFiles. It is safe for
// concurrent use.
type Files struct {
	mu    sync.RWMutex
	files map[string]blob
	paths []string // keys of files in byte order, so that Walk does not sort
}

// NewFiles returns an empty Files.
func NewFiles() *Files {
	return &Files{files: make(map[string]blob)}
}

// Walk implements space.Files. It takes a snapshot of the matching files and calls fn without
// holding a lock, so fn may call the other methods; files written during the walk may or may
// not be visited.
func (v *Files) Walk(ctx context.Context, dir string, fn func(space.FileInfo) error) error {
	if dir != "" {
		if err := space.ValidatePath(dir); err != nil {
			return fmt.Errorf("memspace: walk: %w", err)
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memspace: walk %q: %w", dir, err)
	}
	infos := v.snapshot(dir)
	if infos == nil && dir != "" {
		return fmt.Errorf("memspace: walk %q: %w", dir, space.ErrNotExist)
	}
	for _, info := range infos {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("memspace: walk %q: %w", dir, err)
		}
		if err := fn(info); err != nil {
			return err
		}
	}
	return nil
}

// snapshot describes the file dir, or the files below the directory dir ("" for the root), in
// byte order; nil means there are none.
func (v *Files) snapshot(dir string) []space.FileInfo {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if b, ok := v.files[dir]; ok {
		return []space.FileInfo{b.fileInfo(dir)}
	}
	prefix := dir
	if dir != "" {
		prefix += "/"
	}
	var infos []space.FileInfo
	i, _ := slices.BinarySearch(v.paths, prefix)
	for ; i < len(v.paths) && strings.HasPrefix(v.paths[i], prefix); i++ {
		infos = append(infos, v.files[v.paths[i]].fileInfo(v.paths[i]))
	}
	return infos
}

func (b blob) fileInfo(path string) space.FileInfo {
	return space.FileInfo{Path: path, Size: int64(len(b.data)), ModTime: b.modTime}
}

// OpenFile implements space.Files. The reader shares the file's bytes and keeps them after the
// path is replaced. The caller must Close it.
func (v *Files) OpenFile(ctx context.Context, path string) (io.ReadCloser, space.FileInfo, error) {
	if err := checkPath(ctx, "open file", path); err != nil {
		return nil, space.FileInfo{}, err
	}
	v.mu.RLock()
	b, ok := v.files[path]
	v.mu.RUnlock()
	if !ok {
		return nil, space.FileInfo{}, fmt.Errorf("memspace: open file %q: %w", path, space.ErrNotExist)
	}
	return io.NopCloser(bytes.NewReader(b.data)), b.fileInfo(path), nil
}

// WriteFile implements space.Files. It collects r as Put does and stores the file only when r
// is exhausted, its length is right and the context is still live.
func (v *Files) WriteFile(ctx context.Context, path string, r io.Reader, size int64) error {
	if err := checkPath(ctx, "write file", path); err != nil {
		return err
	}
	data, err := collect(ctx, r, size)
	if err == nil {
		err = v.store(path, data)
	}
	if err != nil {
		return fmt.Errorf("memspace: write file %q: %w", path, err)
	}
	return nil
}

// collect reads r into a new slice, failing with space.ErrSizeMismatch unless r yields exactly
// size bytes (when size >= 0), and with ctx's error once ctx is done, even after the last byte.
func collect(ctx context.Context, r io.Reader, size int64) ([]byte, error) {
	w := &blobWriter{ctx: ctx, size: size}
	if size >= 0 {
		// One spare byte lets the final Read report io.EOF, or an excess byte, without growing.
		w.buf = make([]byte, 0, min(size+1, maxPrealloc))
	}
	_, err := io.Copy(w, r)
	switch {
	case w.tooLong:
		return nil, fmt.Errorf("%w: more than %d bytes", space.ErrSizeMismatch, size)
	case err != nil:
		return nil, err
	case size >= 0 && int64(len(w.buf)) != size:
		return nil, fmt.Errorf("%w: got %d bytes, want %d", space.ErrSizeMismatch, len(w.buf), size)
	}
	return w.buf, ctx.Err()
}

// store publishes data at path, replacing any file there, unless path or one of its parents
// would be both a file and a directory.
func (v *Files) store(path string, data []byte) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	for dir := range parents(path) {
		if _, ok := v.files[dir]; ok {
			return fmt.Errorf("parent %q is a file", dir)
		}
	}
	i, found := slices.BinarySearch(v.paths, path)
	if !found {
		// Names such as "a-b" sort between "a" and "a/", so look for the directory's first
		// file where it would be.
		j, _ := slices.BinarySearch(v.paths[i:], path+"/")
		if i+j < len(v.paths) && strings.HasPrefix(v.paths[i+j], path+"/") {
			return fmt.Errorf("%q is a directory", path)
		}
		v.paths = slices.Insert(v.paths, i, path)
	}
	v.files[path] = blob{data: data, modTime: time.Now()}
	return nil
}

// parents yields the proper ancestors of path: "a" and "a/b" for "a/b/c".
func parents(path string) iter.Seq[string] {
	return func(yield func(string) bool) {
		for i := range len(path) {
			if path[i] == '/' && !yield(path[:i]) {
				return
			}
		}
	}
}

// checkPath validates path and ctx, the preamble of OpenFile and WriteFile.
func checkPath(ctx context.Context, op, path string) error {
	if err := space.ValidatePath(path); err != nil {
		return fmt.Errorf("memspace: %s: %w", op, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memspace: %s %q: %w", op, path, err)
	}
	return nil
}
