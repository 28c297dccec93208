// Package erasure cuts a byte stream into Reed-Solomon stripes and writes them as n shard
// files, each block followed by a checksum, and reads any byte range back from any k of
// them. It is pure: it knows nothing of spaces, keys or objects, only of readers and writers.
//
// # Model
//
// A Codec has k data shards, m parity shards (n = k+m) and a chunk size C. An object of size S
// is cut into stripes of k*C bytes; the last stripe may be shorter. Stripe s holds object
// bytes [s*k*C, min((s+1)*k*C, S)). Within a stripe of L bytes the block size is
// b = C for full stripes and b = ceil(L/k) for the last one; data block i of the stripe holds
// the stripe's bytes [i*b, (i+1)*b), zero-padded at the end, and parity blocks k..n-1 are the
// Reed-Solomon parity of the k data blocks. Shard i of an object is the concatenation of block
// i of every stripe, so each shard file lives in one place and a read of a byte range touches
// only the blocks that hold it.
//
// k = 1 is replication: every shard is a full copy of the data, no arithmetic is done, and a
// read needs any one shard. k = 1, m = 0 is a single unprotected copy.
//
// # Shard file format (version 1)
//
//	offset  size  field
//	0       4     magic "JCSE"
//	4       1     format version (1)
//	5       1     flags (0)
//	6       2     shard index i, big endian
//	8       2     k
//	10      2     n
//	12      4     chunk size C
//	16      16    tag: an opaque 16-byte identity chosen by the caller (the engine's blob ID)
//	32      4     reserved (0)
//	36      4     CRC-32C of bytes 0..35
//	40      ...   blocks: for each stripe s, block i of s (b bytes) then its checksum (4 bytes)
//
// Block s of a shard therefore starts at HeaderSize + s*(C+ChecksumSize), and a shard of an
// S-byte object is ShardFileSize(S) bytes long. The header records how the file was made, so
// that fsck and disaster recovery can tell what a file is without the index.
//
// A block's checksum is CRC-32C over the block's bytes followed by the tag, the shard index
// (2 bytes) and the stripe index (8 bytes), big endian. Seeding with the position means a
// block copied to the wrong offset, a shard file stored under another shard's name, or a
// file of another blob all fail verification like flipped bits do.
//
// # Invariants
//
//   - Encode never holds more than a fixed number of stripes in memory (EncodeOptions.Depth),
//     however long the input, and never retains a writer's or reader's buffer after a call.
//   - Decode returns the exact requested bytes or an error; it never returns bytes from a
//     block whose checksum failed. Missing, unreadable and corrupt blocks are reconstructed
//     from any k good blocks of the same stripe, and reported in DecodeStats.
//   - A Codec is safe for concurrent use: the Reed-Solomon encoder it shares is read-only after
//     construction (pinned by a -race test).
package erasure
