package erasure

import (
	"errors"
	"fmt"
	"sync"

	"github.com/klauspost/reedsolomon"
)

// MaxShards is the largest total number of shards (k+m) a Codec supports: Reed-Solomon over
// GF(2^8).
const MaxShards = 256

// MaxChunkSize is the largest chunk size a Codec supports.
const MaxChunkSize = 64 << 20

// ErrTooFewShards is returned (wrapped) when fewer than k good blocks of a stripe can be read.
var ErrTooFewShards = errors.New("erasure: too few healthy shards")

// ErrChecksum is returned (wrapped) for a block whose checksum does not match its content.
var ErrChecksum = errors.New("erasure: block checksum mismatch")

// ErrHeader is returned (wrapped) for a shard file whose header is malformed or describes a
// different shard than the one expected.
var ErrHeader = errors.New("erasure: bad shard header")

// ErrWriteQuorum is returned (wrapped, joined with the writers' errors) when more shard
// writers failed during Encode than EncodeOptions.MaxFailedWriters allows.
var ErrWriteQuorum = errors.New("erasure: too many shard writers failed")

// ErrShortShard is returned (wrapped) when a shard file ends before a block it must hold.
var ErrShortShard = errors.New("erasure: shard file too short")

// Codec encodes and decodes objects with fixed Reed-Solomon parameters. It is safe for
// concurrent use; build one per parameter set and share it.
type Codec struct {
	k, m  int
	chunk int
	// rs is nil when k == 1 (replication) or m == 0 (striping only): no arithmetic needed.
	rs reedsolomon.Encoder
	// bufs recycles stripe buffers of slotCount()*(chunk+ChecksumSize) bytes.
	bufs sync.Pool
}

// New returns a Codec with k data shards, m parity shards and the given chunk size in bytes.
// k must be at least 1, m at least 0, k+m at most MaxShards, and chunkSize in
// [1, MaxChunkSize].
func New(k, m, chunkSize int) (*Codec, error) {
	switch {
	case k < 1 || m < 0 || k+m > MaxShards:
		return nil, fmt.Errorf("erasure: invalid shard counts k=%d m=%d", k, m)
	case chunkSize < 1 || chunkSize > MaxChunkSize:
		return nil, fmt.Errorf("erasure: invalid chunk size %d", chunkSize)
	}
	c := &Codec{k: k, m: m, chunk: chunkSize}
	if k > 1 && m > 0 {
		// The pipeline in Encode already overlaps stripes; one goroutine per call keeps the
		// library from oversubscribing the cores that hashing and I/O need.
		rs, err := reedsolomon.New(k, m, reedsolomon.WithMaxGoroutines(1))
		if err != nil {
			return nil, fmt.Errorf("erasure: %w", err)
		}
		c.rs = rs
	}
	return c, nil
}

// DataShards returns k.
func (c *Codec) DataShards() int { return c.k }

// ParityShards returns m.
func (c *Codec) ParityShards() int { return c.m }

// Shards returns n = k+m, the number of shard files per object.
func (c *Codec) Shards() int { return c.k + c.m }

// ChunkSize returns the block size of full stripes in bytes.
func (c *Codec) ChunkSize() int { return c.chunk }

// StripeSize returns the number of object bytes in a full stripe: k times the chunk size.
func (c *Codec) StripeSize() int64 { return int64(c.k) * int64(c.chunk) }

// Stripes returns how many stripes an object of size bytes has.
func (c *Codec) Stripes(size int64) int64 {
	return ceilDiv(size, c.StripeSize())
}

// ShardFileSize returns the exact length of each shard file of an object of size bytes.
func (c *Codec) ShardFileSize(size int64) int64 {
	stripes := c.Stripes(size)
	if stripes == 0 {
		return HeaderSize
	}
	last := c.blockSize(size, stripes-1)
	return c.blockOffset(stripes-1) + int64(last) + ChecksumSize
}

// blockSize returns the block size b of stripe s of an object of size bytes.
func (c *Codec) blockSize(size, s int64) int {
	stripe := c.StripeSize()
	if rest := size - s*stripe; rest < stripe {
		return int(ceilDiv(rest, int64(c.k)))
	}
	return c.chunk
}

// stripeLen returns how many object bytes stripe s holds.
func (c *Codec) stripeLen(size, s int64) int {
	return int(min(size-s*c.StripeSize(), c.StripeSize()))
}

// blockOffset returns where block s of every shard file starts.
func (c *Codec) blockOffset(s int64) int64 {
	return HeaderSize + s*int64(c.chunk+ChecksumSize)
}

// slotCount is how many distinct blocks a stripe buffer holds: one per shard, except under
// replication, where every shard is the same block.
func (c *Codec) slotCount() int {
	if c.k == 1 {
		return 1
	}
	return c.k + c.m
}

func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }
