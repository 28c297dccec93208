package kv

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// Retry backoff bounds: the n-th rerun waits a uniformly random duration
// below min(backoffBase<<n, backoffMax), so that transactions that collided
// do not collide again in lockstep.
const (
	backoffBase = 50 * time.Microsecond
	backoffMax  = 5 * time.Millisecond
)

// Update runs fn in a read-write transaction and commits its writes
// atomically and durably: when Update returns nil they are visible to every
// later View and Update and in the fsynced WAL.
//
// fn runs concurrently with other transactions. If one of them, after fn's
// transaction started, commits a write to a key fn read or into a range fn
// iterated, fn's writes are discarded and fn is rerun after a jittered
// backoff, up to Options.MaxRetries times; then Update returns ErrConflict.
// So fn must have no effects outside the transaction and must reset what it
// captures. Blind writes (no reads) never conflict; a read-only fn commits
// nothing but is still validated, so its result reflects one state.
//
// If fn returns an error nothing is written and the error is returned
// unchanged, unless a concurrent commit had invalidated fn's reads (the error
// may stem from an inconsistent view): then fn is rerun as on a conflict.
// Update returns ctx.Err() if ctx is done before a run, and ErrClosed after
// Close. The Tx is valid only until fn returns.
func (s *Store) Update(ctx context.Context, fn func(tx Tx) error) error {
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.release()
	if failed := s.failed.Load(); failed != nil {
		return fmt.Errorf("%w: the store stopped taking writes after a WAL sync failed: %w", ErrCommitUnknown, *failed)
	}
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		conflict, err := s.try(fn)
		if !conflict {
			return err
		}
		s.stats.conflicts.Add(1)
		if attempt >= s.opts.MaxRetries {
			s.stats.conflictFailures.Add(1)
			return ErrConflict
		}
		s.stats.retries.Add(1)
		if err := backoff(ctx, attempt); err != nil {
			return err
		}
	}
}

// try runs fn once, then validates and commits its transaction.
func (s *Store) try(fn func(tx Tx) error) (conflict bool, err error) {
	tx := &txn{start: s.log.begin(), batch: s.db.NewIndexedBatch()}
	defer s.log.end(tx.start)
	defer tx.finish()
	err = fn(tx)
	tx.done = true
	if err != nil || len(tx.writes) == 0 {
		if !s.log.valid(tx.start, &tx.reads) {
			return true, nil
		}
		if err == nil {
			s.stats.readOnly.Add(1)
		}
		return false, err
	}
	return s.commit(tx)
}

// commit validates tx and applies its batch under commitMu, so commits are
// serial, then waits for the WAL fsync outside it, so that Pebble can group
// the fsyncs of concurrent commits.
func (s *Store) commit(tx *txn) (conflict bool, err error) {
	ok, err := s.apply(tx)
	if !ok || err != nil {
		return !ok, err
	}
	if err := tx.batch.SyncWait(); err != nil {
		s.failed.CompareAndSwap(nil, &err)
		return false, fmt.Errorf("%w: wal sync: %w", ErrCommitUnknown, err)
	}
	s.stats.commits.Add(1)
	return false, nil
}

// apply is the serial part of commit. Pebble makes the batch visible before
// ApplyNoSyncWait returns, and only then is its commit number published.
func (s *Store) apply(tx *txn) (ok bool, err error) {
	s.commitMu.Lock()
	defer s.commitMu.Unlock()
	seq, ok := s.log.reserve(tx.start, &tx.reads, tx.writes)
	if !ok {
		return false, nil
	}
	// Publish even if the apply failed: the number is used up, and its write
	// set can at worst cause a spurious conflict.
	defer s.log.publish(seq)
	if err := s.db.ApplyNoSyncWait(tx.batch, pebble.Sync); err != nil {
		return true, fmt.Errorf("kv: commit: %w", err)
	}
	return true, nil
}

// backoff waits before the rerun that follows attempt, or until ctx is done.
func backoff(ctx context.Context, attempt int) error {
	d := rand.N(min(backoffBase<<min(attempt, 10), backoffMax))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// txn implements Tx over an indexed Pebble batch over the live DB, recording
// its reads for validation and its written keys for the conflict log.
type txn struct {
	batch  *pebble.Batch
	start  uint64
	reads  readSet
	writes [][]byte
	arena  []byte // backs writes: one growing buffer instead of one per key
	iters  openIters
	done   bool
}

var _ Tx = (*txn)(nil)

// Get implements Reader. The key joins the read set whether or not it exists:
// a later insert of a key read as missing is a conflict.
func (t *txn) Get(key []byte) ([]byte, error) {
	if t.done {
		return nil, errFinished
	}
	t.reads.addKey(key)
	return getCopy(t.batch.Get(key))
}

// Iter implements Reader. The whole [lower, upper) joins the read set,
// however far the caller iterates. The iterator sees the writes made before
// it was created.
func (t *txn) Iter(lower, upper []byte) Iterator {
	if t.done {
		return &errIterator{err: errFinished}
	}
	o := iterOptions(lower, upper)
	t.reads.addRange(o.LowerBound, o.UpperBound)
	it, err := t.batch.NewIter(o)
	return t.iters.wrap(it, err)
}

// Set implements Tx.
func (t *txn) Set(key, value []byte) error {
	if t.done {
		return errFinished
	}
	t.noteWrite(key)
	if err := t.batch.Set(key, value, nil); err != nil {
		return fmt.Errorf("kv: set: %w", err)
	}
	return nil
}

// Delete implements Tx.
func (t *txn) Delete(key []byte) error {
	if t.done {
		return errFinished
	}
	t.noteWrite(key)
	if err := t.batch.Delete(key, nil); err != nil {
		return fmt.Errorf("kv: delete: %w", err)
	}
	return nil
}

// noteWrite copies key into the write set. Arena slices survive its growth:
// they keep the old array, which is never written again.
func (t *txn) noteWrite(key []byte) {
	n := len(t.arena)
	t.arena = append(t.arena, key...)
	t.writes = append(t.writes, t.arena[n:len(t.arena):len(t.arena)])
}

// finish closes leaked iterators and releases the batch.
func (t *txn) finish() {
	t.done = true
	t.iters.closeAll()
	_ = t.batch.Close()
}
