package engine

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space"
	"github.com/jointcloud/jcs/engine/space/memspace"
	"github.com/jointcloud/jcs/kv"
)

// TestCommitOfUnknownDurability: the WAL fsync of an upload's commit fails after the batch was
// applied. The upload fails, but its shards must stay: the record may be durable after all.
// Whether a restart finds the record (its bytes reached the disk) or not (a crash lost them),
// the state is consistent: the object reads back, or its shards are swept as orphans.
func TestCommitOfUnknownDurability(t *testing.T) {
	for _, crash := range []bool{false, true} {
		t.Run(fmt.Sprintf("crash=%v", crash), func(t *testing.T) {
			mem := vfs.NewCrashableMem()
			var failSync atomic.Bool
			fs := errorfs.Wrap(mem, errorfs.InjectorFunc(func(op errorfs.Op) error {
				switch op.Kind {
				case errorfs.OpFileSync, errorfs.OpFileSyncData, errorfs.OpFileSyncTo:
					if failSync.Load() && strings.HasSuffix(op.Path, ".log") {
						return errorfs.ErrInjected
					}
				}
				return nil
			}))
			spaces := map[SpaceID]*memspace.Space{}
			quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
			open := func(t *testing.T, fs vfs.FS) (*kv.Store, *Engine) {
				store, err := kv.Open("db", &kv.Options{FS: fs, Logger: quiet})
				require.NoError(t, err)
				e, err := New(t.Context(), Options{
					Store: store, ChunkSize: 4 << 10, SmallObjectSize: 1 << 10, GCInterval: time.Hour, Logger: quiet,
					OpenSpace: func(_ context.Context, us UserSpace) (space.Space, error) {
						if spaces[us.ID] == nil {
							spaces[us.ID] = memspace.New()
						}
						return spaces[us.ID], nil
					},
				})
				require.NoError(t, err)
				return store, e
			}
			store, e := open(t, fs)
			for i := range 6 {
				_, err := e.CreateUserSpace(t.Context(), CreateUserSpaceInput{
					Name: fmt.Sprintf("s%d", i), Storage: StorageConfig{Type: StorageLocal, Path: fmt.Sprintf("/s%d", i)},
					ShardStore: &ShardStoreConfig{},
				})
				require.NoError(t, err)
			}
			b, err := e.CreateBucket(t.Context(), CreateBucketInput{Name: "b"})
			require.NoError(t, err)
			p, err := e.CreatePackage(t.Context(), b.ID, "p")
			require.NoError(t, err)
			shards := func() int {
				n := 0
				for _, m := range spaces {
					infos, _, err := m.List(t.Context(), shardPrefix, "", 1000)
					require.NoError(t, err)
					n += len(infos)
				}
				return n
			}

			content := randomBytes(1, 30_000)
			failSync.Store(true)
			_, err = e.UploadObjects(t.Context(), UploadInput{PackageID: p.ID}, files("x", content))
			require.ErrorIs(t, err, kv.ErrCommitUnknown)
			require.Equal(t, 6, shards(), "the shards of a commit of unknown durability stay")
			e.Close()
			store.Close()

			// Restart, after a crash that loses what the WAL did not sync, or not.
			failSync.Store(false)
			var next vfs.FS = mem
			if crash {
				next = mem.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 0})
			}
			store, e = open(t, next)
			defer store.Close()
			defer e.Close()
			// Either outcome is consistent; nothing in between is.
			o, err := e.GetObjectByPath(t.Context(), p.ID, "x")
			if KindOf(err) == KindNotFound {
				// The commit was lost: its shards are orphans, which the sweep collects.
				_, err := e.CollectGarbage(t.Context(), time.Now().Add(time.Hour))
				require.NoError(t, err)
				require.Zero(t, shards(), "the lost commit's shards are swept")
				return
			}
			require.NoError(t, err)
			r, err := e.OpenObject(t.Context(), o.ID)
			require.NoError(t, err)
			defer r.Close()
			got, err := io.ReadAll(r)
			require.NoError(t, err)
			require.Equal(t, content, got, "the commit survived, and so did its data")
		})
	}
}
