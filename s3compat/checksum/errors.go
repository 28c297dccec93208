package checksum

import (
	"errors"
	"fmt"
)

// Sentinel errors, each matching one S3 error code. Functions of this package
// return them wrapped in an *Error; match them with errors.Is.
var (
	// ErrInvalidMD5 reports a Content-MD5 that is not the base64 of 16 bytes
	// (S3: 400 InvalidDigest).
	ErrInvalidMD5 = errors.New("checksum: invalid Content-MD5")
	// ErrMD5Mismatch reports a body whose MD5 differs from Content-MD5
	// (S3: 400 BadDigest).
	ErrMD5Mismatch = errors.New("checksum: Content-MD5 mismatch")
	// ErrInvalid reports a malformed or conflicting checksum declaration: an
	// unknown algorithm, a value of the wrong size, two algorithms, or a
	// multipart checksum type the algorithm does not have
	// (S3: 400 InvalidRequest).
	ErrInvalid = errors.New("checksum: invalid checksum request")
	// ErrMismatch reports a body whose flexible checksum differs from the
	// declared value (S3: 400 BadDigest).
	ErrMismatch = errors.New("checksum: checksum mismatch")
)

// Error is the error type of this package.
type Error struct {
	// Err is the sentinel this error wraps.
	Err error
	// Algorithm is the flexible checksum concerned, "" if none is.
	Algorithm Algorithm
	// Message is S3's message for the client, e.g. "The CRC32 you specified
	// did not match the calculated checksum."; it holds no computed digest.
	Message string
}

// Error returns the sentinel's text followed by the message.
func (e *Error) Error() string { return e.Err.Error() + ": " + e.Message }

// Unwrap returns the sentinel, so errors.Is(err, ErrXxx) works.
func (e *Error) Unwrap() error { return e.Err }

// newError returns an *Error wrapping kind with a formatted message.
func newError(kind error, a Algorithm, format string, args ...any) *Error {
	return &Error{Err: kind, Algorithm: a, Message: fmt.Sprintf(format, args...)}
}
