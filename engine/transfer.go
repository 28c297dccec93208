package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/jointcloud/jcs/engine/space"
)

// Import and export move packages between the engine and the plain files of a user space
// (createPackage and downloadPackage of the /v1 API). Both work through the space's Files
// view, which confines every path to the storage's root and never follows symbolic links,
// and both stay out of the working directory, where the engine's own shards live.

// FilesOpener opens the plain-file view of a user space's storage, rooted at the storage's
// root. Injected like SpaceOpener, so that the engine imports no storage SDK.
type FilesOpener func(ctx context.Context, us UserSpace) (space.Files, error)

// importBatch is how many files one import transaction commits.
const importBatch = 100

// PathFailure is a file or object that an import or export could not move, and why.
type PathFailure struct {
	Path string
	Err  string
}

// TransferReport says what an import or export moved.
type TransferReport struct {
	Objects int
	Bytes   int64
	Failed  []PathFailure
}

// ImportPackageInput describes a createPackage: the files at Path in a space become a new
// package.
type ImportPackageInput struct {
	Space    SpaceID
	Path     string // a file or directory in the space, relative to its storage root
	BucketID BucketID
	Name     string
	Affinity SpaceID
}

// ImportPackage creates a package from a file or directory tree of a user space: every regular
// file at or below Path becomes an object, erasure-coded like any upload, at its path relative
// to Path (a single file keeps its base name). Files that cannot be read are reported and
// skipped. The package exists even if some files fail; it fails with KindInvalid for an unsafe
// path or one inside the space's working directory.
func (e *Engine) ImportPackage(ctx context.Context, in ImportPackageInput) (Package, TransferReport, error) {
	const op = "engine.ImportPackage"
	var rep TransferReport
	dir := strings.Trim(in.Path, "/")
	if dir != "" {
		if err := space.ValidatePath(dir); err != nil {
			return Package{}, rep, &Error{Op: op, Kind: KindInvalid, Err: err}
		}
	}
	us, files, err := e.openFiles(ctx, in.Space)
	if err != nil {
		return Package{}, rep, wrap(op, err)
	}
	if err := checkOutsideWorkingDir(&us, dir); err != nil {
		return Package{}, rep, &Error{Op: op, Kind: KindInvalid, Err: err}
	}
	pkg, err := e.CreatePackage(ctx, in.BucketID, in.Name)
	if err != nil {
		return Package{}, rep, wrap(op, err)
	}
	var batch []space.FileInfo
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		n, bytes, failed := e.importFiles(ctx, files, pkg.ID, dir, batch, in.Affinity)
		rep.Objects += n
		rep.Bytes += bytes
		rep.Failed = append(rep.Failed, failed...)
		batch = batch[:0]
		return ctx.Err()
	}
	err = files.Walk(ctx, dir, func(f space.FileInfo) error {
		if insideWorkingDir(&us, f.Path) {
			return nil // never import the engine's own files
		}
		batch = append(batch, f)
		if len(batch) == importBatch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		kind := KindUnavailable
		if errors.Is(err, space.ErrNotExist) {
			kind = KindNotFound
		} else if errors.Is(err, space.ErrUnsafePath) {
			kind = KindInvalid
		}
		return pkg, rep, &Error{Op: op, Kind: kind, Err: fmt.Errorf("importing %q from user space %d: %w", in.Path, in.Space, err)}
	}
	e.log.Info("package imported", "package", pkg.ID, "space", in.Space, "objects", rep.Objects, "failed", len(rep.Failed))
	return pkg, rep, nil
}

// importFiles uploads one batch of files in one transaction; a file that fails is reported
// and the batch retried without it.
func (e *Engine) importFiles(ctx context.Context, files space.Files, pkg PackageID, dir string, batch []space.FileInfo, affinity SpaceID) (int, int64, []PathFailure) {
	var failed []PathFailure
	todo := append([]space.FileInfo(nil), batch...)
	for len(todo) > 0 {
		i := 0
		var open io.Closer
		objs, err := e.UploadObjects(ctx, UploadInput{PackageID: pkg, Affinity: affinity}, func() (UploadFile, error) {
			if open != nil {
				open.Close()
				open = nil
			}
			if i == len(todo) {
				return UploadFile{}, io.EOF
			}
			f := todo[i]
			i++
			r, info, err := files.OpenFile(ctx, f.Path)
			if err != nil {
				return UploadFile{}, &Error{Kind: KindInvalid, Path: f.Path, Err: err}
			}
			open = r
			return UploadFile{Path: objectPathFor(dir, f.Path), Body: r, Size: info.Size}, nil
		})
		if open != nil {
			open.Close()
		}
		if err == nil {
			var n int64
			for _, o := range objs {
				n += o.Size
			}
			return len(objs), n, failed
		}
		if ctx.Err() != nil || i == 0 {
			for _, f := range todo {
				failed = append(failed, PathFailure{Path: f.Path, Err: err.Error()})
			}
			return 0, 0, failed
		}
		// The file being read when it failed goes; the rest are tried again.
		bad := todo[i-1]
		failed = append(failed, PathFailure{Path: bad.Path, Err: err.Error()})
		todo = append(todo[:i-1], todo[i:]...)
	}
	return 0, 0, failed
}

// objectPathFor is the object path of file p imported from dir: relative to dir, or the base
// name when dir is the file itself.
func objectPathFor(dir, p string) string {
	switch {
	case dir == "":
		return p
	case p == dir:
		return path.Base(p)
	}
	return strings.TrimPrefix(p, dir+"/")
}

// ExportPackageInput describes a downloadPackage: a package's objects written as plain files
// under RootPath in a space.
type ExportPackageInput struct {
	Space    SpaceID
	Package  PackageID
	RootPath string
}

// ExportPackage writes every object of a package as a plain file at RootPath/<object path> in
// a user space. An object whose path cannot be a safe file path there ("..", an absolute
// path, a NUL, a symbolic link on the way) or whose data cannot be read fails alone, reported
// in the result; the rest are still written.
func (e *Engine) ExportPackage(ctx context.Context, in ExportPackageInput) (TransferReport, error) {
	const op = "engine.ExportPackage"
	var rep TransferReport
	root := strings.Trim(in.RootPath, "/")
	if root != "" {
		if err := space.ValidatePath(root); err != nil {
			return rep, &Error{Op: op, Kind: KindInvalid, Err: err}
		}
	}
	if _, err := e.GetPackage(ctx, in.Package); err != nil {
		return rep, wrap(op, err)
	}
	us, files, err := e.openFiles(ctx, in.Space)
	if err != nil {
		return rep, wrap(op, err)
	}
	if err := checkOutsideWorkingDir(&us, root); err != nil {
		return rep, &Error{Op: op, Kind: KindInvalid, Err: err}
	}
	err = e.WalkPackageObjects(ctx, in.Package, func(o Object) error {
		if o.InProgress() {
			return nil
		}
		if err := e.exportObject(ctx, files, &us, root, &o); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			rep.Failed = append(rep.Failed, PathFailure{Path: o.Path, Err: err.Error()})
			return nil
		}
		rep.Objects++
		rep.Bytes += o.Size
		return nil
	})
	if err != nil {
		return rep, wrap(op, err)
	}
	e.log.Info("package exported", "package", in.Package, "space", in.Space, "objects", rep.Objects, "failed", len(rep.Failed))
	return rep, nil
}

func (e *Engine) exportObject(ctx context.Context, files space.Files, us *UserSpace, root string, o *Object) error {
	p := o.Path
	if root != "" {
		p = root + "/" + o.Path
	}
	if err := space.ValidatePath(p); err != nil {
		return err
	}
	if insideWorkingDir(us, p) {
		return errors.New("the path falls inside the user space's working directory")
	}
	r, err := e.OpenObject(ctx, o.ID)
	if err != nil {
		return err
	}
	defer r.Close()
	return files.WriteFile(ctx, p, r, o.Size)
}

// openFiles returns a space's record and its plain-file view.
func (e *Engine) openFiles(ctx context.Context, id SpaceID) (UserSpace, space.Files, error) {
	us, err := e.GetUserSpace(ctx, id)
	if err != nil {
		return us, nil, err
	}
	if e.opts.OpenFiles == nil {
		return us, nil, &Error{Kind: KindInvalid, Err: errors.New("this engine cannot reach the files of user spaces")}
	}
	files, err := e.opts.OpenFiles(ctx, us)
	if err != nil {
		return us, nil, &Error{Kind: KindUnavailable, Err: fmt.Errorf("opening the files of user space %d: %w", id, err)}
	}
	return us, files, nil
}

// reservedTop are the top-level names the engine writes in a space with no working directory.
var reservedTop = []string{strings.TrimSuffix(shardPrefix, "/"), ".tmp", strings.TrimSuffix(probePrefix, "/")}

// insideWorkingDir reports whether path p (relative to the storage root) lies where the engine
// keeps its own files.
func insideWorkingDir(us *UserSpace, p string) bool {
	if wd := strings.Trim(us.WorkingDir, "/"); wd != "" {
		return p == wd || strings.HasPrefix(p, wd+"/")
	}
	top, _, _ := strings.Cut(p, "/")
	for _, r := range reservedTop {
		if top == r {
			return true
		}
	}
	return false
}

// checkOutsideWorkingDir refuses a tree root inside the working directory. A root that
// contains it is allowed: walks skip the working directory, and exports refuse objects that
// would land in it.
func checkOutsideWorkingDir(us *UserSpace, p string) error {
	if p != "" && insideWorkingDir(us, p) {
		return fmt.Errorf("path %q is inside the user space's working directory, where the engine keeps its shards", p)
	}
	return nil
}
