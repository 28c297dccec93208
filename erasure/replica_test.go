package erasure

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAppendReplicaBlocks: header plus blocks is, byte for byte, what Encode writes for every
// replica, across sizes within a chunk, at chunk boundaries and over several chunks.
func TestAppendReplicaBlocks(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	c := newCodec(t, 1, 2, 1024)
	tag := Tag{7, 7, 7}
	for _, size := range []int{1, 100, 1023, 1024, 1025, 4096, 5000} {
		data := randBytes(r, size)
		want := encodeToMemory(t, c, tag, data)
		body := c.AppendReplicaBlocks(nil, data, tag)
		for i := range c.Shards() {
			got := append(c.AppendShardHeader(nil, i, tag), body...)
			require.Equal(t, want[i], got, "size %d shard %d", size, i)
		}
		require.Equal(t, c.ShardFileSize(int64(size)), int64(HeaderSize+len(body)))
	}
	require.Panics(t, func() { newCodec(t, 2, 1, 1024).AppendReplicaBlocks(nil, []byte("x"), tag) })
}
