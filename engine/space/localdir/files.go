package localdir

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"syscall"

	"github.com/jointcloud/jcs/engine/space"
)

// tempPrefix starts the names of the temporary files WriteFile creates beside their
// destination. Walk never shows entries with such names, and no method accepts a path with a
// segment that starts with it, so a user can neither see nor touch a write in progress.
const tempPrefix = ".jcs-tmp-"

var _ space.Files = (*Files)(nil)

// errNotRegular is WriteFile's error for a path that holds a directory or a special file.
var errNotRegular = errors.New("exists and is not a regular file")

// Files is the space.Files view of a local directory: the user's own files under it, as they
// are, rather than the blobs of a Space.
//
// Every operation goes through an os.Root, so nothing outside the directory is ever reached.
// Files is stricter than os.Root, which follows symbolic links as long as they stay inside it:
// Files never follows a link at all. It reaches a path one segment at a time, checks each
// segment with Lstat, and after opening a directory or file checks that it is the one the
// segment still holds, so that a link swapped in between the check and the open is refused
// too. A link anywhere in a path, the last segment included, fails with an error wrapping
// space.ErrUnsafePath; Walk skips links and every other entry that is not a regular file or a
// directory.
//
// WriteFile writes a temporary file in the destination directory, fsyncs it, renames it into
// place and fsyncs the directory; see WriteFile. Files is safe for concurrent use. Close
// releases the directory handle it holds.
type Files struct {
	root *os.Root
	dirs dirCache // directories known to exist with durable entries, keyed by path
}

// NewFiles returns a Files view of the existing directory root. The directory stays in use even
// if it is renamed later, because Files holds it open.
func NewFiles(root string) (*Files, error) {
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("localdir: open files root: %w", err)
	}
	return &Files{root: r}, nil
}

// Close releases the root directory. Readers already open stay usable; every other method
// fails after Close.
func (v *Files) Close() error {
	if err := v.root.Close(); err != nil {
		return fmt.Errorf("localdir: close files: %w", err)
	}
	return nil
}

// OpenFile implements space.Files. The reader is the open file, which keeps its content after
// the path is replaced. The caller must Close it.
func (v *Files) OpenFile(ctx context.Context, path string) (io.ReadCloser, space.FileInfo, error) {
	if err := checkFilePath(ctx, "open file", path); err != nil {
		return nil, space.FileInfo{}, err
	}
	f, fi, err := v.openFile(path)
	if err != nil {
		return nil, space.FileInfo{}, opError("open file", path, err)
	}
	return f, fileInfo(path, fi), nil
}

// maxReopens bounds how often openFile opens a file again because a concurrent write
// replaced it between the open and the check.
const maxReopens = 4

// openFile opens the regular file at path without following a link. A file replaced by a
// concurrent write (a rename over it) while it was opened is opened again: the check after
// the open cannot tell that from a swap, but a regular file in its place can be opened anew.
func (v *Files) openFile(path string) (*os.File, fs.FileInfo, error) {
	dirs, name := splitPath(path)
	d, err := v.openDir(dirs, false)
	if err != nil {
		return nil, nil, err
	}
	defer d.Close()
	for attempt := 0; ; attempt++ {
		f, fi, err := openRegular(d, name, path)
		var pe *space.PathError
		if errors.As(err, &pe) && attempt < maxReopens {
			if now, lerr := d.Lstat(name); lerr == nil && now.Mode().IsRegular() {
				continue
			}
		}
		return f, fi, err
	}
}

// openRegular opens the regular file name in d (path, for errors), never a link.
func openRegular(d *os.Root, name, path string) (*os.File, fs.FileInfo, error) {
	// Lstat first, so that neither a link nor a FIFO, whose open would block, is ever opened.
	fi, err := d.Lstat(name)
	if err == nil {
		err = requireRegular(path, fi)
	}
	if err != nil {
		return nil, nil, err
	}
	f, err := d.Open(name)
	if err != nil {
		return nil, nil, err
	}
	fi, err = f.Stat()
	if err == nil {
		err = requireSame(d, name, path, fi)
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

// WriteFile implements space.Files. It creates missing parent directories, fsyncing the parent
// of each, then writes r to a temporary file beside path, fsyncs it, renames it over path and
// fsyncs the directory. A directory or anything else but a regular file at path is an error,
// and so is a parent that is not a directory. The temporary file is removed on every failure
// before the rename.
//
// Two failures stretch the contract's "nothing new is visible". Parent directories created
// before a failure stay, empty; Walk lists files only, so they show only as a Walk of the
// directory that finds nothing instead of failing with space.ErrNotExist. And if fsyncing the
// directory fails after the rename, the file is visible but its durability unknown, so
// WriteFile reports the error with nothing to roll back to. A crash leaves at most a temporary
// file, which Walk does not show and nothing yet removes.
func (v *Files) WriteFile(ctx context.Context, path string, r io.Reader, size int64) error {
	if err := checkFilePath(ctx, "write file", path); err != nil {
		return err
	}
	if err := v.writeFile(ctx, path, r, size); err != nil {
		return fmt.Errorf("localdir: write file %q: %w", path, err)
	}
	return nil
}

func (v *Files) writeFile(ctx context.Context, path string, r io.Reader, size int64) error {
	dirs, name := splitPath(path)
	d, err := v.openDir(dirs, true)
	if err != nil {
		return err
	}
	defer d.Close()
	switch fi, err := d.Lstat(name); {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	case fi.Mode()&fs.ModeSymlink != 0:
		return linkError(path)
	case !fi.Mode().IsRegular():
		return errNotRegular
	}
	tmp, err := writeTempIn(ctx, d, r, size)
	if err != nil {
		return err
	}
	// The last point at which cancellation can stop the write: after the rename it is done.
	// The rename replaces whatever entry name holds by then, a link swapped in included,
	// rather than writing through it.
	err = ctx.Err()
	if err == nil {
		err = d.Rename(tmp, name)
	}
	if err != nil {
		d.Remove(tmp)
		return err
	}
	return syncRoot(d)
}

// writeTempIn copies r into a new durable temporary file in d and returns its name. On failure
// it removes the file.
func writeTempIn(ctx context.Context, d *os.Root, r io.Reader, size int64) (string, error) {
	f, tmp, err := createTempIn(d)
	if err != nil {
		return "", err
	}
	err = copyChecked(&checkedWriter{ctx: ctx, f: f, dst: f, size: size}, r)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		d.Remove(tmp)
		return "", err
	}
	return tmp, nil
}

// createTempIn creates a file with a fresh random temporary name in d, retrying on the unlikely
// collision. O_EXCL makes the open refuse any existing entry, a link included.
func createTempIn(d *os.Root) (*os.File, string, error) {
	var err error
	for range 10 {
		tmp := fmt.Sprintf("%s%016x", tempPrefix, rand.Uint64())
		var f *os.File
		f, err = d.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, filePerm)
		if err == nil {
			return f, tmp, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, "", err
		}
	}
	return nil, "", err
}

// Walk implements space.Files. It reads one directory at a time and sorts its entries so that
// subtrees come in byte order of path. Besides links and special files it skips temporary
// files and entries whose paths ValidatePath rejects (a backslash or control byte in a name,
// more than MaxNameLen bytes in all), because no other method could address them. Files
// written or removed during the walk may or may not be visited.
func (v *Files) Walk(ctx context.Context, dir string, fn func(space.FileInfo) error) error {
	if dir != "" {
		if err := checkFilePath(ctx, "walk", dir); err != nil {
			return err
		}
	} else if err := ctx.Err(); err != nil {
		return fmt.Errorf("localdir: walk %q: %w", dir, err)
	}
	w := &walker{ctx: ctx, top: dir, fn: fn}
	if dir == "" {
		d, err := v.root.OpenRoot(".")
		if err != nil {
			return w.fail(err)
		}
		defer d.Close()
		return w.walkDir(d, "")
	}
	dirs, name := splitPath(dir)
	parent, err := v.openDir(dirs, false)
	if err != nil {
		return w.fail(err)
	}
	defer parent.Close()
	fi, err := parent.Lstat(name)
	if err == nil && fi.Mode().IsRegular() {
		return fn(fileInfo(dir, fi))
	}
	if err == nil {
		err = requireDir(dir, fi)
	}
	if err != nil {
		return w.fail(err)
	}
	return w.walkSub(parent, name, dir, false)
}

// walker is the state of one Walk. Its methods return fn's errors as they are and wrap their
// own with fail.
type walker struct {
	ctx context.Context
	top string
	fn  func(space.FileInfo) error
}

func (w *walker) fail(err error) error { return opError("walk", w.top, err) }

// walkSub walks the subdirectory name of d, whose path is dir. When skipGone is set, a
// directory that vanished or turned into something else since its parent was read is skipped.
func (w *walker) walkSub(d *os.Root, name, dir string, skipGone bool) error {
	sub, err := openSubdir(d, name, dir)
	if skipGone && (isNotExist(err) || errors.Is(err, space.ErrUnsafePath)) {
		return nil
	}
	if err != nil {
		return w.fail(err)
	}
	defer sub.Close()
	return w.walkDir(sub, dir)
}

// walkDir calls fn for the files below d, whose path is dir ("" for the root).
func (w *walker) walkDir(d *os.Root, dir string) error {
	entries, err := readWalkEntries(d, dir)
	if err != nil {
		return w.fail(err)
	}
	for _, e := range entries {
		if err := w.ctx.Err(); err != nil {
			return w.fail(err)
		}
		if e.info == nil {
			err = w.walkSub(d, e.name, strings.TrimSuffix(e.key, "/"), true)
		} else {
			err = w.fn(fileInfo(e.key, e.info))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// walkEntry is an entry of a directory that Walk visits. key is its path, with a trailing '/'
// for a directory, so that sorting by key puts subtrees in byte order of path; see entry in
// list.go. info is nil for a directory.
type walkEntry struct {
	key, name string
	info      fs.FileInfo
}

// readWalkEntries returns the regular files and directories in d, whose path is dir, sorted by
// key. The entries' FileInfo comes from an lstat relative to d, so it describes the entry
// itself, never what a link points to.
func readWalkEntries(d *os.Root, dir string) ([]walkEntry, error) {
	f, err := d.Open(".")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	des, err := f.ReadDir(-1)
	if err != nil {
		return nil, err
	}
	var entries []walkEntry
	for _, de := range des {
		path := joinPath(dir, de.Name())
		if strings.HasPrefix(de.Name(), tempPrefix) || space.ValidatePath(path) != nil {
			continue
		}
		switch {
		case de.IsDir():
			entries = append(entries, walkEntry{key: path + "/", name: de.Name()})
		case de.Type().IsRegular():
			if info, err := de.Info(); err == nil { // else removed since ReadDir
				entries = append(entries, walkEntry{key: path, name: de.Name(), info: info})
			}
		}
	}
	slices.SortFunc(entries, func(a, b walkEntry) int { return strings.Compare(a.key, b.key) })
	return entries, nil
}

// openDir returns the directory whose segments below the root are dirs, reached one segment at
// a time without following a link. With create, it makes missing directories and makes sure
// every directory's entry in its parent is durable. The caller must Close the returned Root.
func (v *Files) openDir(dirs []string, create bool) (*os.Root, error) {
	d, err := v.root.OpenRoot(".")
	if err != nil {
		return nil, err
	}
	for i, name := range dirs {
		sub, err := v.stepDir(d, name, strings.Join(dirs[:i+1], "/"), create)
		d.Close()
		if err != nil {
			return nil, err
		}
		d = sub
	}
	return d, nil
}

// stepDir opens the subdirectory name of d, whose path is dir, creating it first if create is
// set. With create, it fsyncs d unless the entry is known to be durable already: a directory
// that someone else created may not be durable yet.
func (v *Files) stepDir(d *os.Root, name, dir string, create bool) (*os.Root, error) {
	created := false
	if create {
		err := d.Mkdir(name, dirPerm)
		if err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		created = err == nil
	}
	sub, err := openSubdir(d, name, dir)
	if err != nil || !create || (!created && v.dirs.has(dir)) {
		return sub, err
	}
	if err := syncRoot(d); err != nil {
		sub.Close()
		return nil, err
	}
	v.dirs.add(dir)
	return sub, nil
}

// openSubdir opens the subdirectory name of d, whose path is dir, refusing a link.
func openSubdir(d *os.Root, name, dir string) (*os.Root, error) {
	fi, err := d.Lstat(name)
	if err == nil {
		err = requireDir(dir, fi)
	}
	if err != nil {
		return nil, err
	}
	// OpenRoot follows a link that stays inside d, so if name became one since the Lstat, sub
	// is some other directory: keep it only if it is the one name holds now.
	sub, err := d.OpenRoot(name)
	if err != nil {
		return nil, err
	}
	fi, err = sub.Stat(".")
	if err == nil {
		err = requireSame(d, name, dir, fi)
	}
	if err != nil {
		sub.Close()
		return nil, err
	}
	return sub, nil
}

// requireSame checks that the entry name in d is, now, the file or directory opened, whose
// FileInfo is opened, and not a link to it or something swapped in since.
func requireSame(d *os.Root, name, path string, opened fs.FileInfo) error {
	now, err := d.Lstat(name)
	if err != nil {
		return err
	}
	if now.Mode()&fs.ModeSymlink != 0 || !os.SameFile(opened, now) {
		return &space.PathError{Path: path, Reason: "symbolic link or concurrent change in path"}
	}
	return nil
}

// requireDir checks that fi, from an Lstat of path, is a directory: a link is unsafe, and
// anything else is reported as syscall.ENOTDIR, which the read methods treat as missing.
func requireDir(path string, fi fs.FileInfo) error {
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return linkError(path)
	case !fi.IsDir():
		return &fs.PathError{Op: "lstat", Path: path, Err: syscall.ENOTDIR}
	}
	return nil
}

// requireRegular checks that fi, from an Lstat of path, is a regular file: a link is unsafe,
// and anything else does not count as a file.
func requireRegular(path string, fi fs.FileInfo) error {
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return linkError(path)
	case !fi.Mode().IsRegular():
		return space.ErrNotExist
	}
	return nil
}

func linkError(path string) error {
	return &space.PathError{Path: path, Reason: "symbolic link in path"}
}

// syncRoot fsyncs the directory d, which makes the entries created or renamed in it durable.
func syncRoot(d *os.Root) error { return syncDirOf(d, ".") }

// checkFilePath validates path and ctx, the preamble of every method. Besides the rules of
// space.ValidatePath, a segment may not start with tempPrefix.
func checkFilePath(ctx context.Context, op, path string) error {
	err := space.ValidatePath(path)
	for seg := range strings.SplitSeq(path, "/") {
		if err == nil && strings.HasPrefix(seg, tempPrefix) {
			err = &space.PathError{Path: path, Reason: "segment reserved for temporary files"}
		}
	}
	if err != nil {
		return fmt.Errorf("localdir: %s: %w", op, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("localdir: %s %q: %w", op, path, err)
	}
	return nil
}

// splitPath splits a valid path into its parent directories' segments and its last segment.
func splitPath(path string) (dirs []string, name string) {
	segs := strings.Split(path, "/")
	return segs[:len(segs)-1], segs[len(segs)-1]
}

// joinPath joins name to dir, which is "" for the root.
func joinPath(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

func fileInfo(path string, fi fs.FileInfo) space.FileInfo {
	return space.FileInfo{Path: path, Size: fi.Size(), ModTime: fi.ModTime()}
}
