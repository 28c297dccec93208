package engine

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSmokeUploadReadDeleteCollect(t *testing.T) {
	te := newTestEngine(t)
	p := te.pkg(t)
	small, large, empty := randomBytes(1, 100), randomBytes(2, 100_000), []byte{}
	objs := te.upload(t, p.ID, "a/small", small, "a/large", large, "empty", empty)
	require.Len(t, objs, 3)
	require.Equal(t, RedundancyRep, objs[0].Redundancy.Type)
	require.Equal(t, RedundancyEC, objs[1].Redundancy.Type)
	require.Equal(t, RedundancyNone, objs[2].Redundancy.Type)
	require.Equal(t, small, te.read(t, objs[0].ID))
	require.Equal(t, large, te.read(t, objs[1].ID))
	require.Empty(t, te.read(t, objs[2].ID))
	require.Equal(t, 3+6, te.shardCount(t))

	require.NoError(t, te.DeleteObjects(t.Context(), []ObjectID{objs[0].ID, objs[1].ID, 999}))
	st, err := te.CollectGarbage(t.Context(), time.Time{})
	require.NoError(t, err)
	require.Equal(t, 2, st.Blobs)
	require.Equal(t, 0, te.shardCount(t))
}
