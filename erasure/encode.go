package erasure

import (
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
)

// EncodeOptions configures Encode.
type EncodeOptions struct {
	// Tag identifies the object's shards; it is written into every header and checksum.
	Tag Tag
	// Observers see every object byte, in order, while encoding runs: typically hashes. Each
	// runs on its own goroutine, so two hashes cost the time of the slower one, not the sum.
	// An observer's error aborts Encode. Observers are not closed.
	Observers []io.Writer
	// MaxFailedWriters is how many shard writers may fail before Encode aborts with
	// ErrWriteQuorum. A failed writer gets no further blocks; the caller decides, from
	// EncodeResult.WriterErrs, whether the shards that remain are enough.
	MaxFailedWriters int
	// Depth is how many stripes may be in flight at once; 0 means 4. Encode holds at most
	// Depth stripe buffers, about Depth * n * chunk size bytes, however long the input is.
	Depth int
	// WritersDone, if set, is called once, as soon as every shard writer has returned from
	// its last Write, which may be well before the observers are done: an MD5 of the object
	// costs more than encoding it. Its argument is src's read error or the context's cause so
	// far, nil if neither; Encode returns the same unless an observer fails after the call.
	// A caller that must finish each shard (a flush, a sync) can start there rather than
	// after Encode returns. (The writers can be at most Depth stripes ahead of the slowest
	// observer, since they share the stripe buffers.)
	WritersDone func(err error)
}

// EncodeResult reports what Encode did.
type EncodeResult struct {
	// Size is the number of object bytes read from src.
	Size int64
	// WriterErrs holds, per shard, the error that failed its writer, or nil.
	WriterErrs []error
}

// Encode reads src to EOF and writes shard i of the object to shards[i]: the header, then for
// each stripe one Write call with the block and its checksum. Writers get their blocks
// concurrently, each on its own goroutine, while the next stripes are read and encoded, so a
// slow writer delays the others only once Depth stripes are queued for it.
//
// Encode returns once every writer has returned from its last Write. Writes never retain the
// slice they are given. It returns an error wrapping src's error if reading fails, the
// context's cause if ctx ends, ErrWriteQuorum if more than MaxFailedWriters writers fail, or
// an observer's error. After an error the shard writers hold partial data: the caller must
// discard it. len(shards) must be n.
func (c *Codec) Encode(ctx context.Context, src io.Reader, shards []io.Writer, o EncodeOptions) (EncodeResult, error) {
	n := c.Shards()
	if len(shards) != n {
		return EncodeResult{}, fmt.Errorf("erasure: %d shard writers for %d shards", len(shards), n)
	}
	if o.Depth <= 0 {
		o.Depth = 4
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	e := &encoder{
		c:       c,
		o:       o,
		ctx:     ctx,
		cancel:  cancel,
		shards:  shards,
		free:    make(chan *stripeBuf, o.Depth),
		parityQ: make(chan *stripeBuf, o.Depth),
		orderQ:  make(chan *stripeBuf, o.Depth),
		writeQ:  makeQueues(n, o.Depth),
		obsQ:    makeQueues(len(o.Observers), o.Depth),
		errs:    make([]error, n),
	}
	e.start()
	size, readErr := e.readStripes(src)
	e.readErr = readErr // read by the writers once their queues close, which is later
	close(e.parityQ)
	close(e.orderQ)
	for _, q := range e.obsQ {
		close(q)
	}
	e.wg.Wait()
	e.recycle()

	res := EncodeResult{Size: size, WriterErrs: e.errs}
	if readErr != nil {
		return res, readErr
	}
	return res, context.Cause(ctx)
}

// encoder is the state of one Encode call: a reader (the caller's goroutine) feeds stripe
// buffers to an encoding goroutine and to one goroutine per observer; the encoding goroutine
// feeds one goroutine per shard writer. A buffer returns to free once every writer and
// observer has released it; no more than Depth buffers ever exist, so every queue has room
// for all of them and no send blocks.
type encoder struct {
	c      *Codec
	o      EncodeOptions
	ctx    context.Context
	cancel context.CancelCauseFunc
	shards []io.Writer

	free    chan *stripeBuf
	made    int             // buffers allocated so far; only the reader touches it
	parityQ chan *stripeBuf // to the encoding workers, which may finish out of order
	orderQ  chan *stripeBuf // to the sequencer, in stripe order
	writeQ  []chan *stripeBuf
	obsQ    []chan *stripeBuf

	errs    []error // errs[i] is written only by writer i, read after wg.Wait
	failed  atomic.Int32
	readErr error        // readStripes' error, set before the queues close
	writing atomic.Int32 // writers that have not yet returned from their last Write
	wg      sync.WaitGroup
}

func makeQueues(n, depth int) []chan *stripeBuf {
	qs := make([]chan *stripeBuf, n)
	for i := range qs {
		qs[i] = make(chan *stripeBuf, depth)
	}
	return qs
}

// encodeWorkers is how many goroutines compute parity and checksums, each a whole stripe at
// a time: on a multi-core machine this stage costs more than reading the stripes in.
var encodeWorkers = min(runtime.GOMAXPROCS(0), 4)

func (e *encoder) start() {
	for range min(encodeWorkers, e.o.Depth) {
		e.wg.Go(e.encodeLoop)
	}
	e.wg.Go(e.sequence)
	e.writing.Store(int32(len(e.writeQ)))
	for i := range e.writeQ {
		e.wg.Go(func() {
			e.writeLoop(i)
			if e.writing.Add(-1) == 0 && e.o.WritersDone != nil {
				e.o.WritersDone(cmp.Or(e.readErr, context.Cause(e.ctx)))
			}
		})
	}
	for j := range e.obsQ {
		e.wg.Go(func() { e.observeLoop(j) })
	}
}

// readStripes reads src stripe by stripe and dispatches each; it returns the object size.
func (e *encoder) readStripes(src io.Reader) (int64, error) {
	stripe := e.c.StripeSize()
	var size int64
	for s := int64(0); ; s++ {
		sb, err := e.acquire()
		if err != nil {
			return size, err
		}
		n, err := e.c.fill(sb, src)
		if err != nil || n == 0 {
			e.c.putBuf(sb)
			return size, err
		}
		sb.index, sb.len = s, n
		e.c.layout(sb)
		size += int64(n)
		e.dispatch(sb)
		if int64(n) < stripe {
			return size, nil
		}
	}
}

func (e *encoder) acquire() (*stripeBuf, error) {
	select {
	case sb := <-e.free:
		return sb, nil
	default:
	}
	if e.made < e.o.Depth {
		e.made++
		return e.c.getBuf(), nil
	}
	select {
	case sb := <-e.free:
		return sb, nil
	case <-e.ctx.Done():
		return nil, context.Cause(e.ctx)
	}
}

func (e *encoder) dispatch(sb *stripeBuf) {
	sb.refs.Store(int32(len(e.writeQ) + len(e.obsQ)))
	for _, q := range e.obsQ {
		q <- sb
	}
	e.orderQ <- sb
	e.parityQ <- sb
}

func (e *encoder) release(sb *stripeBuf) {
	if sb.refs.Add(-1) == 0 {
		e.free <- sb
	}
}

// recycle returns the buffers to the codec's pool once every goroutine has finished.
func (e *encoder) recycle() {
	for {
		select {
		case sb := <-e.free:
			e.c.putBuf(sb)
		default:
			return
		}
	}
}

// encodeLoop encodes stripes as they come and signals each one done.
func (e *encoder) encodeLoop() {
	blocks, crcs := make([][]byte, e.c.Shards()), make([]uint32, e.c.Shards())
	for sb := range e.parityQ {
		if e.ctx.Err() == nil {
			e.c.encodeStripe(sb, &e.o.Tag, blocks, crcs)
		}
		sb.encoded <- struct{}{}
	}
}

// sequence hands encoded stripes to the writers in stripe order, whichever worker finished
// them first.
func (e *encoder) sequence() {
	for sb := range e.orderQ {
		<-sb.encoded
		for _, q := range e.writeQ {
			q <- sb
		}
	}
	for _, q := range e.writeQ {
		close(q)
	}
}

func (e *encoder) writeLoop(i int) {
	w := e.shards[i]
	slot := e.c.slot(i)
	if _, err := w.Write(e.c.header(i, e.o.Tag).AppendHeader(nil)); err != nil {
		e.fail(i, err)
	}
	for sb := range e.writeQ[i] {
		if e.errs[i] == nil && e.ctx.Err() == nil {
			if _, err := w.Write(sb.framed(slot)); err != nil {
				e.fail(i, err)
			}
		}
		e.release(sb)
	}
}

func (e *encoder) fail(i int, err error) {
	e.errs[i] = err
	if n := int(e.failed.Add(1)); n > e.o.MaxFailedWriters {
		e.cancel(fmt.Errorf("%w: %d of %d (shard %d: %w)", ErrWriteQuorum, n, len(e.shards), i, err))
	}
}

func (e *encoder) observeLoop(j int) {
	w := e.o.Observers[j]
	failed := false
	for sb := range e.obsQ[j] {
		if !failed && e.ctx.Err() == nil {
			if err := observe(w, sb); err != nil {
				failed = true
				e.cancel(fmt.Errorf("erasure: observer: %w", err))
			}
		}
		e.release(sb)
	}
}

// observe writes the object bytes of a stripe to w, in order.
func observe(w io.Writer, sb *stripeBuf) error {
	for i, rest := 0, sb.len; rest > 0; i++ {
		n := min(rest, sb.block)
		if _, err := w.Write(sb.blockData(i)[:n]); err != nil {
			return err
		}
		rest -= n
	}
	return nil
}

// fill reads up to one stripe of src into the chunk areas of sb and returns how many bytes it
// read. A short count means src is exhausted.
func (c *Codec) fill(sb *stripeBuf, src io.Reader) (int, error) {
	total := 0
	for i := range c.k {
		n, err := io.ReadFull(src, sb.chunkArea(i))
		total += n
		switch err {
		case nil:
		case io.EOF, io.ErrUnexpectedEOF:
			return total, nil
		default:
			return total, fmt.Errorf("erasure: reading object: %w", err)
		}
	}
	return total, nil
}

// layout sets the block size of a freshly read stripe and, for a short last stripe, moves its
// bytes from chunk-sized slots into block-sized ones: logical byte p moves from slot p/C,
// offset p%C to slot p/b, offset p%b, zero-padded to k*b bytes.
//
// The move is done in place. Since b <= C, the place p moves to holds, before the move, the
// byte q = (p/b)*C + p%b >= p. Moving bytes in decreasing order of p (blocks from last to
// first, and within a block its higher source run first) therefore only ever overwrites
// bytes that have already moved. copy has memmove semantics for runs within one slot.
func (c *Codec) layout(sb *stripeBuf) {
	if int64(sb.len) == c.StripeSize() {
		sb.block = c.chunk
		return
	}
	C, L := c.chunk, sb.len
	b := int(ceilDiv(int64(L), int64(c.k)))
	sb.block = b
	for i := c.k - 1; i >= 0; i-- {
		lo, hi := i*b, min((i+1)*b, L)
		dst := sb.chunkArea(i)
		if lo < hi {
			// A block-sized run spans at most two chunk-sized slots.
			mid := min(hi, (lo/C+1)*C)
			if mid < hi {
				copy(dst[mid-lo:hi-lo], sb.chunkArea(mid / C)[:hi-mid])
			}
			copy(dst[:mid-lo], sb.chunkArea(lo / C)[lo%C:])
		}
		clear(dst[max(hi-lo, 0):b])
	}
}

// segment is the width of the column of a stripe that encodeStripe processes at a time: small
// enough that the k+m pieces of a column (6 × 64 KiB for 4+2) stay in a core's L2 cache
// between computing the parity and checksumming them, so the stripe streams through memory
// once instead of once per pass.
const segment = 64 << 10

// encodeStripe computes the parity blocks of sb and seals every block with its checksum, a
// column segment at a time. blocks and crcs are scratch space of n entries.
func (c *Codec) encodeStripe(sb *stripeBuf, tag *Tag, blocks [][]byte, crcs []uint32) {
	slots := c.slotCount()
	clear(crcs)
	for off := 0; off < sb.block; off += segment {
		end := min(off+segment, sb.block)
		if c.rs != nil {
			for i := range blocks {
				blocks[i] = sb.blockData(i)[off:end]
			}
			if err := c.rs.Encode(blocks); err != nil {
				// Shapes are ours and always consistent; an error here is a bug.
				panic(fmt.Sprintf("erasure: encoding stripe %d: %v", sb.index, err))
			}
		}
		for i := range slots {
			crcs[i] = crc32.Update(crcs[i], castagnoli, sb.blockData(i)[off:end])
		}
	}
	for i := range slots {
		sum := finishSum(crcs[i], tag, c.sumIndex(i), sb.index)
		binary.BigEndian.PutUint32(sb.mem[i*sb.width+sb.block:], sum)
	}
}
