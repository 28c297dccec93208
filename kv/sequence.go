package kv

import (
	"context"
	"errors"
	"fmt"
	"math"
)

// DefaultLease is the number of IDs a Sequence leases at a time when
// Store.Sequence is given a lease of 0.
const DefaultLease = 128

// counterVersion is the format version of a Sequence counter record.
const counterVersion = 1

// Sequence hands out increasing uint64 IDs, starting at 1, without a commit
// per ID: it leases a block at a time by advancing a persisted counter (the
// highest ID leased) in its own Update. IDs leased but not handed out when
// the process stops are skipped, never reused. Leasing through Update keeps
// Sequences on one key in different processes disjoint. A Sequence is safe
// for concurrent use.
type Sequence struct {
	s     *Store
	key   []byte
	lease uint64
	// sem is a one-slot semaphore guarding next and limit; unlike a mutex it
	// lets a waiting Next give up when its ctx is done.
	sem   chan struct{}
	next  uint64 // next ID to hand out; next > limit means the lease is used up
	limit uint64 // last ID of the current lease
}

// Sequence returns the Sequence stored at key, such as
// Key(PrefixSequence).String("objectID"); it panics on a key not under
// PrefixSequence. lease is the number of IDs leased per Update; 0 means
// DefaultLease. Calls with the same key return the same *Sequence (the first
// lease wins), so a caller need not keep it to avoid skipping IDs.
func (s *Store) Sequence(key []byte, lease uint64) *Sequence {
	if len(key) < 2 || Prefix(key[0]) != PrefixSequence {
		panic(fmt.Sprintf("kv: sequence key %q is not a named key under PrefixSequence", key))
	}
	if lease == 0 {
		lease = DefaultLease
	}
	s.seqMu.Lock()
	defer s.seqMu.Unlock()
	if q, ok := s.seqs[string(key)]; ok {
		return q
	}
	q := &Sequence{
		s:     s,
		key:   append([]byte{}, key...),
		lease: lease,
		sem:   make(chan struct{}, 1),
		next:  1,
	}
	s.seqs[string(key)] = q
	return q
}

// Next returns the next ID, committing an Update only when the lease is used
// up. It returns ctx.Err() if ctx is done while it waits, or the error of
// leasing (such as ErrClosed, or the counter passing math.MaxUint64).
func (q *Sequence) Next(ctx context.Context) (uint64, error) {
	select {
	case q.sem <- struct{}{}:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	defer func() { <-q.sem }()
	if q.next > q.limit {
		if err := q.renew(ctx); err != nil {
			return 0, err
		}
	}
	id := q.next
	q.next++
	return id, nil
}

// renew leases the next block of IDs. The caller holds q.sem.
func (q *Sequence) renew(ctx context.Context) error {
	var first, limit uint64
	err := q.s.Update(ctx, func(tx Tx) error {
		var err error
		first, limit, err = q.advance(tx)
		return err
	})
	if err != nil {
		return err
	}
	q.next, q.limit = first, limit
	return nil
}

// advance reads the counter, moves it forward by one lease and returns the
// leased block [first, limit].
func (q *Sequence) advance(tx Tx) (first, limit uint64, err error) {
	var cur uint64
	v, err := tx.Get(q.key)
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return 0, 0, err
	default:
		if cur, err = decodeCounter(v); err != nil {
			return 0, 0, fmt.Errorf("kv: sequence %q: %w", q.key, err)
		}
	}
	if cur > math.MaxUint64-q.lease {
		return 0, 0, fmt.Errorf("kv: sequence %q exhausted at %d", q.key, cur)
	}
	limit = cur + q.lease
	var e Encoder
	e.Version(counterVersion)
	e.Uint64(limit)
	return cur + 1, limit, tx.Set(q.key, e.Bytes())
}

// decodeCounter decodes a counter record.
func decodeCounter(b []byte) (uint64, error) {
	d := NewDecoder(b)
	if v := d.Version(); d.Err() == nil && v != counterVersion {
		return 0, fmt.Errorf("%w: counter version %d unsupported", ErrCorrupt, v)
	}
	n := d.Uint64()
	return n, d.Err()
}
