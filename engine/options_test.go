package engine

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space"
	"github.com/jointcloud/jcs/kv"
)

func TestOptionsEnsureDefaults(t *testing.T) {
	var o Options
	o.EnsureDefaults()
	require.Equal(t, DefaultDataShards, o.DataShards)
	require.Equal(t, DefaultParityShards, o.ParityShards)
	require.Equal(t, DefaultChunkSize, o.ChunkSize)
	require.Equal(t, int64(DefaultSmallObjectSize), o.SmallObjectSize)
	require.Equal(t, DefaultGCInterval, o.GCInterval)
	require.Equal(t, DefaultOrphanGrace, o.OrphanGrace)
	require.Equal(t, DefaultEncodeDepth, o.EncodeDepth)
	require.Equal(t, DefaultDecodeDepth, o.DecodeDepth)
	require.NotNil(t, o.Logger)
	require.NotNil(t, o.Now)

	set := Options{DataShards: 8, ParityShards: 3, ChunkSize: 8 << 10, SmallObjectSize: -1, GCInterval: time.Second}
	set.EnsureDefaults()
	require.Equal(t, 8, set.DataShards)
	require.Equal(t, 3, set.ParityShards)
	require.Equal(t, 8<<10, set.ChunkSize)
	require.Equal(t, int64(-1), set.SmallObjectSize, "negative turns replication off, it is not replaced")
	require.Equal(t, time.Second, set.GCInterval)
}

func TestOptionsValidate(t *testing.T) {
	store := &kv.Store{}
	opener := func(context.Context, UserSpace) (space.Space, error) { return nil, nil }
	for _, tc := range []struct {
		name  string
		edit  func(*Options)
		valid bool
	}{
		{"defaults", func(*Options) {}, true},
		{"no store", func(o *Options) { o.Store = nil }, false},
		{"no opener", func(o *Options) { o.OpenSpace = nil }, false},
		{"no data shards", func(o *Options) { o.DataShards = -1 }, false},
		{"negative parity", func(o *Options) { o.ParityShards = -1 }, false},
		{"too many shards", func(o *Options) { o.DataShards, o.ParityShards = 200, 100 }, false},
		{"chunk too small", func(o *Options) { o.ChunkSize = 4<<10 - 1 }, false},
		{"smallest chunk", func(o *Options) { o.ChunkSize, o.SmallObjectSize = 4<<10, 1<<10 }, true},
		{"small objects above a chunk", func(o *Options) { o.ChunkSize, o.SmallObjectSize = 4<<10, 4<<10+1 }, false},
		{"replication off", func(o *Options) { o.SmallObjectSize = -1 }, true},
		{"negative interval", func(o *Options) { o.GCInterval = -time.Second }, false},
		{"negative grace", func(o *Options) { o.OrphanGrace = -time.Second }, false},
		{"negative depth", func(o *Options) { o.EncodeDepth = -1 }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := Options{Store: store, OpenSpace: opener}
			o.EnsureDefaults()
			tc.edit(&o)
			err := o.Validate()
			if tc.valid {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
			}
		})
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	_, err := New(t.Context(), Options{})
	require.Error(t, err)
}
