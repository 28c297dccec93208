package localdir

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"

	"github.com/jointcloud/jcs/engine/space"
)

const (
	// defaultLimit is the number of blobs List returns when the caller passes limit <= 0.
	defaultLimit = 1000
	// readDirBatch is how many entries List reads from a directory at a time, so that it holds
	// only the relevant entries of a large directory, not all of them.
	readDirBatch = 1024
)

// List implements space.Space. It merges the packed blobs with a walk of the tree, depth first
// in byte order of names, reading one directory at a time, skipping subtrees that lie wholly
// outside prefix or at or before after, and stopping as soon as it has one blob more than
// limit. Only regular files with valid names are blobs; TempDir, PackDir, symbolic links and
// other entries are skipped. A packed blob hides a file of the same name, as in Open.
func (s *Space) List(ctx context.Context, prefix, after string, limit int) ([]space.Info, string, error) {
	if err := ctx.Err(); err != nil {
		return nil, "", fmt.Errorf("localdir: list %q: %w", prefix, err)
	}
	if limit <= 0 {
		limit = defaultLimit
	}
	// One blob beyond limit tells whether a next page exists, so next is "" exactly when the
	// listing is complete.
	l := &lister{s: s, ctx: ctx, prefix: prefix, after: after, want: limit + 1}
	if err := l.walk(""); err != nil {
		return nil, "", fmt.Errorf("localdir: list %q: %w", prefix, err)
	}
	infos := mergeInfos(s.packs.list(prefix, after, limit+1), l.infos, limit+1)
	if len(infos) > limit {
		infos = infos[:limit]
		return infos, infos[limit-1].Name, nil
	}
	return infos, "", nil
}

// mergeInfos merges two listings sorted by name into the first want, taking a's entry when
// both have a name.
func mergeInfos(a, b []space.Info, want int) []space.Info {
	if len(a) == 0 {
		return b
	}
	out := make([]space.Info, 0, min(want, len(a)+len(b)))
	for len(out) < want && (len(a) > 0 || len(b) > 0) {
		switch {
		case len(b) == 0 || (len(a) > 0 && a[0].Name < b[0].Name):
			out, a = append(out, a[0]), a[1:]
		case len(a) == 0 || b[0].Name < a[0].Name:
			out, b = append(out, b[0]), b[1:]
		default:
			out, a, b = append(out, a[0]), a[1:], b[1:]
		}
	}
	return out
}

// lister is the state of one List call.
type lister struct {
	s             *Space
	ctx           context.Context
	prefix, after string
	want          int
	infos         []space.Info
}

// entry is a directory entry that may hold results. key is its path, with a trailing '/' for a
// directory: every name in a directory's subtree starts with its key, so sorting a directory's
// entries by key puts their subtrees in byte order. Sorting by bare name would not: "a.c"
// sorts before "a/b" in bytes, yet "a" sorts before "a.c".
type entry struct {
	key  string
	dir  bool
	info fs.FileInfo
}

// walk appends the results under dir (relative to the root, "" for the root) to l.infos.
func (l *lister) walk(dir string) error {
	entries, err := l.readDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if len(l.infos) == l.want {
			return nil
		}
		if err := l.ctx.Err(); err != nil {
			return err
		}
		if e.dir {
			if err := l.walk(strings.TrimSuffix(e.key, "/")); err != nil {
				return err
			}
			continue
		}
		l.infos = append(l.infos, space.Info{Name: e.key, Size: e.info.Size(), ModTime: e.info.ModTime()})
	}
	return nil
}

// readDir returns the entries of dir that may hold results, sorted by key. A directory that
// vanished since its parent was read has no entries.
func (l *lister) readDir(dir string) ([]entry, error) {
	f, err := l.s.root.Open(orDot(dir))
	if isNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var entries []entry
	for {
		batch, err := f.ReadDir(readDirBatch)
		for _, d := range batch {
			if e, ok := l.relevant(dir, d); ok {
				entries = append(entries, e)
			}
		}
		if errors.Is(err, io.EOF) || (err == nil && len(batch) == 0) {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.key, b.key) })
	return entries, nil
}

// relevant turns d, an entry of dir, into an entry if its subtree may hold results.
func (l *lister) relevant(dir string, d fs.DirEntry) (entry, bool) {
	name := d.Name()
	if dir != "" {
		name = dir + "/" + name
	}
	switch {
	case d.IsDir():
		key := name + "/"
		return entry{key: key, dir: true}, name != TempDir && name != PackDir && l.mayHold(key)
	case d.Type().IsRegular():
		return l.file(name, d)
	}
	return entry{}, false // symbolic links, devices, sockets: not blobs
}

// mayHold reports whether a subtree whose names all start with key can hold results: some of
// its names must match prefix, and some must sort after after. All its names lie strictly
// between key and key with the '/' replaced by '0', so it lies wholly at or before after when
// after is past key without starting with it.
func (l *lister) mayHold(key string) bool {
	matches := strings.HasPrefix(key, l.prefix) || strings.HasPrefix(l.prefix, key)
	passed := l.after > key && !strings.HasPrefix(l.after, key)
	return matches && !passed
}

// file turns the regular file name into an entry if it is a result.
func (l *lister) file(name string, d fs.DirEntry) (entry, bool) {
	if !strings.HasPrefix(name, l.prefix) || name <= l.after || validateName(name) != nil {
		return entry{}, false
	}
	info, err := d.Info() // free: ReadDir in an os.Root has already called lstat
	if err != nil {
		return entry{}, false
	}
	return entry{key: name, info: info}, true
}

// orDot returns dir, or "." for the root, which os.Root names that way.
func orDot(dir string) string {
	if dir == "" {
		return "."
	}
	return dir
}
