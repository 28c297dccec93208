package localdir

import (
	"bytes"
	"context"
	"errors"
	"hash/crc32"
	"io"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space"
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

// TestReadExactly covers the ways a body can arrive: in pieces, with its last bytes and EOF
// at once, short, long, or failing, and that the sum is that of the whole body.
func TestReadExactly(t *testing.T) {
	data := make([]byte, 70000)
	for i := range data {
		data[i] = byte(i * 7)
	}
	want := crc32.Checksum(data, castagnoli)
	errBroken := errors.New("broken body")
	for _, tc := range []struct {
		name    string
		r       io.Reader
		wantErr error
	}{
		{"whole", bytes.NewReader(data), nil},
		{"a byte at a time", iotest.OneByteReader(bytes.NewReader(data)), nil},
		{"in halves", iotest.HalfReader(bytes.NewReader(data)), nil},
		{"EOF with the data", iotest.DataErrReader(bytes.NewReader(data)), nil},
		{"short", bytes.NewReader(data[:len(data)-1]), space.ErrSizeMismatch},
		{"short, unexpected EOF", io.MultiReader(bytes.NewReader(data[:100]), iotest.ErrReader(io.ErrUnexpectedEOF)), space.ErrSizeMismatch},
		{"long", io.MultiReader(bytes.NewReader(data), bytes.NewReader([]byte{1})), space.ErrSizeMismatch},
		{"failing", io.MultiReader(bytes.NewReader(data[:100]), iotest.ErrReader(errBroken)), errBroken},
		{"failing at the end", io.MultiReader(bytes.NewReader(data), iotest.ErrReader(errBroken)), errBroken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := make([]byte, len(data))
			sum, err := readExactly(tc.r, p)
			require.ErrorIs(t, err, tc.wantErr)
			if tc.wantErr == nil {
				require.Equal(t, data, p)
				require.Equal(t, want, sum)
			}
		})
	}
	sum, err := readExactly(bytes.NewReader(nil), nil)
	require.NoError(t, err)
	require.Zero(t, sum)
}
