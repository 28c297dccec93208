package kv

import (
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// Iterator walks keys in byte order within its bounds. It starts
// unpositioned (call First or SeekGE) and is not safe for concurrent use.
type Iterator interface {
	// First moves to the first key and reports whether there is one.
	First() bool
	// SeekGE moves to the first key >= key and reports whether there is one.
	SeekGE(key []byte) bool
	// Next moves to the following key and reports whether there is one.
	Next() bool
	// Valid reports whether the iterator is positioned at a key.
	Valid() bool
	// Key returns the current key. The slice is valid until the next
	// positioning call and must not be modified.
	Key() []byte
	// Value returns the current value, under the same rules as Key.
	Value() []byte
	// Close releases the iterator and returns the first error met while
	// iterating: an error ends iteration like the end of the range does.
	Close() error
}

// iterator adapts a *pebble.Iterator.
type iterator struct {
	it     *pebble.Iterator
	err    error // first error from a lazily fetched value
	closed bool
}

var _ Iterator = (*iterator)(nil)

func (i *iterator) First() bool            { return i.it.First() }
func (i *iterator) SeekGE(key []byte) bool { return i.it.SeekGE(key) }
func (i *iterator) Next() bool             { return i.it.Next() }
func (i *iterator) Valid() bool            { return i.it.Valid() }
func (i *iterator) Key() []byte            { return i.it.Key() }

// Value returns the current value; an error fetching it invalidates the
// iterator and is returned by Close.
func (i *iterator) Value() []byte {
	v, err := i.it.ValueAndErr()
	if err != nil && i.err == nil {
		i.err = err
	}
	return v
}

// Close implements Iterator. A second Close returns the same result.
func (i *iterator) Close() error {
	if !i.closed {
		i.closed = true
		if err := i.it.Close(); err != nil && i.err == nil {
			i.err = err
		}
		if i.err != nil {
			i.err = fmt.Errorf("kv: iterate: %w", i.err)
		}
	}
	return i.err
}

// errIterator is an empty Iterator whose Close returns err; it stands in when
// an iterator cannot be created.
type errIterator struct{ err error }

func (e *errIterator) First() bool        { return false }
func (e *errIterator) SeekGE([]byte) bool { return false }
func (e *errIterator) Next() bool         { return false }
func (e *errIterator) Valid() bool        { return false }
func (e *errIterator) Key() []byte        { return nil }
func (e *errIterator) Value() []byte      { return nil }
func (e *errIterator) Close() error       { return e.err }

// openIters tracks the iterators of a View or Update function, to close the
// ones it leaks before releasing the snapshot or batch beneath them.
type openIters []*iterator

// wrap adapts a newly created Pebble iterator and tracks it.
func (o *openIters) wrap(it *pebble.Iterator, err error) Iterator {
	if err != nil {
		return &errIterator{err: fmt.Errorf("kv: new iterator: %w", err)}
	}
	i := &iterator{it: it}
	*o = append(*o, i)
	return i
}

// closeAll closes every tracked iterator not yet closed.
func (o *openIters) closeAll() {
	for _, i := range *o {
		_ = i.Close()
	}
	*o = nil
}
