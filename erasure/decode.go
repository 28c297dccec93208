package erasure

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
)

// errNoReader stands for a shard the caller could not open.
var errNoReader = errors.New("erasure: shard unavailable")

// DecodeOptions says which bytes of which object Decode returns.
type DecodeOptions struct {
	Tag  Tag
	Size int64 // object size in bytes
	// Offset and Length select the bytes to return: [Offset, Offset+Length) must lie within
	// [0, Size].
	Offset, Length int64
	// Depth is how many stripes are fetched ahead of the one being written; 0 means 2.
	Depth int
}

// DecodeStats reports what Decode met on the way.
type DecodeStats struct {
	// Reconstructed counts stripes that needed blocks other than the data blocks holding the
	// requested bytes: a shard was missing, unreadable or corrupt.
	Reconstructed int
	// ShardErrs holds, per shard, the first error met reading it (no reader, an I/O error, a
	// short file, a checksum mismatch), or nil.
	ShardErrs []error
}

// Degraded reports whether any shard failed during the decode.
func (s DecodeStats) Degraded() bool {
	for _, err := range s.ShardErrs {
		if err != nil {
			return true
		}
	}
	return false
}

// Decode writes bytes [o.Offset, o.Offset+o.Length) of an object to dst, reading its shard
// files through shards; a nil entry is a shard the caller could not open. It reads only the
// data blocks that hold the requested bytes and verifies their checksums; a block that is
// missing, unreadable or corrupt is rebuilt from any k good blocks of its stripe. Shards that
// fail with an I/O error are not read again during this call.
//
// Up to o.Depth stripes are fetched ahead while earlier ones are written, each stripe's blocks
// in parallel. Decode returns an error wrapping ErrTooFewShards when a stripe has fewer than k
// good blocks, or dst's or the context's error. The bytes written before an error are correct.
// len(shards) must be n. DecodeStats is filled in either case.
func (c *Codec) Decode(ctx context.Context, dst io.Writer, shards []io.ReaderAt, o DecodeOptions) (DecodeStats, error) {
	n := c.Shards()
	switch {
	case len(shards) != n:
		return DecodeStats{}, fmt.Errorf("erasure: %d shard readers for %d shards", len(shards), n)
	case o.Offset < 0 || o.Length < 0 || o.Offset+o.Length > o.Size:
		return DecodeStats{}, fmt.Errorf("erasure: range [%d, %d+%d) outside object of %d bytes", o.Offset, o.Offset, o.Length, o.Size)
	}
	if o.Depth <= 0 {
		o.Depth = 2
	}
	d := &decoder{c: c, o: o, shards: shards, errs: make([]error, n), dead: make([]bool, n)}
	for i, r := range shards {
		if r == nil {
			d.note(i, errNoReader, true)
		}
	}
	if o.Length == 0 {
		return d.stats(), nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	fetched := make(chan fetchResult, o.Depth)
	go d.fetchAll(ctx, fetched)
	var err error
	for f := range fetched {
		if err == nil {
			err = f.err
		}
		if err == nil {
			err = d.emit(dst, f.sb)
		}
		if f.sb != nil {
			c.putBuf(f.sb)
		}
		if err != nil {
			cancel()
		}
	}
	return d.stats(), err
}

type fetchResult struct {
	sb  *stripeBuf
	err error
}

// decoder is the state of one Decode call.
type decoder struct {
	c      *Codec
	o      DecodeOptions
	shards []io.ReaderAt

	mu            sync.Mutex
	errs          []error
	dead          []bool // shards that failed with I/O errors; not read again
	reconstructed int
}

func (d *decoder) note(i int, err error, dead bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.errs[i] == nil {
		d.errs[i] = err
	}
	d.dead[i] = d.dead[i] || dead
}

func (d *decoder) isDead(i int) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.dead[i]
}

func (d *decoder) stats() DecodeStats {
	d.mu.Lock()
	defer d.mu.Unlock()
	return DecodeStats{Reconstructed: d.reconstructed, ShardErrs: d.errs}
}

// fetchAll fetches the stripes covering the requested range, in order, into out.
func (d *decoder) fetchAll(ctx context.Context, out chan<- fetchResult) {
	defer close(out)
	stripe := d.c.StripeSize()
	first, last := d.o.Offset/stripe, (d.o.Offset+d.o.Length-1)/stripe
	for s := first; s <= last; s++ {
		sb, err := d.fetch(ctx, s)
		select {
		case out <- fetchResult{sb, err}:
		case <-ctx.Done():
			if sb != nil {
				d.c.putBuf(sb)
			}
			return
		}
		if err != nil {
			return
		}
	}
}

// span returns the requested bytes of stripe sb as offsets within the stripe.
func (d *decoder) span(sb *stripeBuf) (lo, hi int) {
	start := sb.index * d.c.StripeSize()
	lo = int(max(d.o.Offset-start, 0))
	hi = int(min(d.o.Offset+d.o.Length-start, int64(sb.len)))
	return lo, hi
}

// emit writes the requested bytes of a fetched stripe to dst.
func (d *decoder) emit(dst io.Writer, sb *stripeBuf) error {
	lo, hi := d.span(sb)
	b := sb.block
	for i := lo / b; i*b < hi; i++ {
		from, to := max(lo-i*b, 0), min(hi-i*b, b)
		if _, err := dst.Write(sb.blockData(d.c.slot(i))[from:to]); err != nil {
			return err
		}
	}
	return nil
}

// fetch reads and verifies the data blocks of stripe s that hold requested bytes,
// reconstructing them from other blocks when some fail.
func (d *decoder) fetch(ctx context.Context, s int64) (*stripeBuf, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c := d.c
	sb := c.getBuf()
	sb.index, sb.len, sb.block = s, c.stripeLen(d.o.Size, s), c.blockSize(d.o.Size, s)
	var err error
	if c.k == 1 {
		err = d.fetchReplica(sb)
	} else {
		err = d.fetchStriped(sb)
	}
	if err != nil {
		c.putBuf(sb)
		return nil, err
	}
	return sb, nil
}

// fetchReplica reads stripe sb from the first replica that yields a good block.
func (d *decoder) fetchReplica(sb *stripeBuf) error {
	for i := range d.shards {
		if d.isDead(i) {
			continue
		}
		if d.readBlock(sb, i) == nil {
			if i > 0 {
				d.degraded()
			}
			return nil
		}
	}
	return d.tooFew(sb, 0)
}

// fetchStriped reads the wanted data blocks of sb, and parity only if some of them fail.
func (d *decoder) fetchStriped(sb *stripeBuf) error {
	c := d.c
	lo, hi := d.span(sb)
	n := c.Shards()
	want, tried, good := make([]bool, n), make([]bool, n), make([]bool, n)
	var first []int
	wanted, dead := 0, 0
	for i := lo / sb.block; i*sb.block < hi; i++ {
		want[i] = true
		wanted++
		if d.isDead(i) {
			dead++
			tried[i] = true
		} else {
			first = append(first, i)
		}
	}
	if dead > 0 {
		// A shard that failed in an earlier stripe will fail again: fetch its substitutes in
		// the same round instead of a second one, which a remote space would pay for in latency.
		for _, i := range first {
			tried[i] = true
		}
		first = append(first, d.candidates(tried, c.k-len(first))...)
	}
	count := d.readBlocks(sb, first, tried, good)
	if wantedGood(want, good) == wanted {
		return nil
	}
	// Degraded: gather k good blocks, parity first (data blocks outside the range are
	// worth no more than parity, and parity shards are not read on the healthy path).
	for count < c.k {
		more := d.candidates(tried, c.k-count)
		if len(more) == 0 {
			return d.tooFew(sb, count)
		}
		count += d.readBlocks(sb, more, tried, good)
	}
	d.degraded()
	return d.reconstruct(sb, want, good)
}

// wantedGood counts the wanted blocks that are good.
func wantedGood(want, good []bool) int {
	n := 0
	for i := range want {
		if want[i] && good[i] {
			n++
		}
	}
	return n
}

// candidates returns up to max shards not yet tried in this stripe and not dead, parity
// shards first.
func (d *decoder) candidates(tried []bool, max int) []int {
	var out []int
	n := len(tried)
	for j := range n {
		i := (d.c.k + j) % n // k..n-1, then 0..k-1
		if len(out) < max && !tried[i] && !d.isDead(i) {
			out = append(out, i)
		}
	}
	return out
}

// readBlocks reads the given blocks of sb in parallel, marks them tried and the good ones
// good, and returns how many were good.
func (d *decoder) readBlocks(sb *stripeBuf, idx []int, tried, good []bool) int {
	ok := make([]bool, len(idx))
	var wg sync.WaitGroup
	for j, i := range idx {
		if j == len(idx)-1 {
			ok[j] = d.readBlock(sb, i) == nil
			break
		}
		wg.Go(func() { ok[j] = d.readBlock(sb, i) == nil })
	}
	wg.Wait()
	count := 0
	for j, i := range idx {
		tried[i] = true
		if ok[j] {
			good[i] = true
			count++
		}
	}
	return count
}

// readBlock reads block i of stripe sb into its slot and verifies it.
func (d *decoder) readBlock(sb *stripeBuf, i int) error {
	c := d.c
	r := d.shards[i]
	if r == nil || d.isDead(i) {
		return errNoReader
	}
	slot := c.slot(i)
	framed := sb.mem[slot*sb.width : slot*sb.width+sb.block+ChecksumSize]
	n, err := r.ReadAt(framed, c.blockOffset(sb.index))
	switch {
	case n == len(framed):
		err = nil
	case err == nil || err == io.EOF:
		err = fmt.Errorf("%w: shard %d stripe %d", ErrShortShard, i, sb.index)
	default:
		err = fmt.Errorf("erasure: reading shard %d stripe %d: %w", i, sb.index, err)
	}
	if err != nil {
		d.note(i, err, true)
		return err
	}
	if _, err := checkBlock(framed, &d.o.Tag, c.sumIndex(i), sb.index); err != nil {
		d.note(i, err, false)
		return err
	}
	return nil
}

// reconstruct rebuilds the wanted data blocks of sb that are not good from the good ones.
func (d *decoder) reconstruct(sb *stripeBuf, want, good []bool) error {
	n := d.c.Shards()
	blocks := make([][]byte, n)
	required := make([]bool, n)
	for i := range n {
		blocks[i] = sb.blockData(i)
		if !good[i] {
			blocks[i] = blocks[i][:0]
			required[i] = want[i]
		}
	}
	if err := d.c.rs.ReconstructSome(blocks, required); err != nil {
		return fmt.Errorf("%w: stripe %d: %w", ErrTooFewShards, sb.index, err)
	}
	for i := range n {
		// The library reuses the capacity we give it; copy in case it ever does not.
		if required[i] && &blocks[i][0] != &sb.blockData(i)[0] {
			copy(sb.blockData(i), blocks[i])
		}
	}
	return nil
}

func (d *decoder) degraded() {
	d.mu.Lock()
	d.reconstructed++
	d.mu.Unlock()
}

func (d *decoder) tooFew(sb *stripeBuf, good int) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return fmt.Errorf("%w: stripe %d has %d good blocks, needs %d: %w",
		ErrTooFewShards, sb.index, good, d.c.k, errors.Join(d.errs...))
}
