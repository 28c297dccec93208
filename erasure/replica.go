package erasure

import (
	"encoding/binary"
	"fmt"
)

// AppendReplicaBlocks appends to dst the blocks and checksums of an object whose whole
// content is data, as every shard file of a replication Codec (k = 1) holds them after its
// header: Encode for a body already in memory, with no goroutines and no stripe buffers, for
// small objects whose cost is otherwise the hand-offs of the streaming pipeline. Shard i's file
// is AppendShardHeader(i) followed by these bytes. It panics if c does not replicate.
func (c *Codec) AppendReplicaBlocks(dst, data []byte, tag Tag) []byte {
	if c.k != 1 {
		panic(fmt.Sprintf("erasure: AppendReplicaBlocks on a %d+%d codec", c.k, c.m))
	}
	for s, off := int64(0), 0; off < len(data); s, off = s+1, off+c.chunk {
		block := data[off:min(off+c.chunk, len(data))]
		dst = append(dst, block...)
		dst = binary.BigEndian.AppendUint32(dst, blockSum(block, &tag, c.sumIndex(0), s))
	}
	return dst
}

// AppendShardHeader appends the header of shard i of the shards of tag to dst.
func (c *Codec) AppendShardHeader(dst []byte, i int, tag Tag) []byte {
	return c.header(i, tag).AppendHeader(dst)
}
