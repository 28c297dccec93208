package kv

import (
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"github.com/stretchr/testify/require"
)

// TestWALSyncFailure: when the WAL fsync of a commit fails, the batch is already applied, so
// Update reports ErrCommitUnknown (callers must not undo what it refers to), and the store takes
// no further writes; reads still work.
func TestWALSyncFailure(t *testing.T) {
	var failSync atomic.Bool
	fs := errorfs.Wrap(vfs.NewMem(), errorfs.InjectorFunc(func(op errorfs.Op) error {
		switch op.Kind {
		case errorfs.OpFileSync, errorfs.OpFileSyncData, errorfs.OpFileSyncTo:
			if failSync.Load() && strings.HasSuffix(op.Path, ".log") {
				return errorfs.ErrInjected
			}
		}
		return nil
	}))
	s, err := Open("db", &Options{FS: fs, Logger: quietLogger})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	key := Key(PrefixMeta).String("test")
	require.NoError(t, s.Update(t.Context(), func(tx Tx) error { return tx.Set(key, []byte("1")) }))

	failSync.Store(true)
	err = s.Update(t.Context(), func(tx Tx) error { return tx.Set(key, []byte("2")) })
	require.ErrorIs(t, err, ErrCommitUnknown)

	failSync.Store(false)
	err = s.Update(t.Context(), func(tx Tx) error { return tx.Set(key, []byte("3")) })
	require.ErrorIs(t, err, ErrCommitUnknown, "the store takes no writes after a WAL sync failure")
	require.NoError(t, s.View(t.Context(), func(r Reader) error {
		_, err := r.Get(key)
		return err
	}), "reads still work")
}
