package kv

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// BenchmarkUpdateSet commits one Set per Update from parallel goroutines, on
// the in-memory file system (no fsync cost) and on disk, where concurrent
// commits share WAL fsyncs.
func BenchmarkUpdateSet(b *testing.B) {
	for _, fs := range []string{"mem", "disk"} {
		b.Run(fs, func(b *testing.B) {
			s := newTestStore(b, nil)
			if fs == "disk" {
				var err error
				s, err = Open(b.TempDir(), &Options{Logger: quietLogger})
				require.NoError(b, err)
				b.Cleanup(func() { _ = s.Close() })
			}
			var n atomic.Uint64
			value := make([]byte, 100)
			b.ReportAllocs()
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					key := Key(PrefixObjectID).Uint64(n.Add(1))
					err := s.Update(b.Context(), func(tx Tx) error { return tx.Set(key, value) })
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// fill writes n keys objectID/0..n-1 with 100-byte values.
func fill(b *testing.B, s *Store, n int) {
	value := make([]byte, 100)
	require.NoError(b, s.Update(b.Context(), func(tx Tx) error {
		for i := range n {
			if err := tx.Set(Key(PrefixObjectID).Uint64(uint64(i)), value); err != nil {
				return err
			}
		}
		return nil
	}))
}

// BenchmarkGet reads one key per View, and many keys in one View.
func BenchmarkGet(b *testing.B) {
	const n = 10_000
	s := newTestStore(b, nil)
	fill(b, s, n)
	b.Run("view-per-get", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			err := s.View(b.Context(), func(r Reader) error {
				_, err := r.Get(Key(PrefixObjectID).Uint64(uint64(i % n)))
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("in-one-view", func(b *testing.B) {
		b.ReportAllocs()
		require.NoError(b, s.View(b.Context(), func(r Reader) error {
			for i := 0; b.Loop(); i++ {
				if _, err := r.Get(Key(PrefixObjectID).Uint64(uint64(i % n))); err != nil {
					return err
				}
			}
			return nil
		}))
	})
}

// BenchmarkIter scans 1000 keys in a View.
func BenchmarkIter(b *testing.B) {
	const n = 1000
	s := newTestStore(b, nil)
	fill(b, s, n)
	b.ReportAllocs()
	for b.Loop() {
		err := s.View(b.Context(), func(r Reader) error {
			it := r.Iter(PrefixRange(Key(PrefixObjectID)))
			count := 0
			for ok := it.First(); ok; ok = it.Next() {
				count++
				_ = it.Value()
			}
			if count != n {
				return fmt.Errorf("scanned %d keys", count)
			}
			return it.Close()
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSequenceNext hands out IDs from parallel goroutines with the
// default lease.
func BenchmarkSequenceNext(b *testing.B) {
	s := newTestStore(b, nil)
	q := s.Sequence(Key(PrefixSequence).String("bench"), 0)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := q.Next(b.Context()); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
