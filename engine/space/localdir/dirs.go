package localdir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sync"
)

// maxCachedDirs bounds dirCache. Past it the cache starts over, which costs one Mkdir and one
// fsync per directory in use, rather than growing with the number of directories ever used.
const maxCachedDirs = 1 << 16

// dirCache remembers directories known to exist and to be durable, so that the hot path of Put
// neither calls Mkdir nor fsyncs a parent for a directory it has seen.
type dirCache struct {
	mu   sync.RWMutex
	dirs map[string]struct{}
}

func (c *dirCache) has(dir string) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	_, ok := c.dirs[dir]
	return ok
}

func (c *dirCache) add(dir string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dirs == nil || len(c.dirs) >= maxCachedDirs {
		c.dirs = make(map[string]struct{})
	}
	c.dirs[dir] = struct{}{}
}

// reset forgets every directory, for when one has been removed behind our back.
func (c *dirCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dirs = nil
}

// ensureDir makes dir and its ancestors exist as durable directories. It fsyncs the parent of
// each directory it has not seen before, including directories that already existed, because
// another Put or a crashed process may have created one without making it durable yet.
func (s *Space) ensureDir(dir string) error {
	if dir == "." || s.dirs.has(dir) {
		return nil
	}
	parent := path.Dir(dir)
	if err := s.ensureDir(parent); err != nil {
		return err
	}
	err := s.root.Mkdir(dir, dirPerm)
	if errors.Is(err, fs.ErrExist) {
		err = s.requireDir(dir)
	}
	if err != nil {
		return err
	}
	if err := s.syncDir(parent); err != nil {
		return err
	}
	s.dirs.add(dir)
	return nil
}

// requireDir checks that dir is a real directory, not a file or a symbolic link, so that Put
// never writes through a link even when it stays inside the root.
func (s *Space) requireDir(dir string) error {
	fi, err := s.root.Lstat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%q exists and is not a directory", dir)
	}
	return nil
}

// syncDir fsyncs dir, which makes the entries created or renamed in it durable.
func (s *Space) syncDir(dir string) error { return syncDirOf(s.root, dir) }

// syncDirOf fsyncs dir under root.
func syncDirOf(root *os.Root, dir string) error {
	f, err := root.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
