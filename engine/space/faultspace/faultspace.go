// Package faultspace wraps a space.Space and injects faults into it at run time, so that
// engine tests can drive degraded reads, failed and torn writes and silent corruption, in the
// spirit of pebble's vfs/errorfs.
//
// A test builds the wrapper once and changes its faults while the engine runs:
//
//	fs := faultspace.New(memspace.New())
//	fs.Fail(faultspace.OpAll, nil, errDown)                    // the whole space is down
//	fs.FailPutAfter(4096, faultspace.Prefix("obj1/"), nil)     // writes break mid-stream
//	fs.Corrupt(faultspace.Name("obj1/3"), 100, 1)              // one byte reads flipped
//	fs.Clear()                                                 // healthy again
//
// Faults are consulted on every call, including on every ReadAt of readers opened earlier, so
// a test can break a space between two reads. With no faults set, every call goes straight to
// the inner space, and the wrapper passes the spacetest conformance suite.
package faultspace

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/jointcloud/jcs/engine/space"
)

// Op is a set of the operations a fault applies to.
type Op uint8

// The operations of a space.Space and its readers that faults can target.
const (
	OpPut Op = 1 << iota
	OpOpen
	OpStat
	OpDelete
	OpList
	OpReadAt

	// OpAll is every operation, for taking a whole space down.
	OpAll = OpPut | OpOpen | OpStat | OpDelete | OpList | OpReadAt
)

// String names the operations in o, for error messages.
func (o Op) String() string {
	var names []string
	for i, name := range []string{"put", "open", "stat", "delete", "list", "readat"} {
		if o&(1<<i) != 0 {
			names = append(names, name)
		}
	}
	return strings.Join(names, "|")
}

// ErrInjected is the error of a fault set up with a nil error.
var ErrInjected = errors.New("faultspace: injected fault")

var _ space.Space = (*Space)(nil)

// Space is a space.Space that forwards to an inner space, except where a fault applies. It is
// safe for concurrent use, including changing faults while other goroutines use the space.
type Space struct {
	inner space.Space

	mu          sync.RWMutex
	failures    []failure
	corruptions []corruption
	delays      []delay
}

// delay makes the operations in ops on names that match take d longer.
type delay struct {
	ops   Op
	match func(name string) bool
	d     time.Duration
}

// failure makes the operations in ops fail with err for names that match.
type failure struct {
	ops   Op
	match func(name string) bool
	err   error
	after int64 // for OpPut: bytes of the source that pass before err; -1 fails at once
}

// corruption flips the bytes [off, off+n) of what ReadAt returns for names that match.
type corruption struct {
	match  func(name string) bool
	off, n int64
}

// New returns a Space over inner with no faults.
func New(inner space.Space) *Space {
	return &Space{inner: inner}
}

// Name returns a predicate that matches exactly name.
func Name(name string) func(string) bool {
	return func(s string) bool { return s == name }
}

// Prefix returns a predicate that matches names starting with prefix.
func Prefix(prefix string) func(string) bool {
	return func(s string) bool { return strings.HasPrefix(s, prefix) }
}

// Fail makes the operations in ops fail with an error wrapping err (ErrInjected if err is nil)
// for names that match (every name if match is nil). For OpList, match sees the prefix. A
// failed Put, Delete or Open does nothing to the inner space; a failed ReadAt reads nothing.
// match runs under the Space's lock and must not call the Space.
func (s *Space) Fail(ops Op, match func(name string) bool, err error) {
	s.addFailure(failure{ops: ops, match: match, err: err, after: -1})
}

// FailPutAfter makes Put fail part way through for names that match: the inner space reads
// the first n bytes of the source and then an error wrapping err (ErrInjected if nil), so the
// Put fails as if the source broke mid-stream. A source shorter than n bytes is unaffected.
func (s *Space) FailPutAfter(n int64, match func(name string) bool, err error) {
	s.addFailure(failure{ops: OpPut, match: match, err: err, after: max(n, 0)})
}

func (s *Space) addFailure(f failure) {
	if f.err == nil {
		f.err = ErrInjected
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, f)
}

// Corrupt makes ReadAt, on readers of names that match (every name if match is nil), return
// the blob's bytes [off, off+n) inverted, as a disk that rots silently would. ReadAt reports
// no error: the caller has to notice, for instance by checksum.
func (s *Space) Corrupt(match func(name string) bool, off, n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.corruptions = append(s.corruptions, corruption{match: match, off: off, n: n})
}

// Delay makes the operations in ops, on names that match (every name if match is nil), wait d
// before they run, as a slow or overloaded store would. A wait ends early, failing the
// operation, when its context is cancelled (ReadAt has none and always waits in full).
func (s *Space) Delay(ops Op, match func(name string) bool, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delays = append(s.delays, delay{ops: ops, match: match, d: d})
}

// Clear removes every fault. Calls already past their fault check are not affected.
func (s *Space) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures, s.corruptions, s.delays = nil, nil, nil
}

// wait sleeps for the delays set for op on name.
func (s *Space) wait(ctx context.Context, op Op, name string) error {
	s.mu.RLock()
	var d time.Duration
	for _, dl := range s.delays {
		if dl.ops&op != 0 && (dl.match == nil || dl.match(name)) {
			d += dl.d
		}
	}
	s.mu.RUnlock()
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return fmt.Errorf("faultspace: %s %q: %w", op, name, ctx.Err())
	case <-t.C:
		return nil
	}
}

// findFailure returns the first failure set for op on name.
func (s *Space) findFailure(op Op, name string) (failure, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, f := range s.failures {
		if f.ops&op != 0 && (f.match == nil || f.match(name)) {
			return f, true
		}
	}
	return failure{}, false
}

// injected returns the error of a failure set for op on name that fails at once, or nil.
func (s *Space) injected(op Op, name string) error {
	f, ok := s.findFailure(op, name)
	if !ok || f.after >= 0 {
		return nil
	}
	return fmt.Errorf("faultspace: %s %q: %w", op, name, f.err)
}

// Put implements space.Space.
func (s *Space) Put(ctx context.Context, name string, r io.Reader, size int64) error {
	if err := s.wait(ctx, OpPut, name); err != nil {
		return err
	}
	f, ok := s.findFailure(OpPut, name)
	switch {
	case ok && f.after < 0:
		return fmt.Errorf("faultspace: put %q: %w", name, f.err)
	case ok:
		r = &brokenReader{r: r, left: f.after, err: fmt.Errorf("faultspace: put %q after %d bytes: %w", name, f.after, f.err)}
	}
	return s.inner.Put(ctx, name, r, size)
}

// Open implements space.Space. The reader consults the faults on every ReadAt.
func (s *Space) Open(ctx context.Context, name string) (space.Reader, error) {
	if err := s.wait(ctx, OpOpen, name); err != nil {
		return nil, err
	}
	if err := s.injected(OpOpen, name); err != nil {
		return nil, err
	}
	r, err := s.inner.Open(ctx, name)
	if err != nil {
		return nil, err
	}
	return &reader{Reader: r, s: s, name: name}, nil
}

// Stat implements space.Space.
func (s *Space) Stat(ctx context.Context, name string) (space.Info, error) {
	if err := s.wait(ctx, OpStat, name); err != nil {
		return space.Info{}, err
	}
	if err := s.injected(OpStat, name); err != nil {
		return space.Info{}, err
	}
	return s.inner.Stat(ctx, name)
}

// Delete implements space.Space.
func (s *Space) Delete(ctx context.Context, name string) error {
	if err := s.wait(ctx, OpDelete, name); err != nil {
		return err
	}
	if err := s.injected(OpDelete, name); err != nil {
		return err
	}
	return s.inner.Delete(ctx, name)
}

// List implements space.Space. Fault predicates see the prefix in place of a name.
func (s *Space) List(ctx context.Context, prefix, after string, limit int) ([]space.Info, string, error) {
	if err := s.wait(ctx, OpList, prefix); err != nil {
		return nil, "", err
	}
	if err := s.injected(OpList, prefix); err != nil {
		return nil, "", err
	}
	return s.inner.List(ctx, prefix, after, limit)
}
