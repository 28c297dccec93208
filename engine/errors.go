package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jointcloud/jcs/kv"
)

// Kind classifies an engine error so that each front end can map it to its protocol's status
// and code with one table, without ever matching on error text.
type Kind uint8

// The kinds of engine errors.
const (
	// KindInternal is an unexpected failure: a bug, a corrupt record, an I/O error of the index.
	// Front ends never show its message to clients.
	KindInternal Kind = iota
	// KindNotFound: the named bucket, package, object, part or user space does not exist.
	KindNotFound
	// KindAlreadyExists: the name or path is taken.
	KindAlreadyExists
	// KindNotEmpty: the resource still holds something that prevents the operation.
	KindNotEmpty
	// KindInvalid: the request is malformed: a bad name, path, range, index or parameter.
	KindInvalid
	// KindPrecondition: the resource is not in a state that allows the operation (an object
	// that is not a multipart upload, a part list that changed while completing).
	KindPrecondition
	// KindUnavailable: too few healthy user spaces or shards to serve the request now; it may
	// succeed later.
	KindUnavailable
	// KindPermissionDenied: the caller may not do this.
	KindPermissionDenied
)

var kindNames = [...]string{
	KindInternal:         "internal error",
	KindNotFound:         "not found",
	KindAlreadyExists:    "already exists",
	KindNotEmpty:         "not empty",
	KindInvalid:          "invalid argument",
	KindPrecondition:     "precondition failed",
	KindUnavailable:      "unavailable",
	KindPermissionDenied: "permission denied",
}

// String names the kind as a client message would ("not found").
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Error is the error type of every exported engine method.
//
// Op names the method ("engine.UploadObjects"); Bucket, Package and Path name the resource
// when known; Err carries the cause. The message of an error of any kind but KindInternal is
// written for clients: it names what was wrong and never contains secrets or file paths.
type Error struct {
	Op      string
	Kind    Kind
	Bucket  string
	Package string
	Path    string
	Err     error
}

// Error returns Op, then the message: for logs. Clients get Message.
func (e *Error) Error() string {
	if e.Op == "" {
		// A cause built by a helper, wrapped by the method's own *Error: no empty ": ".
		return e.Message()
	}
	return e.Op + ": " + e.Message()
}

// Message returns the error without its Op: the text a front end shows a client.
func (e *Error) Message() string {
	var b strings.Builder
	if e.Bucket != "" {
		fmt.Fprintf(&b, "bucket %q: ", e.Bucket)
	}
	if e.Package != "" {
		fmt.Fprintf(&b, "package %q: ", e.Package)
	}
	if e.Path != "" {
		fmt.Fprintf(&b, "path %q: ", e.Path)
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	} else {
		b.WriteString(e.Kind.String())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the Kind of the first *Error in err's chain. Without one, a cancelled or
// timed-out context is KindUnavailable (the caller gave up or the server is shutting down, not
// a fault of the engine), so is a transaction that kept conflicting, and anything else is
// KindInternal.
func KindOf(err error) Kind {
	var e *Error
	switch {
	case errors.As(err, &e):
		return e.Kind
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return KindUnavailable
	case errors.Is(err, kv.ErrConflict):
		// Too many concurrent changes to the same records: retrying later will do.
		return KindUnavailable
	}
	return KindInternal
}

// errorf returns an *Error of the given kind with a formatted cause.
func errorf(op string, kind Kind, format string, args ...any) *Error {
	return &Error{Op: op, Kind: kind, Err: fmt.Errorf(format, args...)}
}

// wrap gives err an Op, keeping the kind of an engine error already in its chain and calling
// anything else internal. It returns nil for nil.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		if e.Op == op {
			return err
		}
		c := *e
		c.Op = op
		return &c
	}
	return &Error{Op: op, Kind: KindOf(err), Err: err}
}

// Sentinel causes shared by several operations. They carry no kind of their own: the *Error
// around them does.
var (
	errPathTaken = errors.New("an object already exists at this path")
)

// withCause is an error whose message is fit for clients while its cause, which may name shard
// files or storage internals, stays in the chain for errors.Is; whoever creates one logs the
// cause.
type withCause struct {
	msg string
	err error
}

func (w *withCause) Error() string { return w.msg }
func (w *withCause) Unwrap() error { return w.err }
