// Package space defines the blob store interface behind a user space: real storage that a user
// owns (a local directory, an S3-compatible bucket) and that the engine spreads shard files over.
//
// A Space stores immutable blobs under names. Names are '/'-separated relative paths; see
// ValidateName for the exact rules. Every implementation runs the conformance suite in package
// spacetest, so the engine can rely on the contracts written on the interface below and nothing
// more.
//
// Optional capabilities are small interfaces found by type assertion (TempSweeper, Compactor), in the
// manner of perkeep's blobserver and upspin's storage; an implementation does not stub out
// methods it cannot support.
package space

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/sync/errgroup"
)

// MaxNameLen is the longest name, in bytes, that a Space accepts.
const MaxNameLen = 1024

// ErrNotExist is returned (possibly wrapped) when no blob has the requested name.
var ErrNotExist = errors.New("space: blob does not exist")

// ErrInvalidName is returned (possibly wrapped) for a name that breaks the rules of ValidateName.
var ErrInvalidName = errors.New("space: invalid blob name")

// ErrSizeMismatch is returned by Put when the reader yields a different number of bytes than
// the size the caller announced.
var ErrSizeMismatch = errors.New("space: content size does not match announced size")

// Space is a store of immutable blobs addressed by name.
//
// All methods are safe for concurrent use. A context that is cancelled makes a method return
// promptly with an error wrapping ctx.Err(); a cancelled Put publishes nothing.
type Space interface {
	// Put stores the bytes of r under name, replacing any blob already there.
	//
	// size is the exact number of bytes r yields, or -1 when the caller does not know it. If
	// size >= 0 and r yields more or fewer bytes, Put fails with ErrSizeMismatch.
	//
	// Put returns nil only once the blob is durable: fsynced to stable storage (a local
	// directory) or acknowledged by the remote service (an S3 bucket). The replacement is
	// atomic: a reader sees the old blob or the new one, never a mix or a prefix. When Put
	// fails, including when r returns an error, nothing new is visible under name and any
	// temporary data is removed or left for TempSweeper to collect.
	//
	// Put reads r until io.EOF or an error and does not close it; when r fails, the error Put
	// returns wraps r's, so the caller can tell a broken source from a broken space. If r
	// implements io.WriterTo, implementations should prefer it so large blocks reach storage
	// without an extra copy. A size below -1 counts as unknown.
	//
	// A name may not be both a blob and a directory of other blobs ("a" and "a/b"): a local
	// directory cannot hold both, so implementations may fail such a Put.
	Put(ctx context.Context, name string, r io.Reader, size int64) error

	// Open returns a reader over the blob stored under name, or an error wrapping
	// ErrNotExist. The caller must Close the reader. The reader sees the blob as it was when
	// Open returned, even if the name is later replaced or deleted, for as long as the
	// implementation can keep that promise (local files: always; remote stores: best effort,
	// a vanished blob then reads as an error wrapping ErrNotExist).
	Open(ctx context.Context, name string) (Reader, error)

	// Stat describes the blob stored under name, or returns an error wrapping ErrNotExist.
	Stat(ctx context.Context, name string) (Info, error)

	// Delete removes the blob stored under name. Deleting a name that does not exist is not
	// an error, so that retries and garbage collection are idempotent. A deletion need not be
	// durable when Delete returns: after a crash a deleted blob may reappear, and callers must
	// be ready to delete it again.
	Delete(ctx context.Context, name string) error

	// List returns up to limit blobs whose names start with prefix and sort strictly after
	// after, in ascending byte order of their names. prefix and after are arbitrary strings, not
	// names; stored objects whose names are not valid names (files put there by others) are
	// skipped. limit <= 0 means an implementation
	// default of at least 1000. next is the cursor for the following call (pass it as after),
	// or "" when there is nothing more. Blobs put or deleted during a listing may or may not
	// appear in it. Temporary files of in-progress Puts never appear.
	List(ctx context.Context, prefix, after string, limit int) (infos []Info, next string, err error)
}

// Reader reads one blob. ReadAt follows the io.ReaderAt contract, and is safe for concurrent
// use by several goroutines, as os.File's is.
type Reader interface {
	io.ReaderAt
	io.Closer
	// Size returns the blob's length in bytes.
	Size() int64
}

// Info describes a stored blob.
type Info struct {
	Name    string
	Size    int64
	ModTime time.Time
}

// TempSweeper is implemented by spaces that keep temporary files while a Put is in progress.
// SweepTemp removes those last modified before the given time, which the engine sets so that
// only files of crashed processes are collected, and returns how many it removed.
type TempSweeper interface {
	SweepTemp(ctx context.Context, before time.Time) (removed int, err error)
}

// Compactor is implemented by spaces that pack blobs into shared files, where deleted and
// replaced blobs leave dead bytes behind. Compact rewrites what is worth rewriting, so that
// the dead bytes are returned to the storage, and reports how many bytes it freed. It may run
// while every other method is in use.
type Compactor interface {
	Compact(ctx context.Context) (freed int64, err error)
}

// Batcher is implemented by spaces that can store several small blobs in one write and one
// sync, as a Local space's packs can. PutBatch stores every blob as Put would, each content
// given whole, and returns nil only once all are durable. On error, any of them may or may
// not have been stored.
type Batcher interface {
	PutBatch(ctx context.Context, blobs []Blob) error
}

// Blob is a blob for PutBatch: its name and its whole content.
type Blob struct {
	Name string
	Data []byte
}

// putBatchConcurrency bounds the Puts PutBatch runs at once on a space that is not a Batcher:
// a remote space's latency is per request, so they must overlap.
const putBatchConcurrency = 16

// PutBatch stores blobs in sp with one PutBatch if sp is a Batcher, else with one Put each,
// up to putBatchConcurrency at a time.
func PutBatch(ctx context.Context, sp Space, blobs []Blob) error {
	if b, ok := sp.(Batcher); ok {
		return b.PutBatch(ctx, blobs)
	}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(putBatchConcurrency)
	for _, b := range blobs {
		g.Go(func() error { return sp.Put(ctx, b.Name, bytes.NewReader(b.Data), int64(len(b.Data))) })
	}
	return g.Wait()
}

// Temporary reports whether err is a transient failure (a timeout, a dropped connection, a
// throttled request) after which the same operation may succeed. It looks for a
// Temporary() bool method anywhere in the error's chain, as rclone's fserrors does.
func Temporary(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

// ValidateName reports whether name is a valid blob name, returning an error wrapping
// ErrInvalidName if it is not. A valid name:
//   - is valid UTF-8 of 1 to MaxNameLen bytes, with no NUL, backslash or other control byte;
//   - is a relative path: it does not start or end with '/', and has no empty, "." or ".."
//     segment.
//
// These rules guarantee that a name joined under a space's root never escapes it. They are
// deliberately stricter than object paths, which are never used as names directly. An
// implementation may reject more names with ErrInvalidName, for limits of its own storage (a
// local file system's 255-byte segments) or names it reserves (a temporary directory).
func ValidateName(name string) error {
	if name == "" || len(name) > MaxNameLen {
		return invalidName(name, "length must be 1 to 1024 bytes")
	}
	if !utf8.ValidString(name) {
		return invalidName(name, "not valid UTF-8")
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 0x20 || c == 0x7f || c == '\\' {
			return invalidName(name, "control byte or backslash")
		}
	}
	for seg := range strings.SplitSeq(name, "/") {
		switch seg {
		case "":
			return invalidName(name, "empty segment")
		case ".", "..":
			return invalidName(name, "dot segment")
		}
	}
	return nil
}

func invalidName(name, why string) error {
	return &NameError{Name: name, Reason: why}
}

// NameError describes an invalid name. It wraps ErrInvalidName.
type NameError struct {
	Name   string
	Reason string
}

// Error describes the name, bounded in length, and why it is invalid.
func (e *NameError) Error() string {
	return "space: invalid blob name " + quoteName(e.Name) + ": " + e.Reason
}

// Unwrap returns ErrInvalidName.
func (e *NameError) Unwrap() error { return ErrInvalidName }

// quoteName bounds a name for error messages so that a 1 KiB name does not flood logs.
func quoteName(name string) string {
	const max = 64
	if len(name) > max {
		name = name[:max] + "..."
	}
	return strconv.Quote(name)
}
