package kv

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
)

func TestSequenceStartsAtOneAndLeases(t *testing.T) {
	s := newTestStore(t, nil)
	q := s.Sequence(Key(PrefixSequence).String("ids"), 4)
	for want := uint64(1); want <= 10; want++ {
		got, err := q.Next(t.Context())
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
	// 10 IDs with a lease of 4: three leases, plus the schema commit.
	require.EqualValues(t, 4, s.Metrics().Commits)
}

func TestSequenceSkipsUnusedLeaseAfterReopen(t *testing.T) {
	fs := vfs.NewMem()
	key := Key(PrefixSequence).String("ids")
	s, err := Open("db", &Options{FS: fs, Logger: quietLogger})
	require.NoError(t, err)
	q := s.Sequence(key, 10)
	for range 3 {
		_, err := q.Next(t.Context())
		require.NoError(t, err)
	}
	require.NoError(t, s.Close())

	s, err = Open("db", &Options{FS: fs, Logger: quietLogger})
	require.NoError(t, err)
	defer s.Close()
	got, err := s.Sequence(key, 10).Next(t.Context())
	require.NoError(t, err)
	require.Equal(t, uint64(11), got, "IDs 4-10 were leased and are skipped")
}

func TestSequenceConcurrent(t *testing.T) {
	const workers, perWorker = 6, 200
	s := newTestStore(t, nil)
	key := Key(PrefixSequence).String("ids")
	// Two Sequence values on one key would lease disjoint blocks; Store
	// returns one shared value.
	require.Same(t, s.Sequence(key, 16), s.Sequence(key, 99))

	var mu sync.Mutex
	var all []uint64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			var mine []uint64
			for range perWorker {
				id, err := s.Sequence(key, 16).Next(t.Context())
				if err != nil {
					t.Errorf("next: %v", err)
					return
				}
				mine = append(mine, id)
			}
			if !slices.IsSorted(mine) {
				t.Errorf("IDs of one goroutine not increasing: %v", mine)
			}
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.Sort(all)
	require.Len(t, slices.Compact(all), workers*perWorker, "no duplicates")
	require.Equal(t, uint64(workers*perWorker), all[len(all)-1], "one process hands out a dense range")
}

func TestSequenceRejectsForeignKey(t *testing.T) {
	s := newTestStore(t, nil)
	tests := []struct {
		name string
		key  []byte
	}{
		{"raw name", []byte("objectID")},
		{"other prefix", Key(PrefixMeta).String("ids")},
		{"no name", Key(PrefixSequence)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Panics(t, func() { s.Sequence(tc.key, 0) })
		})
	}
}

func TestSequenceHonoursContext(t *testing.T) {
	s := newTestStore(t, nil)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := s.Sequence(Key(PrefixSequence).String("ids"), 0).Next(ctx)
	require.ErrorIs(t, err, context.Canceled)
}

func TestSequenceExhausted(t *testing.T) {
	s := newTestStore(t, nil)
	key := Key(PrefixSequence).String("ids")
	require.NoError(t, s.Update(t.Context(), func(tx Tx) error {
		var e Encoder
		e.Version(counterVersion)
		e.Uint64(1<<64 - 2)
		return tx.Set(key, e.Bytes())
	}))
	_, err := s.Sequence(key, 4).Next(t.Context())
	require.ErrorContains(t, err, "exhausted")
}
