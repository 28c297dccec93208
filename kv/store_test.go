package kv

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestOpenOnDiskReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, nil)
	require.NoError(t, err)
	put(t, s, "a", "1")
	require.NoError(t, s.Update(t.Context(), func(tx Tx) error {
		if err := tx.Set([]byte("b"), []byte("2")); err != nil {
			return err
		}
		return tx.Delete([]byte("a"))
	}))
	require.NoError(t, s.Close())

	s, err = Open(dir, nil)
	require.NoError(t, err)
	defer s.Close()
	require.Equal(t, "<missing>", lookup(t, s, "a"))
	require.Equal(t, "2", lookup(t, s, "b"))
	v, found, err := s.schemaVersion(t.Context())
	require.NoError(t, err)
	require.True(t, found)
	require.EqualValues(t, SchemaVersion, v)
}

func TestOpenTwiceFails(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, nil)
	require.NoError(t, err)
	defer s.Close()

	s2, err := Open(dir, nil)
	require.Error(t, err)
	require.Nil(t, s2)
	require.Contains(t, err.Error(), "kv: open")

	// The first store is unaffected.
	put(t, s, "k", "v")
	require.Equal(t, "v", lookup(t, s, "k"))
}

func TestOpenRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"negative cache", Options{CacheSize: -1}},
		{"negative retries", Options{MaxRetries: -1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(t.TempDir(), &tc.opts)
			require.ErrorContains(t, err, "kv: negative option")
		})
	}
}

func TestOpenInMemory(t *testing.T) {
	s, err := OpenInMemory()
	require.NoError(t, err)
	put(t, s, "k", "v")
	require.Equal(t, "v", lookup(t, s, "k"))
	require.NoError(t, s.Close())
}

func TestClosedStore(t *testing.T) {
	s := newTestStore(t, nil)
	put(t, s, "k", "v")
	q := s.Sequence(Key(PrefixSequence).String("ids"), 0)
	require.NoError(t, s.Close())

	ctx := t.Context()
	tests := []struct {
		name string
		call func() error
	}{
		{"View", func() error { return s.View(ctx, func(Reader) error { return nil }) }},
		{"Update", func() error { return s.Update(ctx, func(Tx) error { return nil }) }},
		{"Sync", s.Sync},
		{"Sequence.Next", func() error { _, err := q.Next(ctx); return err }},
		{"Close", s.Close},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.ErrorIs(t, tc.call(), ErrClosed)
		})
	}
	require.EqualValues(t, 2, s.Metrics().Commits, "counters survive Close: schema init and put")
}

func TestCloseWaitsForRunningView(t *testing.T) {
	s := newTestStore(t, nil)
	put(t, s, "k", "v")
	inView, release := make(chan struct{}), make(chan struct{})
	viewErr := make(chan error, 1)
	go func() {
		viewErr <- s.View(t.Context(), func(r Reader) error {
			close(inView)
			<-release
			_, err := r.Get([]byte("k")) // the snapshot is still usable
			return err
		})
	}()
	<-inView
	closeErr := make(chan error, 1)
	go func() { closeErr <- s.Close() }()
	// Wait until Close has marked the store closed; it must then be blocked
	// on the running View.
	for s.Sync() == nil {
		runtime.Gosched()
	}
	select {
	case err := <-closeErr:
		t.Fatalf("Close returned %v while a View was running", err)
	default:
	}
	close(release)
	require.NoError(t, <-viewErr)
	require.NoError(t, <-closeErr)
}

func TestViewIsASnapshot(t *testing.T) {
	s := newTestStore(t, nil)
	put(t, s, "k", "old")
	require.NoError(t, s.View(t.Context(), func(r Reader) error {
		put(t, s, "k", "new")
		put(t, s, "k2", "new")
		v, err := r.Get([]byte("k"))
		require.NoError(t, err)
		require.Equal(t, "old", string(v))
		require.Equal(t, []string{"k=old"}, scan(t, r, []byte("a"), nil))
		return nil
	}))
	require.Equal(t, "new", lookup(t, s, "k"))
}

func TestGetReturnsCallerOwnedCopy(t *testing.T) {
	s := newTestStore(t, nil)
	put(t, s, "k", "value")
	var first []byte
	require.NoError(t, s.View(t.Context(), func(r Reader) error {
		var err error
		first, err = r.Get([]byte("k"))
		return err
	}))
	copy(first, "XXXXX")
	require.Equal(t, "value", lookup(t, s, "k"))
}

func TestReaderUnusableAfterReturn(t *testing.T) {
	s := newTestStore(t, nil)
	var kept Reader
	var keptTx Tx
	require.NoError(t, s.View(t.Context(), func(r Reader) error { kept = r; return nil }))
	require.NoError(t, s.Update(t.Context(), func(tx Tx) error { keptTx = tx; return nil }))

	_, err := kept.Get([]byte("k"))
	require.ErrorIs(t, err, errFinished)
	require.ErrorIs(t, kept.Iter(nil, nil).Close(), errFinished)
	require.ErrorIs(t, keptTx.Set([]byte("k"), nil), errFinished)
	require.ErrorIs(t, keptTx.Delete([]byte("k")), errFinished)
	_, err = keptTx.Get([]byte("k"))
	require.ErrorIs(t, err, errFinished)
}

func TestViewHonoursContext(t *testing.T) {
	s := newTestStore(t, nil)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	ran := false
	err := s.View(ctx, func(Reader) error { ran = true; return nil })
	require.ErrorIs(t, err, context.Canceled)
	require.False(t, ran)
}

func TestSync(t *testing.T) {
	s := newTestStore(t, nil)
	put(t, s, "k", "v")
	require.NoError(t, s.Sync())
}

func TestPebbleLoggerLevels(t *testing.T) {
	var buf bytes.Buffer
	h := slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})
	l := pebbleLogger{l: slog.New(h)}

	tests := []struct {
		name string
		log  func()
		want string
	}{
		{"info is debug", func() { l.Infof("flushed %d", 1) }, "level=DEBUG msg=\"flushed 1\""},
		{"error is error", func() { l.Errorf("bad %s", "disk") }, "level=ERROR msg=\"bad disk\""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			buf.Reset()
			tc.log()
			require.Contains(t, buf.String(), tc.want)
		})
	}
	require.PanicsWithValue(t, "kv: pebble fatal error: boom", func() { l.Fatalf("boom") })
}

func TestMetrics(t *testing.T) {
	s := newTestStore(t, nil)
	put(t, s, "k", "v")
	require.NoError(t, s.Update(t.Context(), func(tx Tx) error {
		_, err := tx.Get([]byte("k"))
		return err
	}))
	m := s.Metrics()
	require.EqualValues(t, 2, m.Commits, "schema init and put")
	require.EqualValues(t, 1, m.ReadOnlyUpdates)
	require.Zero(t, m.Conflicts)
	require.Positive(t, m.DiskBytes)
	require.Positive(t, m.MemTableBytes)
	require.Positive(t, m.WALBytes)
	require.Zero(t, m.ActiveTransactions)
	require.Zero(t, m.ConflictLogEntries)
}

// Close racing with a stream of Updates: every Update either commits or
// returns ErrClosed, and Close waits for the ones in flight.
func TestCloseDuringUpdates(t *testing.T) {
	s := newTestStore(t, nil)
	var wg sync.WaitGroup
	var committed atomic.Int64
	started := make(chan struct{})
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				err := s.Update(t.Context(), func(tx Tx) error {
					return tx.Set(Key(PrefixObjectID).Uint64(uint64(w<<32|i)), nil)
				})
				if errors.Is(err, ErrClosed) {
					return
				}
				if err != nil {
					t.Errorf("update: %v", err)
					return
				}
				if committed.Add(1) == 4 {
					close(started)
				}
			}
		})
	}
	<-started
	require.NoError(t, s.Close())
	wg.Wait()
	require.Equal(t, committed.Load()+1, s.Metrics().Commits, "plus the schema commit")
}
