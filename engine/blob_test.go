package engine

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseShardName(t *testing.T) {
	id := BlobID{0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	for _, i := range []int{0, 1, 9, 10, 255} {
		gotID, gotIndex, ok := parseShardName(shardName(id, i))
		require.True(t, ok, "index %d", i)
		require.Equal(t, id, gotID)
		require.Equal(t, i, gotIndex)
	}
	require.Equal(t, "blobs/de/deadbeef0102030405060708090a0b0c.3", shardName(id, 3))
	hex := id.String()
	for _, name := range []string{
		"", "blobs/", "blobs/de/" + hex, "blobs/de/" + hex + ".", "blobs/de/" + hex + ".x",
		"blobs/de/" + hex + ".-1", "blobs/de/" + hex + ".256", "blobs/ad/" + hex + ".0",
		"blobs/de/" + hex[:31] + ".0", "blobs/de/" + hex + "0.0", "blob/de/" + hex + ".0",
		"blobs/de" + hex + ".0", "blobs/de/" + strings.Replace(hex, "0", "g", 1) + ".0",
		"x/blobs/de/" + hex + ".0", "blobs/DE/" + strings.ToUpper(hex) + ".0", "blobs/de/" + hex + ".+1",
		"blobs/de/" + hex + ".01", "blobs/de/" + hex + ".1 ",
	} {
		_, _, ok := parseShardName(name)
		require.False(t, ok, "%q", name)
	}
}

func TestBlobTracker(t *testing.T) {
	var tr blobTracker
	a, b := BlobID{1}, BlobID{2}
	require.False(t, tr.busy(a))
	tr.stage(a)
	tr.pin(a, b)
	tr.pin(b)
	require.True(t, tr.busy(a))
	tr.unstage(a)
	require.True(t, tr.busy(a), "still pinned")
	tr.unpin(a)
	require.False(t, tr.busy(a))
	tr.unpin(b)
	require.True(t, tr.busy(b), "pinned twice, unpinned once")
	tr.unpin(b)
	require.False(t, tr.busy(b))
	require.Empty(t, tr.pinned)
	require.Empty(t, tr.staged)
}

func TestBlobRedundancy(t *testing.T) {
	for _, tc := range []struct {
		b    blobLayout
		want Redundancy
	}{
		{blobLayout{K: 1, N: 1}, Redundancy{Type: RedundancyNone}},
		{blobLayout{K: 1, N: 3}, Redundancy{Type: RedundancyRep, RepCount: 3}},
		{blobLayout{K: 4, N: 6, Chunk: 4096}, Redundancy{Type: RedundancyEC, K: 4, N: 6, ChunkSize: 4096}},
	} {
		require.Equal(t, tc.want, tc.b.redundancy())
	}
	require.Equal(t, "ec(4,6,4096)", Redundancy{Type: RedundancyEC, K: 4, N: 6, ChunkSize: 4096}.String())
	require.Equal(t, "rep(3)", Redundancy{Type: RedundancyRep, RepCount: 3}.String())
	require.Equal(t, "multipartUpload", Redundancy{Type: RedundancyMultipart}.String())
}
