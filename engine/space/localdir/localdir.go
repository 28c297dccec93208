// Package localdir is a space.Space that keeps blobs as files under a root directory.
//
// A blob named "a/b/c" is the file a/b/c under the root. Every file operation goes through an
// os.Root, so no name, symbolic link or concurrent rename can reach outside the root: a link
// that points outside makes the operation fail instead. Names are also checked with
// space.ValidateName, plus two rules of this package: the first segment must not be the
// reserved temporary directory (TempDir), and no segment may be longer than MaxSegmentLen
// bytes, which file systems reject.
//
// Put writes to a temporary file in TempDir, fsyncs it, renames it into place and fsyncs the
// directory, so a blob is either absent or whole and durable, even across a crash. A crash
// leaves at most a temporary file, which SweepTemp collects. Small blobs skip all that: they
// are records appended to shared pack files in PackDir, whose fsyncs concurrent Puts share,
// indexed in memory and compacted by Compact (see pack.go).
//
// Directories are created on demand and never removed, so that a Put never races a Delete
// that empties the directory it is about to rename into. Only regular files are blobs: List
// skips directories, symbolic links and other entries, and Put refuses to create a blob
// through a symbolic link. Open and Stat follow a link only while it stays inside the root,
// because os.Root does.
package localdir

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"

	"github.com/jointcloud/jcs/engine/space"
)

const (
	// TempDir is the directory under the root that holds the temporary files of Puts in
	// progress. Names whose first segment is TempDir are invalid in this package, and List
	// never shows its content.
	TempDir = ".tmp"

	// MaxSegmentLen is the longest segment of a name, in bytes, that this package accepts: the
	// NAME_MAX of common Linux file systems.
	MaxSegmentLen = 255

	filePerm = 0o644
	dirPerm  = 0o755
)

var (
	_ space.Space       = (*Space)(nil)
	_ space.TempSweeper = (*Space)(nil)
	_ space.Compactor   = (*Space)(nil)
)

// Space is a space.Space over a local directory. It is safe for concurrent use. Close releases
// the directory handle and the pack files it holds.
type Space struct {
	root  *os.Root
	dirs  dirCache
	packs *packStore
}

// New returns a Space over the existing directory root with default Options.
func New(root string) (*Space, error) {
	return Open(root, Options{})
}

// Open returns a Space over the existing directory root, creating TempDir and PackDir inside
// it if needed and reading the index of packed blobs from the packs. The directory stays in
// use even if it is renamed later, because the Space holds it open. Only one Space at a time
// may write to a directory.
func Open(root string, opts Options) (*Space, error) {
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("localdir: open root: %w", err)
	}
	s := &Space{root: r}
	if err := s.ensureTempDir(); err != nil {
		r.Close()
		return nil, err
	}
	if s.packs, err = openPacks(r, opts, s.syncDir, false); err != nil {
		r.Close()
		return nil, err
	}
	return s, nil
}

// Snapshot lists every blob under root, as List on a Space opened there would, without
// writing anything. It is for tools and tests that look at a directory a server is using: a
// Put or Delete running meanwhile may or may not show.
func Snapshot(ctx context.Context, root string) ([]space.Info, error) {
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("localdir: open root: %w", err)
	}
	defer r.Close()
	s := &Space{root: r}
	if s.packs, err = openPacks(r, Options{PackMax: -1}, s.syncDir, true); err != nil {
		return nil, err
	}
	defer s.packs.closeReadOnly()
	var all []space.Info
	after := ""
	for {
		infos, next, err := s.List(ctx, "", after, 10000)
		if err != nil {
			return nil, err
		}
		all = append(all, infos...)
		if next == "" {
			return all, nil
		}
		after = next
	}
}

// Close makes pending deletions durable and releases the root directory and the pack files.
// Readers already open stay usable; every other method fails after Close.
func (s *Space) Close() error {
	perr := s.packs.close()
	if err := s.root.Close(); err != nil {
		return fmt.Errorf("localdir: close: %w", err)
	}
	if perr != nil {
		return fmt.Errorf("localdir: close: %w", perr)
	}
	return nil
}

// ensureTempDir creates TempDir, making the new directory entry durable.
func (s *Space) ensureTempDir() error {
	err := s.root.Mkdir(TempDir, dirPerm)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err == nil {
		err = s.syncDir(".")
	}
	if err != nil {
		return fmt.Errorf("localdir: create %s: %w", TempDir, err)
	}
	return nil
}

// validateName applies space.ValidateName and the rules of this package.
func validateName(name string) error {
	if err := space.ValidateName(name); err != nil {
		return err
	}
	first, _, _ := strings.Cut(name, "/")
	if first == TempDir || first == PackDir {
		return &space.NameError{Name: name, Reason: "first segment is reserved"}
	}
	for seg := range strings.SplitSeq(name, "/") {
		if len(seg) > MaxSegmentLen {
			return &space.NameError{Name: name, Reason: "segment longer than 255 bytes"}
		}
	}
	return nil
}

// opError wraps err from operation op on name. Errors that mean "no such blob" become
// space.ErrNotExist: a missing file, and a path that runs through a file as if it were a
// directory ("a/b" when "a" is a blob).
func opError(op, name string, err error) error {
	if isNotExist(err) {
		err = space.ErrNotExist
	}
	return fmt.Errorf("localdir: %s %q: %w", op, name, err)
}

func isNotExist(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}
