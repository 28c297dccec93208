package kv

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestUpdateReadYourWrites(t *testing.T) {
	s := newTestStore(t, nil)
	put(t, s, "a", "old")
	put(t, s, "b", "doomed")
	require.NoError(t, s.Update(t.Context(), func(tx Tx) error {
		require.NoError(t, tx.Set([]byte("a"), []byte("new")))
		require.NoError(t, tx.Set([]byte("c"), []byte("added")))
		require.NoError(t, tx.Delete([]byte("b")))

		v, err := tx.Get([]byte("a"))
		require.NoError(t, err)
		require.Equal(t, "new", string(v))
		_, err = tx.Get([]byte("b"))
		require.ErrorIs(t, err, ErrNotFound)
		require.Equal(t, []string{"a=new", "c=added"}, scan(t, tx, []byte("a"), nil))
		return nil
	}))
	require.Equal(t, "new", lookup(t, s, "a"))
	require.Equal(t, "<missing>", lookup(t, s, "b"))
	require.Equal(t, "added", lookup(t, s, "c"))
}

func TestUpdateFnErrorWritesNothing(t *testing.T) {
	errBoom := errors.New("boom")
	tests := []struct {
		name string
		fn   func(tx Tx) error
	}{
		{"after set", func(tx Tx) error {
			if err := tx.Set([]byte("k"), []byte("changed")); err != nil {
				return err
			}
			return errBoom
		}},
		{"after delete", func(tx Tx) error {
			if err := tx.Delete([]byte("k")); err != nil {
				return err
			}
			return errBoom
		}},
		{"after read and insert", func(tx Tx) error {
			if _, err := tx.Get([]byte("k")); err != nil {
				return err
			}
			if err := tx.Set([]byte("new"), []byte("x")); err != nil {
				return err
			}
			return errBoom
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestStore(t, nil)
			put(t, s, "k", "orig")
			err := s.Update(t.Context(), tc.fn)
			require.True(t, err == errBoom, "error returned unchanged, got %v", err)
			require.Equal(t, "orig", lookup(t, s, "k"))
			require.Equal(t, "<missing>", lookup(t, s, "new"))
			require.EqualValues(t, 2, s.Metrics().Commits, "schema init and put only")
		})
	}
}

// get, set, del and iter build the transaction steps of TestUpdateConflicts.
func get(key string) func(Tx) error {
	return func(tx Tx) error {
		_, err := tx.Get([]byte(key))
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		return err
	}
}

func set(key string) func(Tx) error {
	return func(tx Tx) error { return tx.Set([]byte(key), []byte("B")) }
}

func del(key string) func(Tx) error {
	return func(tx Tx) error { return tx.Delete([]byte(key)) }
}

func iter(lower, upper string) func(Tx) error {
	return func(tx Tx) error {
		var lo, hi []byte
		if lower != "" {
			lo = []byte(lower)
		}
		if upper != "" {
			hi = []byte(upper)
		}
		it := tx.Iter(lo, hi)
		for ok := it.First(); ok; ok = it.Next() {
		}
		return it.Close()
	}
}

func noRead(Tx) error { return nil }

// TestUpdateConflicts interleaves two transactions with a barrier: A reads,
// then waits inside its function while B commits, then A writes and commits.
// A must be rerun exactly when B wrote into what A read.
func TestUpdateConflicts(t *testing.T) {
	tests := []struct {
		name     string
		aReads   func(Tx) error
		bWrites  func(Tx) error
		wantRuns int
	}{
		{"get vs set same key", get("k"), set("k"), 2},
		{"get vs set other key", get("k"), set("other"), 1},
		{"get vs delete", get("k"), del("k"), 2},
		{"missing key vs insert", get("missing"), set("missing"), 2},
		{"missing key vs insert elsewhere", get("missing"), set("missing2"), 1},
		{"range vs insert inside", iter("r/b", "r/d"), set("r/c"), 2},
		{"range vs delete inside", iter("r/b", "r/d"), del("r/b"), 2},
		{"range vs insert at lower bound", iter("r/b", "r/d"), set("r/b"), 2},
		{"range vs insert at upper bound", iter("r/b", "r/d"), set("r/d"), 1},
		{"range vs insert below", iter("r/b", "r/d"), set("r/a"), 1},
		{"unbounded range vs insert", iter("r/b", ""), set("z"), 2},
		{"blind write vs write of same key", noRead, set("out"), 1},
		{"blind write vs write of read key", noRead, set("k"), 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestStore(t, nil)
			put(t, s, "k", "orig")
			put(t, s, "r/b", "orig")

			aRead, bDone := make(chan struct{}), make(chan struct{})
			runs := 0
			aErr := make(chan error, 1)
			go func() {
				aErr <- s.Update(t.Context(), func(tx Tx) error {
					runs++
					if err := tc.aReads(tx); err != nil {
						return err
					}
					if runs == 1 {
						close(aRead)
						<-bDone
					}
					return tx.Set([]byte("out"), fmt.Appendf(nil, "A run %d", runs))
				})
			}()
			<-aRead
			require.NoError(t, s.Update(t.Context(), tc.bWrites))
			close(bDone)
			require.NoError(t, <-aErr)

			require.Equal(t, tc.wantRuns, runs)
			require.Equal(t, fmt.Sprintf("A run %d", runs), lookup(t, s, "out"))
			m := s.Metrics()
			require.EqualValues(t, tc.wantRuns-1, m.Conflicts)
			require.EqualValues(t, tc.wantRuns-1, m.Retries)
		})
	}
}

// TestUpdateNoLostUpdates increments a counter from many goroutines. The
// first attempt of every worker reads the counter and then waits until all
// workers have read it, so at least workers-1 of them must be caught by
// validation; without conflict detection the final count would be short.
func TestUpdateNoLostUpdates(t *testing.T) {
	const workers, perWorker = 8, 25
	s := newTestStore(t, &Options{MaxRetries: 10_000})
	key := Key(PrefixMeta).String("counter")

	var barrier sync.WaitGroup
	barrier.Add(workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			first := true
			for range perWorker {
				err := s.Update(t.Context(), func(tx Tx) error {
					n, err := readCount(tx, key)
					if err != nil {
						return err
					}
					if first {
						first = false
						barrier.Done()
						barrier.Wait()
					}
					return tx.Set(key, binary.BigEndian.AppendUint64(nil, n+1))
				})
				if err != nil {
					t.Errorf("update: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()

	require.NoError(t, s.View(t.Context(), func(r Reader) error {
		n, err := readCount(r, key)
		require.Equal(t, uint64(workers*perWorker), n)
		return err
	}))
	m := s.Metrics()
	require.GreaterOrEqual(t, m.Conflicts, int64(workers-1))
	require.Zero(t, m.ConflictFailures)
	require.Zero(t, m.ConflictLogEntries, "log pruned once nothing runs")
	require.Zero(t, m.ActiveTransactions)
}

// readCount reads a big-endian counter; a missing key counts as 0.
func readCount(r Reader, key []byte) (uint64, error) {
	v, err := r.Get(key)
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint64(v), nil
}

// conflictEveryRun returns an Update function that reads k and then commits
// a write to k from a nested Update, so that every run conflicts.
func conflictEveryRun(t *testing.T, s *Store, runs *int, result error) func(Tx) error {
	return func(tx Tx) error {
		*runs++
		if err := get("k")(tx); err != nil {
			return err
		}
		require.NoError(t, s.Update(t.Context(), set("k")))
		if err := tx.Set([]byte("out"), []byte("A")); err != nil {
			return err
		}
		return result
	}
}

func TestUpdateConflictRetriesExhausted(t *testing.T) {
	s := newTestStore(t, &Options{MaxRetries: 3})
	runs := 0
	err := s.Update(t.Context(), conflictEveryRun(t, s, &runs, nil))
	require.ErrorIs(t, err, ErrConflict)
	require.Equal(t, 4, runs, "one run and MaxRetries reruns")
	require.Equal(t, "<missing>", lookup(t, s, "out"))
	m := s.Metrics()
	require.EqualValues(t, 4, m.Conflicts)
	require.EqualValues(t, 3, m.Retries)
	require.EqualValues(t, 1, m.ConflictFailures)
}

// An error from a run whose reads were invalidated may come from an
// inconsistent view, so the run is retried rather than its error returned.
func TestUpdateErrorFromInvalidatedRunIsRetried(t *testing.T) {
	s := newTestStore(t, nil)
	errBoom := errors.New("boom")
	runs := 0
	inner := conflictEveryRun(t, s, &runs, errBoom)
	err := s.Update(t.Context(), func(tx Tx) error {
		if runs == 0 {
			return inner(tx)
		}
		runs++
		return tx.Set([]byte("out"), []byte("A"))
	})
	require.NoError(t, err)
	require.Equal(t, 2, runs)
	require.Equal(t, "A", lookup(t, s, "out"))
}

// A read-only run is validated too: what it returns must come from one state.
func TestUpdateReadOnlyIsValidated(t *testing.T) {
	s := newTestStore(t, nil)
	put(t, s, "k", "orig")
	runs := 0
	var seen string
	require.NoError(t, s.Update(t.Context(), func(tx Tx) error {
		runs++
		v, err := tx.Get([]byte("k"))
		seen = string(v)
		if runs == 1 {
			put(t, s, "k", "changed")
		}
		return err
	}))
	require.Equal(t, 2, runs)
	require.Equal(t, "changed", seen)
	require.EqualValues(t, 1, s.Metrics().ReadOnlyUpdates)
}

func TestUpdateHonoursContext(t *testing.T) {
	s := newTestStore(t, &Options{MaxRetries: 1000})
	ctx, cancel := context.WithCancel(t.Context())
	runs := 0
	err := s.Update(ctx, func(tx Tx) error {
		if runs == 1 {
			cancel()
		}
		return conflictEveryRun(t, s, &runs, nil)(tx)
	})
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, 2, runs)
}

func TestUpdatePanicReleasesTransaction(t *testing.T) {
	s := newTestStore(t, nil)
	require.PanicsWithValue(t, "fn bug", func() {
		_ = s.Update(t.Context(), func(tx Tx) error {
			_ = get("k")(tx)
			_ = tx.Set([]byte("k"), []byte("half"))
			panic("fn bug")
		})
	})
	require.Equal(t, "<missing>", lookup(t, s, "k"))
	require.Zero(t, s.Metrics().ActiveTransactions)
	put(t, s, "k", "v")
	require.Equal(t, "v", lookup(t, s, "k"))
}
