package kv

import (
	"errors"
	"io"

	"github.com/cockroachdb/pebble/v2"
)

// Reader reads keys. The Readers handed to View and Update functions are
// valid only until the function returns and are not safe for concurrent use.
type Reader interface {
	// Get returns the value of key in a new slice the caller owns, or
	// ErrNotFound if the key does not exist.
	Get(key []byte) ([]byte, error)
	// Iter returns an iterator over the keys in [lower, upper) in byte order.
	// A nil lower starts at the first key; a nil upper means no upper bound.
	// PrefixRange computes the bounds of a prefix scan. The caller must Close
	// the iterator, before the function that received the Reader returns.
	Iter(lower, upper []byte) Iterator
}

// Tx is a Reader that also writes, inside Store.Update. Its reads see its own
// earlier writes (read-your-writes), in Get and in iterators created after
// the write. Writes become visible to others only when Update commits them,
// all at once. A Tx is not safe for concurrent use.
type Tx interface {
	Reader
	// Set sets key to value. The Tx copies both; the caller may reuse them.
	Set(key, value []byte) error
	// Delete removes key; deleting a missing key is not an error.
	Delete(key []byte) error
}

// snapshotReader is the Reader of View: a Pebble snapshot, so that every read
// in the View sees the same committed state.
type snapshotReader struct {
	snap  *pebble.Snapshot
	iters openIters
	done  bool
}

var _ Reader = (*snapshotReader)(nil)

// Get implements Reader.
func (r *snapshotReader) Get(key []byte) ([]byte, error) {
	if r.done {
		return nil, errFinished
	}
	return getCopy(r.snap.Get(key))
}

// Iter implements Reader.
func (r *snapshotReader) Iter(lower, upper []byte) Iterator {
	if r.done {
		return &errIterator{err: errFinished}
	}
	it, err := r.snap.NewIter(iterOptions(lower, upper))
	return r.iters.wrap(it, err)
}

// finish closes the iterators fn leaked and releases the snapshot.
func (r *snapshotReader) finish() {
	r.done = true
	r.iters.closeAll()
	_ = r.snap.Close()
}

// getCopy turns the result of a Pebble Get into ours: a value the caller
// owns, ErrNotFound instead of pebble.ErrNotFound, the closer released.
func getCopy(v []byte, closer io.Closer, err error) ([]byte, error) {
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(v))
	copy(out, v)
	return out, closer.Close()
}

// iterOptions copies the bounds, which Pebble keeps referencing while the
// iterator lives, so that the caller may reuse its key buffers at once.
func iterOptions(lower, upper []byte) *pebble.IterOptions {
	o := &pebble.IterOptions{}
	if lower != nil {
		o.LowerBound = append([]byte{}, lower...)
	}
	if upper != nil {
		o.UpperBound = append([]byte{}, upper...)
	}
	return o
}
