package erasure

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

const (
	// HeaderSize is the length of the header at the start of every shard file.
	HeaderSize = 40
	// ChecksumSize is the length of the checksum that follows every block.
	ChecksumSize = 4

	formatVersion = 1
	magic         = "JCSE"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Tag is the caller's 16-byte identity for an object's shards, written into every shard
// header and mixed into every block checksum.
type Tag [16]byte

// Header is the decoded header of a shard file.
type Header struct {
	Index     int // shard index, 0..N-1; indexes >= K are parity
	K, N      int
	ChunkSize int
	Tag       Tag
}

// header returns the header of shard i written by c for tag.
func (c *Codec) header(i int, tag Tag) Header {
	return Header{Index: i, K: c.k, N: c.k + c.m, ChunkSize: c.chunk, Tag: tag}
}

// AppendHeader appends the encoded header to b.
func (h Header) AppendHeader(b []byte) []byte {
	start := len(b)
	b = append(b, magic...)
	b = append(b, formatVersion, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(h.Index))
	b = binary.BigEndian.AppendUint16(b, uint16(h.K))
	b = binary.BigEndian.AppendUint16(b, uint16(h.N))
	b = binary.BigEndian.AppendUint32(b, uint32(h.ChunkSize))
	b = append(b, h.Tag[:]...)
	b = append(b, 0, 0, 0, 0)
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b[start:], castagnoli))
}

// ParseHeader decodes a shard file header from the first HeaderSize bytes of b.
func ParseHeader(b []byte) (Header, error) {
	if len(b) < HeaderSize {
		return Header{}, fmt.Errorf("%w: %d bytes", ErrHeader, len(b))
	}
	b = b[:HeaderSize]
	if string(b[:4]) != magic {
		return Header{}, fmt.Errorf("%w: bad magic", ErrHeader)
	}
	if b[4] != formatVersion {
		return Header{}, fmt.Errorf("%w: format version %d unsupported", ErrHeader, b[4])
	}
	if got, want := crc32.Checksum(b[:36], castagnoli), binary.BigEndian.Uint32(b[36:]); got != want {
		return Header{}, fmt.Errorf("%w: header checksum mismatch", ErrHeader)
	}
	h := Header{
		Index:     int(binary.BigEndian.Uint16(b[6:])),
		K:         int(binary.BigEndian.Uint16(b[8:])),
		N:         int(binary.BigEndian.Uint16(b[10:])),
		ChunkSize: int(binary.BigEndian.Uint32(b[12:])),
	}
	copy(h.Tag[:], b[16:32])
	if h.K < 1 || h.N < h.K || h.Index >= h.N || h.ChunkSize < 1 {
		return Header{}, fmt.Errorf("%w: inconsistent fields %+v", ErrHeader, h)
	}
	return h, nil
}

// blockSum is the checksum of block data at position (shard, stripe) of the shards of tag.
func blockSum(data []byte, tag *Tag, shard int, stripe int64) uint32 {
	return finishSum(crc32.Checksum(data, castagnoli), tag, shard, stripe)
}

// finishSum completes a running CRC-32C of a block's data with the block's position. CRC
// updates compose, so a block may be summed in pieces: finishSum(Update(Update(0, a), b), ...)
// equals blockSum(a||b, ...).
func finishSum(crc uint32, tag *Tag, shard int, stripe int64) uint32 {
	var pos [len(Tag{}) + 2 + 8]byte
	copy(pos[:], tag[:])
	binary.BigEndian.PutUint16(pos[16:], uint16(shard))
	binary.BigEndian.PutUint64(pos[18:], uint64(stripe))
	return crc32.Update(crc, castagnoli, pos[:])
}

// checkBlock verifies a block read with its trailing checksum and returns the block data.
func checkBlock(framed []byte, tag *Tag, shard int, stripe int64) ([]byte, error) {
	n := len(framed) - ChecksumSize
	data := framed[:n]
	if got, want := blockSum(data, tag, shard, stripe), binary.BigEndian.Uint32(framed[n:]); got != want {
		return nil, fmt.Errorf("%w: shard %d stripe %d", ErrChecksum, shard, stripe)
	}
	return data, nil
}
