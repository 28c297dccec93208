package engine

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCreateUserSpace(t *testing.T) {
	te := newTestEngine(t, withSpaces(0))
	ctx := t.Context()
	us, err := te.CreateUserSpace(ctx, CreateUserSpaceInput{
		Name: "local", Storage: StorageConfig{Type: StorageLocal, Path: "/data"}, ShardStore: &ShardStoreConfig{MaxSize: 10},
	})
	require.NoError(t, err)
	require.Equal(t, int64(1), us.Revision)
	require.NotZero(t, us.ID)

	_, err = te.CreateUserSpace(ctx, CreateUserSpaceInput{Name: "local", Storage: StorageConfig{Type: StorageLocal, Path: "/elsewhere"}})
	requireKind(t, KindAlreadyExists, err)
	// Two spaces over one storage location would sweep each other's shards as orphans.
	for _, dup := range []CreateUserSpaceInput{
		{Name: "alias", Storage: StorageConfig{Type: StorageLocal, Path: "/data"}},
		{Name: "alias2", Storage: StorageConfig{Type: StorageLocal, Path: "/data/"}, WorkingDir: "/"},
	} {
		_, err = te.CreateUserSpace(ctx, dup)
		requireKind(t, KindAlreadyExists, err)
	}
	_, err = te.CreateUserSpace(ctx, CreateUserSpaceInput{Name: "other-dir", Storage: StorageConfig{Type: StorageLocal, Path: "/data"}, WorkingDir: "jcs2"})
	require.NoError(t, err, "another working directory in the same place is another location")
	_, err = te.CreateUserSpace(ctx, CreateUserSpaceInput{Name: "a/b", Storage: StorageConfig{Type: StorageLocal, Path: "/ab"}})
	requireKind(t, KindInvalid, err)
	te.openErr["broken"] = errors.New("no such bucket")
	_, err = te.CreateUserSpace(ctx, CreateUserSpaceInput{Name: "broken", Storage: StorageConfig{Type: StorageS3, Endpoint: "http://x", Bucket: "b"}})
	requireKind(t, KindInvalid, err)

	list, err := te.ListUserSpaces(ctx)
	require.NoError(t, err)
	require.Len(t, list, 2)
	require.Equal(t, us.Name, list[0].Name)
	require.Equal(t, us.Storage, list[0].Storage)
	require.Equal(t, us.ShardStore, list[0].ShardStore)
}

// TestSpaceUnavailableAtStart restarts the engine with one space's storage failing to open:
// the space is reported unavailable, reads reconstruct its shards, and new objects avoid it.
func TestSpaceUnavailableAtStart(t *testing.T) {
	te := newTestEngine(t, withSpaces(7))
	p := te.pkg(t)
	content := randomBytes(1, 50_000)
	o := te.upload1(t, p.ID, "x", content)
	down := te.layouts(t, o.ID)[0].Spaces[0]

	te.openErr[fmt.Sprintf("space%d", down)] = errors.New("disk gone")
	te.reopen(t)
	for _, s := range te.Metrics().Spaces {
		require.Equal(t, s.ID != down, s.Available, "space %d", s.ID)
	}
	before := te.Metrics().DegradedReads
	require.Equal(t, content, te.read(t, o.ID))
	require.Equal(t, int64(1), te.Metrics().DegradedReads-before)

	for i := range 20 {
		n := te.upload1(t, p.ID, "new", randomBytes(uint64(i), 20_000))
		require.NotContains(t, te.layouts(t, n.ID)[0].Spaces, down)
	}
}

// TestSpaceWithoutShardStore: a space that may not hold shards gets none.
func TestSpaceWithoutShardStore(t *testing.T) {
	te := newTestEngine(t)
	us, err := te.CreateUserSpace(t.Context(), CreateUserSpaceInput{Name: "noshards", Storage: StorageConfig{Type: StorageLocal, Path: "/mem/noshards"}})
	require.NoError(t, err)
	p := te.pkg(t)
	for i := range 20 {
		o := te.upload1(t, p.ID, "x", randomBytes(uint64(i), 20_000))
		require.NotContains(t, te.layouts(t, o.ID)[0].Spaces, us.ID)
	}
}
