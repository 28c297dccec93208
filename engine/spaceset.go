package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/jointcloud/jcs/engine/space"
)

// Health is what the engine believes of a user space, from the outcome and latency of the
// operations it ran there and from a periodic probe.
type Health int

const (
	// HealthOK: the space takes new shards and is read first.
	HealthOK Health = iota
	// HealthSuspect: recent operations failed. The space is still used, but one more run of
	// failures takes it down, and the next probe decides.
	HealthSuspect
	// HealthDown: the space failed repeatedly or failed its probe. It takes no new shards and
	// is read only when an object cannot be read without it; the probe reopens it and brings it
	// back once it answers.
	HealthDown
)

// String returns "ok", "suspect" or "down".
func (h Health) String() string {
	switch h {
	case HealthOK:
		return "ok"
	case HealthSuspect:
		return "suspect"
	}
	return "down"
}

// downAfter is how many operations in a row must fail before a space is taken down.
const downAfter = 3

// slowOp is how long an operation other than a Put (or a probe) may take before it counts as
// a failure: a space that answers, but only after this long, stalls every read it serves. A
// variable so that tests can shorten it.
var slowOp = 5 * time.Second

const (
	// writeFailureCooldown is how long a space that failed a shard write gets no new shards,
	// whatever its health; it keeps one failing space from failing every upload until the
	// failures add up or the probe runs.
	writeFailureCooldown = 30 * time.Second
)

// spaceSet holds every registered user space: its record, its opened storage and what the
// engine has learned about it. Every field of every entry is guarded by mu.
type spaceSet struct {
	mu   sync.Mutex
	byID map[SpaceID]*spaceEntry
	// onDown, if set, is called (without the lock) each time a space goes down.
	onDown func(us UserSpace, why string)
}

// wentDown reports a transition to down.
func (s *spaceSet) wentDown(us UserSpace, why string) {
	if s.onDown != nil {
		s.onDown(us, why)
	}
}

type spaceEntry struct {
	info UserSpace
	sp   space.Space // nil when the storage could not be opened
	// openErr says why sp is nil.
	openErr error

	health   Health
	failures int       // operations failed in a row
	lastErr  string    // the last failure, for operators
	downAt   time.Time // when health became HealthDown
	// failedUntil is when a space that failed a write may take new shards again.
	failedUntil time.Time

	// used and shards count the shard files the index places here; reserved is the bytes
	// of shard writes in progress. Together they enforce ShardStore.MaxSize.
	used, reserved, shards int64

	ops, errs int64         // operations recorded, and those that failed
	latency   time.Duration // moving average of operation latency
}

func (s *spaceSet) add(us UserSpace, sp space.Space, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byID == nil {
		s.byID = make(map[SpaceID]*spaceEntry)
	}
	ent := &spaceEntry{info: us, sp: sp, openErr: err}
	if err != nil {
		ent.health, ent.lastErr, ent.downAt = HealthDown, err.Error(), time.Now()
	}
	if old := s.byID[us.ID]; old != nil {
		ent.used, ent.shards, ent.reserved = old.used, old.shards, old.reserved
	}
	s.byID[us.ID] = ent
}

// update replaces the record of a registered space, keeping what was learned about it.
func (s *spaceSet) update(us UserSpace) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ent := s.byID[us.ID]; ent != nil {
		ent.info = us
	}
}

// remove forgets a space and returns its storage, for the caller to close.
func (s *spaceSet) remove(id SpaceID) space.Space {
	s.mu.Lock()
	defer s.mu.Unlock()
	ent := s.byID[id]
	delete(s.byID, id)
	if ent == nil {
		return nil
	}
	return ent.sp
}

// get returns the storage of a user space, wrapped so that every operation on it feeds the
// space's health, or an error saying why there is none.
func (s *spaceSet) get(id SpaceID) (space.Space, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ent, ok := s.byID[id]
	switch {
	case !ok:
		return nil, fmt.Errorf("user space %d is not registered", id)
	case ent.sp == nil:
		return nil, fmt.Errorf("user space %d is unavailable: %w", id, ent.openErr)
	}
	return &trackedSpace{set: s, id: id, inner: ent.sp}, nil
}

// registered reports whether a user space with this ID exists, available or not.
func (s *spaceSet) registered(id SpaceID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.byID[id]
	return ok
}

// health returns a space's health; an unregistered space is down.
func (s *spaceSet) health(id SpaceID) Health {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ent, ok := s.byID[id]; ok {
		return ent.health
	}
	return HealthDown
}

// writable returns, in ID order, the spaces that may receive a new shard of need bytes now:
// open, not down, not cooling down after a failed write, not draining, with a shard store
// that has room.
func (s *spaceSet) writable(now time.Time, need int64) []SpaceID {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []SpaceID
	for id, ent := range s.byID {
		if ent.takesShards(now) && ent.hasRoom(need) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

func (ent *spaceEntry) takesShards(now time.Time) bool {
	return ent.sp != nil && ent.health != HealthDown && ent.info.ShardStore != nil &&
		!ent.info.Draining && !ent.failedUntil.After(now)
}

func (ent *spaceEntry) hasRoom(need int64) bool {
	max := ent.info.ShardStore.MaxSize
	return max <= 0 || ent.used+ent.reserved+need <= max
}

// takes reports whether a space may receive new shards now.
func (s *spaceSet) takes(id SpaceID, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	ent, ok := s.byID[id]
	return ok && ent.takesShards(now)
}

// reserve claims n bytes of a space's shard store for a write in progress. It fails when the
// space is gone or the bytes would break its cap.
func (s *spaceSet) reserve(id SpaceID, n int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	ent, ok := s.byID[id]
	if !ok || ent.info.ShardStore == nil || !ent.hasRoom(n) {
		return false
	}
	ent.reserved += n
	return true
}

// settle ends a reservation of n bytes; kept says whether the shard file now exists.
func (s *spaceSet) settle(id SpaceID, n int64, kept bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ent, ok := s.byID[id]; ok {
		ent.reserved -= n
		if kept {
			ent.used += n
			ent.shards++
		}
	}
}

// account adds (or, with negative arguments, removes) shard files the index places on a space.
func (s *spaceSet) account(id SpaceID, bytes, shards int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ent, ok := s.byID[id]; ok {
		ent.used = max(0, ent.used+bytes)
		ent.shards = max(0, ent.shards+shards)
	}
}

// markFailed keeps a space from new shards until until.
func (s *spaceSet) markFailed(id SpaceID, until time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ent, ok := s.byID[id]; ok && until.After(ent.failedUntil) {
		ent.failedUntil = until
	}
}

// record feeds the outcome of one operation on a space into its health; a negative elapsed
// time records no latency sample. Errors that say
// nothing about the space (a missing blob, a bad name, a cancelled caller) count as successes
// of the space; an operation slower than slowOp counts as a failure.
func (s *spaceSet) record(id SpaceID, elapsed time.Duration, err error) {
	if err == nil && elapsed > slowOp {
		err = fmt.Errorf("operation took %v", elapsed.Round(time.Millisecond))
	}
	fault := isSpaceFault(err)
	s.mu.Lock()
	ent, ok := s.byID[id]
	if !ok {
		s.mu.Unlock()
		return
	}
	wasDown := ent.health == HealthDown
	defer func() {
		down, us, why := ent.health == HealthDown, ent.info, ent.lastErr
		s.mu.Unlock()
		if down && !wasDown {
			s.wentDown(us, why)
		}
	}()
	ent.ops++
	if elapsed >= 0 {
		ent.latency += (elapsed - ent.latency) / 8
	}
	if !fault {
		ent.failures = 0
		if ent.health == HealthSuspect {
			ent.health = HealthOK
		}
		return
	}
	ent.errs++
	ent.failures++
	ent.lastErr = err.Error()
	switch {
	case ent.health == HealthDown:
	case ent.failures >= downAfter:
		ent.health, ent.downAt = HealthDown, time.Now()
	default:
		ent.health = HealthSuspect
	}
}

// isSpaceFault reports whether err is the space's fault rather than the caller's or the data's.
func isSpaceFault(err error) bool {
	return err != nil && !errors.Is(err, space.ErrNotExist) && !errors.Is(err, space.ErrInvalidName) &&
		!errors.Is(err, space.ErrSizeMismatch) && !errors.Is(err, context.Canceled) &&
		!errors.Is(err, errSpaceFull)
}

// setHealth records a probe's verdict: nil brings the space up, an error takes it down.
func (s *spaceSet) setHealth(id SpaceID, err error) {
	s.mu.Lock()
	ent, ok := s.byID[id]
	if !ok {
		s.mu.Unlock()
		return
	}
	if err == nil {
		ent.health, ent.failures, ent.failedUntil = HealthOK, 0, time.Time{}
		s.mu.Unlock()
		return
	}
	ent.lastErr = err.Error()
	wasDown := ent.health == HealthDown
	if !wasDown {
		ent.health, ent.downAt = HealthDown, time.Now()
	}
	us := ent.info
	s.mu.Unlock()
	if !wasDown {
		s.wentDown(us, err.Error())
	}
}

// swap installs newly opened storage for a space and returns the old one, for the caller to
// close.
func (s *spaceSet) swap(id SpaceID, sp space.Space) space.Space {
	s.mu.Lock()
	defer s.mu.Unlock()
	ent, ok := s.byID[id]
	if !ok {
		return sp
	}
	old := ent.sp
	ent.sp, ent.openErr = sp, nil
	return old
}

// spaceView is a copy of an entry's state, for loops that must not hold the lock.
type spaceView struct {
	info    UserSpace
	sp      space.Space // raw storage, nil when unopened: callers record outcomes themselves
	openErr error
	health  Health
	downAt  time.Time
	status  SpaceStatus
}

// views returns every registered space, in ID order.
func (s *spaceSet) views(now time.Time) []spaceView {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]spaceView, 0, len(s.byID))
	for _, ent := range s.byID {
		out = append(out, spaceView{
			info: ent.info, sp: ent.sp, openErr: ent.openErr, health: ent.health, downAt: ent.downAt,
			status: ent.status(now),
		})
	}
	slices.SortFunc(out, func(a, b spaceView) int { return cmp.Compare(a.info.ID, b.info.ID) })
	return out
}

// opened returns the spaces whose storage is open, in ID order.
func (s *spaceSet) opened() []spaceView {
	var out []spaceView
	for _, v := range s.views(time.Now()) {
		if v.sp != nil {
			out = append(out, v)
		}
	}
	return out
}

func (ent *spaceEntry) status(now time.Time) SpaceStatus {
	st := SpaceStatus{
		ID: ent.info.ID, Name: ent.info.Name, Type: ent.info.Storage.Type,
		Available: ent.takesShards(now),
		Health:    ent.health.String(), LastError: ent.lastErr, Draining: ent.info.Draining,
		UsedBytes: ent.used, Shards: ent.shards, Operations: ent.ops, Errors: ent.errs,
		Latency: ent.latency,
	}
	if ent.info.ShardStore != nil {
		st.MaxBytes = ent.info.ShardStore.MaxSize
	}
	return st
}

// trackedSpace forwards to a space's storage and records the outcome of every operation but
// Put, whose failures the write path attributes itself (a Put fails when its source does).
type trackedSpace struct {
	set   *spaceSet
	id    SpaceID
	inner space.Space
}

func (t *trackedSpace) done(start time.Time, err error) {
	t.set.record(t.id, time.Since(start), err)
}

func (t *trackedSpace) Put(ctx context.Context, name string, r io.Reader, size int64) error {
	err := t.inner.Put(ctx, name, r, size)
	if err == nil {
		t.set.record(t.id, -1, nil) // a Put's duration depends on its size: no latency sample
	}
	return err
}

// PutBatch stores blobs with the storage's PutBatch, or one Put each (see space.PutBatch).
func (t *trackedSpace) PutBatch(ctx context.Context, blobs []space.Blob) error {
	err := space.PutBatch(ctx, t.inner, blobs)
	if err == nil {
		t.set.record(t.id, -1, nil)
	}
	return err
}

func (t *trackedSpace) Open(ctx context.Context, name string) (space.Reader, error) {
	start := time.Now()
	r, err := t.inner.Open(ctx, name)
	t.done(start, err)
	if err != nil {
		return nil, err
	}
	return &trackedReader{Reader: r, t: t}, nil
}

func (t *trackedSpace) Stat(ctx context.Context, name string) (space.Info, error) {
	start := time.Now()
	info, err := t.inner.Stat(ctx, name)
	t.done(start, err)
	return info, err
}

func (t *trackedSpace) Delete(ctx context.Context, name string) error {
	start := time.Now()
	err := t.inner.Delete(ctx, name)
	t.done(start, err)
	return err
}

func (t *trackedSpace) List(ctx context.Context, prefix, after string, limit int) ([]space.Info, string, error) {
	start := time.Now()
	infos, next, err := t.inner.List(ctx, prefix, after, limit)
	t.done(start, err)
	return infos, next, err
}

type trackedReader struct {
	space.Reader
	t *trackedSpace
}

func (r *trackedReader) ReadAt(p []byte, off int64) (int, error) {
	start := time.Now()
	n, err := r.Reader.ReadAt(p, off)
	if err == io.EOF {
		r.t.done(start, nil)
	} else {
		r.t.done(start, err)
	}
	return n, err
}

// errSpaceFull is the error of a shard write that would break its space's MaxSize.
var errSpaceFull = errors.New("engine: user space shard store is full")

// capWriter reserves room in a space for every byte it forwards, so that concurrent writes
// of unknown size cannot together break the space's cap.
type capWriter struct {
	set      *spaceSet
	id       SpaceID
	w        io.Writer
	reserved int64
}

func (c *capWriter) Write(p []byte) (int, error) {
	if err := c.reserve(int64(len(p))); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

// reserve reserves n more bytes of the space for the shard, or fails if that would pass the
// space's cap.
func (c *capWriter) reserve(n int64) error {
	if !c.set.reserve(c.id, n) {
		return fmt.Errorf("user space %d: %w", c.id, errSpaceFull)
	}
	c.reserved += n
	return nil
}
