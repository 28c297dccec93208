package erasure

import "sync/atomic"

// stripeBuf holds one stripe: a slot per distinct block, each slot chunk+ChecksumSize bytes so
// that a block and its checksum are contiguous and reach a writer in one Write call.
type stripeBuf struct {
	mem   []byte
	width int // chunk + ChecksumSize
	index int64
	block int // b: data bytes per block in this stripe
	len   int // L: object bytes in this stripe
	refs  atomic.Int32
	// encoded carries one token when an encoding worker has finished the stripe.
	encoded chan struct{}
}

func (c *Codec) getBuf() *stripeBuf {
	if v := c.bufs.Get(); v != nil {
		return v.(*stripeBuf)
	}
	w := c.chunk + ChecksumSize
	return &stripeBuf{mem: make([]byte, c.slotCount()*w), width: w, encoded: make(chan struct{}, 1)}
}

func (c *Codec) putBuf(sb *stripeBuf) { c.bufs.Put(sb) }

// slot returns the slot that holds shard i's block: slot i, or slot 0 under replication.
func (c *Codec) slot(i int) int {
	if c.k == 1 {
		return 0
	}
	return i
}

// sumIndex is the shard index mixed into block checksums. Replicas are identical, so they
// share one checksum and one buffer; a replica found at another index is still correct.
func (c *Codec) sumIndex(i int) int { return c.slot(i) }

// chunkArea returns the whole data area of slot i, used while reading a stripe in.
func (sb *stripeBuf) chunkArea(i int) []byte {
	off := i * sb.width
	return sb.mem[off : off+sb.width-ChecksumSize]
}

// blockData returns the b data bytes of slot i, with capacity for the checksum.
func (sb *stripeBuf) blockData(i int) []byte {
	off := i * sb.width
	return sb.mem[off : off+sb.block : off+sb.width]
}

// framed returns slot i's block followed by its checksum: what a shard file holds.
func (sb *stripeBuf) framed(i int) []byte {
	off := i * sb.width
	return sb.mem[off : off+sb.block+ChecksumSize]
}
