// Package memspace is an in-memory space.Space, the fast twin of a local directory for engine
// and front-end tests, in the manner of pebble's remote.NewInMem.
//
// Blobs are byte slices that are never modified once stored: Put builds a new slice and swaps
// it in under a lock, and a reader keeps a reference to the slice it opened. That gives the same
// snapshot behaviour as an open file whose name is later replaced, without copying on read.
package memspace

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jointcloud/jcs/engine/space"
)

// defaultLimit is the number of blobs List returns when the caller passes limit <= 0.
const defaultLimit = 1000

var _ space.Space = (*Space)(nil)

// Space is an in-memory space.Space. The zero value is not usable; call New. It is safe for
// concurrent use.
type Space struct {
	mu    sync.RWMutex
	blobs map[string]blob
	names []string // keys of blobs in byte order, so that List does not sort
}

// blob is one stored blob. data is never written after the blob is stored.
type blob struct {
	data    []byte
	modTime time.Time
}

// New returns an empty Space.
func New() *Space {
	return &Space{blobs: make(map[string]blob)}
}

// check validates name and ctx, the preamble of every method.
func check(ctx context.Context, op, name string) error {
	if err := space.ValidateName(name); err != nil {
		return fmt.Errorf("memspace: %s: %w", op, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memspace: %s %q: %w", op, name, err)
	}
	return nil
}

// get returns the blob stored under name.
func (s *Space) get(op, name string) (blob, error) {
	s.mu.RLock()
	b, ok := s.blobs[name]
	s.mu.RUnlock()
	if !ok {
		return blob{}, fmt.Errorf("memspace: %s %q: %w", op, name, space.ErrNotExist)
	}
	return b, nil
}

// Open implements space.Space. The reader shares the blob's bytes and keeps them after the
// name is replaced or deleted. The caller must Close it; reads after Close fail, which catches
// readers that tests use past their lifetime.
func (s *Space) Open(ctx context.Context, name string) (space.Reader, error) {
	if err := check(ctx, "open", name); err != nil {
		return nil, err
	}
	b, err := s.get("open", name)
	if err != nil {
		return nil, err
	}
	return &reader{name: name, data: b.data}, nil
}

// Stat implements space.Space.
func (s *Space) Stat(ctx context.Context, name string) (space.Info, error) {
	if err := check(ctx, "stat", name); err != nil {
		return space.Info{}, err
	}
	b, err := s.get("stat", name)
	if err != nil {
		return space.Info{}, err
	}
	return space.Info{Name: name, Size: int64(len(b.data)), ModTime: b.modTime}, nil
}

// Delete implements space.Space.
func (s *Space) Delete(ctx context.Context, name string) error {
	if err := check(ctx, "delete", name); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.blobs[name]; !ok {
		return nil
	}
	delete(s.blobs, name)
	i, _ := slices.BinarySearch(s.names, name)
	s.names = slices.Delete(s.names, i, i+1)
	return nil
}

// store publishes data under name, replacing any blob there.
func (s *Space) store(name string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.blobs[name]; !ok {
		i, _ := slices.BinarySearch(s.names, name)
		s.names = slices.Insert(s.names, i, name)
	}
	s.blobs[name] = blob{data: data, modTime: time.Now()}
}
