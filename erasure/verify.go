package erasure

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// VerifyShard checks shard file index of an object of the given size and tag, read through r:
// its header must describe this codec, this shard and this tag, every block must match its
// checksum, and the file must end exactly where ShardFileSize says. It reads the file once,
// one block at a time, and returns the first problem found, wrapping ErrHeader, ErrChecksum
// or ErrShortShard, or the reader's error.
func (c *Codec) VerifyShard(ctx context.Context, r io.ReaderAt, index int, tag Tag, size int64) error {
	hdr := make([]byte, HeaderSize)
	if _, err := r.ReadAt(hdr, 0); err != nil {
		return fmt.Errorf("%w: shard %d: reading header: %w", ErrShortShard, index, err)
	}
	h, err := ParseHeader(hdr)
	if err != nil {
		return err
	}
	if want := c.header(index, tag); h != want {
		return fmt.Errorf("%w: shard %d: header %+v, want %+v", ErrHeader, index, h, want)
	}
	sb := c.getBuf()
	defer c.putBuf(sb)
	for s := range c.Stripes(size) {
		if err := ctx.Err(); err != nil {
			return err
		}
		sb.block = c.blockSize(size, s)
		framed := sb.framed(0)
		if n, err := r.ReadAt(framed, c.blockOffset(s)); n < len(framed) {
			return fmt.Errorf("%w: shard %d stripe %d: %w", ErrShortShard, index, s, err)
		}
		if _, err := checkBlock(framed, &tag, c.sumIndex(index), s); err != nil {
			return err
		}
	}
	var probe [1]byte
	switch n, err := r.ReadAt(probe[:], c.ShardFileSize(size)); {
	case n > 0:
		return fmt.Errorf("%w: shard %d: longer than %d bytes", ErrHeader, index, c.ShardFileSize(size))
	case err != nil && !errors.Is(err, io.EOF):
		return fmt.Errorf("erasure: shard %d: %w", index, err)
	}
	return nil
}
