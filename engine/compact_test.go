package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space"
	"github.com/jointcloud/jcs/engine/space/localdir"
)

// TestCompactLocalSpaces: on local spaces, small objects are packed; deleting most of them and
// collecting compacts the packs, and what is left reads back, passes fsck and survives a
// restart.
func TestCompactLocalSpaces(t *testing.T) {
	base := t.TempDir()
	te := newTestEngine(t, withOptions(func(o *Options) {
		o.OpenSpace = func(_ context.Context, us UserSpace) (space.Space, error) {
			dir := filepath.Join(base, us.Name)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, err
			}
			return localdir.Open(dir, localdir.Options{PackFileSize: 32 << 10})
		}
	}))
	ctx := t.Context()
	p := te.pkg(t)
	var pairs []any
	for i := range 120 {
		pairs = append(pairs, fmt.Sprintf("f%03d", i), randomBytes(uint64(i), 600+i*50))
	}
	objs := te.upload(t, p.ID, pairs...)
	packs := func() int {
		m, err := filepath.Glob(filepath.Join(base, "*", localdir.PackDir, "*.pack"))
		require.NoError(t, err)
		return len(m)
	}
	files, err := filepath.Glob(filepath.Join(base, "*", "blobs", "*", "*"))
	require.NoError(t, err)
	require.Empty(t, files, "small shards are packed, not files")
	before := packs()

	var doomed []ObjectID
	for i, o := range objs {
		if i%4 != 0 {
			doomed = append(doomed, o.ID)
		}
	}
	require.NoError(t, te.DeleteObjects(ctx, doomed))
	st := te.collect(t)
	require.Equal(t, len(doomed), st.Blobs)
	require.Positive(t, st.CompactedBytes)
	require.Equal(t, st.CompactedBytes, te.Metrics().CompactedBytes)
	require.Less(t, packs(), before)

	check := func() {
		for i := 0; i < len(objs); i += 4 {
			require.Equal(t, randomBytes(uint64(i), 600+i*50), te.read(t, objs[i].ID))
		}
		rep, err := te.Fsck(ctx, FsckOptions{Verify: true})
		require.NoError(t, err)
		require.True(t, rep.Clean(), "%+v", rep)
	}
	check()
	te.reopen(t)
	check()
}
