package space

import (
	"context"
	"errors"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrUnsafePath is returned (possibly wrapped) for a file path that could read or write outside
// the root of a Files view: an absolute path, a ".." segment, a NUL or control byte, or a path
// through a symbolic link.
var ErrUnsafePath = errors.New("space: unsafe file path")

// Files is the plain-file view of a user space's storage, rooted at the storage's own root (a
// Local space's directory, an S3 space's bucket), not at the working directory where the engine
// keeps its shards. It is what createPackage imports from and downloadPackage exports to, so
// every path in it comes from a user and is validated with ValidatePath before it touches
// storage; an implementation must also refuse to follow symbolic links, so that no path, however
// spelled, reaches outside the root.
//
// All methods are safe for concurrent use.
type Files interface {
	// Walk calls fn for every regular file at or below dir, in ascending byte order of path.
	// dir is "" for the root or a valid path; when dir names a regular file, fn sees that file
	// alone. Paths given to fn are relative to the root, '/'-separated. Symbolic links and other
	// non-regular files are not followed and not visited. A missing dir is an error wrapping
	// ErrNotExist. Walk stops at the first error fn returns and returns it.
	Walk(ctx context.Context, dir string, fn func(FileInfo) error) error

	// OpenFile opens the regular file at path for reading. A missing file is an error wrapping
	// ErrNotExist; a path through a symbolic link fails with ErrUnsafePath.
	OpenFile(ctx context.Context, path string) (io.ReadCloser, FileInfo, error)

	// WriteFile creates or replaces the file at path with the bytes of r, creating parent
	// directories as needed. size is the exact length r yields, or -1 if unknown; a mismatch
	// fails with ErrSizeMismatch. It returns nil once the file is durable (fsynced, or
	// acknowledged by the remote service); when it fails nothing new is visible at path. A
	// path through a symbolic link fails with ErrUnsafePath.
	WriteFile(ctx context.Context, path string, r io.Reader, size int64) error
}

// FileInfo describes a file in a Files view.
type FileInfo struct {
	Path    string // relative to the root, '/'-separated
	Size    int64
	ModTime time.Time
}

// ValidatePath reports whether p is a safe relative file path, returning an error wrapping
// ErrUnsafePath if it is not. A safe path is valid UTF-8 of 1 to MaxNameLen bytes, with no NUL
// or other control byte and no backslash, is relative (no leading '/'), and has no empty, "."
// or ".." segment; a single trailing '/' is not allowed either. Joined under any root, such a
// path names something inside it.
func ValidatePath(p string) error {
	why := ""
	switch {
	case p == "" || len(p) > MaxNameLen:
		why = "length must be 1 to 1024 bytes"
	case !utf8.ValidString(p):
		why = "not valid UTF-8"
	case p[0] == '/':
		why = "absolute path"
	}
	for i := 0; why == "" && i < len(p); i++ {
		if c := p[i]; c < 0x20 || c == 0x7f || c == '\\' {
			why = "control byte or backslash"
		}
	}
	if why == "" {
		for seg := range strings.SplitSeq(p, "/") {
			switch seg {
			case "":
				why = "empty segment"
			case ".", "..":
				why = "dot segment"
			}
			if why != "" {
				break
			}
		}
	}
	if why != "" {
		return &PathError{Path: p, Reason: why}
	}
	return nil
}

// PathError describes an unsafe file path. It wraps ErrUnsafePath.
type PathError struct {
	Path   string
	Reason string
}

// Error describes the path, bounded in length, and why it is unsafe.
func (e *PathError) Error() string {
	return "space: unsafe file path " + quoteName(e.Path) + ": " + e.Reason
}

// Unwrap returns ErrUnsafePath.
func (e *PathError) Unwrap() error { return ErrUnsafePath }
