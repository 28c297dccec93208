package localdir

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCopySkipsDeleted: compaction reads a live record, the blob is deleted, then compaction
// tries to append its copy. The copy must not be appended: once the old pack is gone, replay
// would bring the deleted blob back from it.
func TestCopySkipsDeleted(t *testing.T) {
	root := t.TempDir()
	s, err := Open(root, Options{PackFileSize: 1024})
	require.NoError(t, err)
	ctx := context.Background()
	put := func(name string, n int) {
		require.NoError(t, s.Put(ctx, name, bytes.NewReader(bytes.Repeat([]byte("x"), n)), int64(n)))
	}
	put("doomed", 900)
	put("next", 900) // seals the first pack
	ps := s.packs
	e, ok := ps.get("doomed")
	require.True(t, ok)
	require.NoError(t, s.Delete(ctx, "doomed"))
	_, copied, err := ps.copyRecord(ps.packs[e.at.pack], e)
	require.NoError(t, err)
	require.False(t, copied, "a deleted blob's record was copied")

	_, err = s.Compact(ctx)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	s2, err := Open(root, Options{PackFileSize: 1024})
	require.NoError(t, err)
	defer s2.Close()
	_, ok = s2.packs.get("doomed")
	require.False(t, ok, "the deleted blob came back")
}
