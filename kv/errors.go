package kv

import "errors"

var (
	// ErrNotFound is returned by Reader.Get when the key does not exist.
	// pebble.ErrNotFound never leaks out of this package.
	ErrNotFound = errors.New("kv: key not found")

	// ErrConflict is returned by Store.Update when its transaction still
	// conflicts after Options.MaxRetries reruns.
	ErrConflict = errors.New("kv: transaction conflict")

	// ErrClosed is returned by Store methods called after Close.
	ErrClosed = errors.New("kv: store closed")

	// ErrCommitUnknown is returned, wrapped, by Store.Update when its batch was
	// applied, and so may be visible and may survive a crash, but waiting for
	// the WAL fsync failed: whether the commit is durable is unknown. The
	// caller must not undo anything the commit refers to. After it, the Store
	// refuses further Updates with ErrCommitUnknown: the disk under the WAL is
	// failing, and only a restart (which replays the WAL) settles the state.
	ErrCommitUnknown = errors.New("kv: commit applied but its durability is unknown")

	// ErrCorrupt is returned, wrapped with detail, when a key or record does
	// not decode: truncated input, a malformed varint, an impossible value.
	ErrCorrupt = errors.New("kv: corrupt data")
)

// errFinished is returned by a Reader or Tx used after its View or Update
// returned: a programming error, so it is not exported.
var errFinished = errors.New("kv: reader used after its view or update returned")
