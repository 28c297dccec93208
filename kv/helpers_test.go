package kv

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/stretchr/testify/require"
)

// quietLogger discards logs; tests assert on behaviour, not log lines.
var quietLogger = slog.New(slog.DiscardHandler)

// newTestStore opens a store on a fresh in-memory file system and closes it
// when the test ends. o may be nil; its FS is replaced.
func newTestStore(t testing.TB, o *Options) *Store {
	t.Helper()
	var opts Options
	if o != nil {
		opts = *o
	}
	opts.FS = vfs.NewMem()
	if opts.Logger == nil {
		opts.Logger = quietLogger
	}
	s, err := Open("db", &opts)
	require.NoError(t, err)
	t.Cleanup(func() {
		if err := s.Close(); err != nil && !errors.Is(err, ErrClosed) {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

// put commits key=value in its own Update.
func put(t testing.TB, s *Store, key, value string) {
	t.Helper()
	require.NoError(t, s.Update(context.Background(), func(tx Tx) error {
		return tx.Set([]byte(key), []byte(value))
	}))
}

// lookup reads key in its own View; a missing key reads as "<missing>".
func lookup(t testing.TB, s *Store, key string) string {
	t.Helper()
	var got string
	require.NoError(t, s.View(context.Background(), func(r Reader) error {
		v, err := r.Get([]byte(key))
		if errors.Is(err, ErrNotFound) {
			got = "<missing>"
			return nil
		}
		got = string(v)
		return err
	}))
	return got
}

// scan returns the "key=value" pairs of [lower, upper) as r sees them.
func scan(t testing.TB, r Reader, lower, upper []byte) []string {
	t.Helper()
	var kvs []string
	it := r.Iter(lower, upper)
	for ok := it.First(); ok; ok = it.Next() {
		kvs = append(kvs, string(it.Key())+"="+string(it.Value()))
	}
	require.NoError(t, it.Close())
	return kvs
}
