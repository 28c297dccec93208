package engine

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jointcloud/jcs/engine/space"
	"github.com/jointcloud/jcs/erasure"
	"github.com/jointcloud/jcs/kv"
)

// Deferred placement.
//
// A small object written the plain way costs an fsync on each of its ParityShards+1 replica
// spaces and then one on the index's log, two fsync latencies in a row. Its content fits in
// the index instead: up to DeferMax bytes, stageContent keeps it in memory and
// commitContent writes it under blobData/<blob ID> in the same transaction as the object and
// its blob record, which is marked Deferred. The client's success then waits for one fsync,
// the index's, which concurrent uploads share (Pebble syncs their commits together). The
// placer writes the blob's replicas to the spaces soon after, many blobs at a time, each
// space's shards of a batch with one space.PutBatch (one write and one sync on a Local space),
// and in one transaction per batch marks the blobs placed and deletes their content from the
// index. Ceph's BlueStore defers small writes through its
// RocksDB log the same way.
//
// What holds while a blob is deferred:
//   - Its content is as durable as its record: both are in the same committed batch. Losing
//     user spaces loses nothing, since the content is on none of them yet; losing the index
//     loses everything, deferred or not.
//   - Spaces says where the placer means to put the shards, chosen at upload time (with the
//     upload's affinity), so that a placement a crash cut short is finished on the same
//     spaces and leaves no shard elsewhere. A space that cannot take shards any more when the
//     placer comes is replaced by another.
//   - Readers read the content from the index. A reader that finds it gone finds the blob
//     placed (the collector never removes the content of a pinned blob) and reads the shards.
//   - Repair, scrub and the inventory see nothing to check: all shards count as fine. Fsck
//     checks the content record instead.
//   - Releasing the last reference queues the blob for collection as usual; the collector
//     deletes its content record, and the shards a placement cut short by a crash may have
//     left. A placement that finds its blob released deletes the shards it wrote.
//   - The index holds at most DeferLimit bytes of deferred content (as far as this process
//     knows): past it, and when the placer falls behind, uploads write their shards first as
//     before.

// placeBatch is how many deferred blobs the placer writes at once, and places in one
// transaction.
const placeBatch = 128

// placeDelay is how long the placer lets deferred blobs gather after the first one arrives.
const placeDelay = 100 * time.Millisecond

// placeInterval is how often the placer looks for deferred blobs without being prompted: a
// placement that failed (too few spaces) is retried this often.
const placeInterval = 5 * time.Second

// deferState is the placer's state.
type deferState struct {
	wake    chan struct{} // prompts the placer; buffered, so prompts coalesce
	mu      sync.Mutex    // held by a placement pass
	pending atomic.Int64  // bytes of deferred content committed and not yet placed or collected
	blobs   atomic.Int64  // deferred blobs, likewise
	placed  atomic.Int64  // blobs placed since start
}

func blobDataKey(id BlobID) []byte { return kv.Key(kv.PrefixBlobData).Bytes(id[:]) }

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// encodeBlobData writes a deferred blob's content record: version, CRC-32C of the content
// (4 bytes, big-endian), then the content.
func encodeBlobData(data []byte) []byte {
	v := make([]byte, 5+len(data))
	v[0] = blobDataRecordV1
	crc := crc32.Checksum(data, castagnoli)
	v[1], v[2], v[3], v[4] = byte(crc>>24), byte(crc>>16), byte(crc>>8), byte(crc)
	copy(v[5:], data)
	return v
}

// decodeBlobData returns the content of a record written by encodeBlobData, checking it.
func decodeBlobData(v []byte) ([]byte, error) {
	if len(v) < 5 || v[0] != blobDataRecordV1 {
		return nil, fmt.Errorf("%w: blob data record", errRecordShape)
	}
	want := uint32(v[1])<<24 | uint32(v[2])<<16 | uint32(v[3])<<8 | uint32(v[4])
	if crc32.Checksum(v[5:], castagnoli) != want {
		return nil, errors.New("engine: deferred content fails its checksum")
	}
	return v[5:], nil
}

// deferContent returns the content of a small body already in memory as a deferred blob, or
// ok false if it should be written to the spaces now: deferral is off, the body is too large,
// or the index holds DeferLimit bytes of deferred content already. Placement is chosen now, so
// that an upload with too few usable spaces fails now, as it would when written.
func (e *Engine) deferContent(data []byte, affinity SpaceID) (c content, ok bool, err error) {
	size := int64(len(data))
	if size == 0 || size > e.opts.DeferMax || e.deferred.pending.Load()+size > e.opts.DeferLimit {
		return content{}, false, nil
	}
	codec, err := e.codec(1, e.opts.ParityShards, e.opts.ChunkSize)
	if err != nil {
		return content{}, false, err
	}
	b := blobLayout{K: 1, N: 1 + e.opts.ParityShards, Chunk: e.opts.ChunkSize, Size: size, Refs: 1,
		CreateTime: e.now(), Deferred: true}
	if _, err := rand.Read(b.ID[:]); err != nil {
		return content{}, false, err
	}
	b.Spaces, err = place(b.ID, e.spaces.writable(e.now(), codec.ShardFileSize(size)), b.N, affinity)
	if err != nil {
		return content{}, false, &Error{Kind: KindUnavailable, Err: err}
	}
	e.stats.bytesWritten.Add(size)
	return content{size: size, blob: &b, data: bytes.Clone(data)}, true, nil
}

// committedDeferred notes a deferred blob that is now in the index and prompts the placer.
func (e *Engine) committedDeferred(size int64) {
	e.deferred.pending.Add(size)
	e.deferred.blobs.Add(1)
	select {
	case e.deferred.wake <- struct{}{}:
	default:
	}
}

// forgetDeferred notes a deferred blob placed or collected.
func (e *Engine) forgetDeferred(size int64) {
	e.deferred.pending.Add(-size)
	e.deferred.blobs.Add(-1)
}

// countDeferred sets the pending counters from the index, at startup.
func (e *Engine) countDeferred(ctx context.Context) error {
	var n, size int64
	err := e.kv.View(ctx, func(r kv.Reader) error {
		return scanPrefix(r, kv.Key(kv.PrefixBlobData), func(_, v []byte) error {
			n++
			size += int64(max(len(v)-5, 0))
			return nil
		})
	})
	e.deferred.blobs.Store(n)
	e.deferred.pending.Store(size)
	if n > 0 {
		e.deferred.wake <- struct{}{} // buffered, and the loop has not started
	}
	return err
}

// placeLoop places deferred blobs placeDelay after it is prompted, and every placeInterval.
// New prompts it when the last run left deferred blobs.
func (e *Engine) placeLoop(ctx context.Context) {
	t := time.NewTicker(placeInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-e.deferred.wake:
			// Let a batch gather: placing blobs together shares their spaces' syncs
			// and the index commit that marks them placed.
			select {
			case <-ctx.Done():
				return
			case <-time.After(placeDelay):
			}
		case <-t.C:
		}
		if _, err := e.PlaceDeferred(ctx); err != nil && ctx.Err() == nil {
			e.log.Warn("placing deferred blobs", "err", err)
		}
	}
}

// PlaceDeferred writes the shards of every deferred blob in the index to its user spaces and
// marks it placed, and returns how many it placed. Blobs that cannot be placed now (too few
// usable spaces) stay deferred, and their errors are returned. The background placer runs it
// whenever an upload defers a blob; tests and tools call it to reach a settled state.
func (e *Engine) PlaceDeferred(ctx context.Context) (int, error) {
	e.deferred.mu.Lock()
	defer e.deferred.mu.Unlock()
	total := 0
	var errs []error
	var after []byte
	for ctx.Err() == nil {
		batch, err := e.deferredPage(ctx, after)
		if err != nil || len(batch) == 0 {
			return total, errors.Join(append(errs, err)...)
		}
		after = append(blobDataKey(batch[len(batch)-1].b.ID), 0)
		n, err := e.placeBlobs(ctx, batch)
		total += n
		errs = append(errs, err)
		if len(batch) < placeBatch {
			break
		}
	}
	return total, errors.Join(append(errs, ctx.Err())...)
}

// deferredBlob is a deferred blob and its content, as the placer found them.
type deferredBlob struct {
	b       blobLayout
	data    []byte
	chosen  []SpaceID // the spaces chosen at upload
	putErrs []error   // of each shard's write, once writeDeferred has tried it
	err     error
}

// deferredPage reads up to placeBatch deferred blobs, from key after on (nil: the start).
// Content records whose blob was released are skipped: the collector deletes them.
func (e *Engine) deferredPage(ctx context.Context, after []byte) ([]deferredBlob, error) {
	var page []deferredBlob
	err := e.kv.View(ctx, func(r kv.Reader) error {
		lower, upper := kv.PrefixRange(kv.Key(kv.PrefixBlobData))
		if after != nil {
			lower = after
		}
		it := r.Iter(lower, upper)
		for ok := it.First(); ok && len(page) < placeBatch; ok = it.Next() {
			kr := kv.NewKeyReader(it.Key())
			kr.Prefix()
			var id BlobID
			copy(id[:], kr.Bytes(len(id)))
			if err := kr.Err(); err != nil {
				it.Close()
				return err
			}
			b, err := getBlob(r, id)
			if KindOf(err) == KindNotFound || (err == nil && !b.Deferred) {
				continue
			}
			var data []byte
			if err == nil {
				data, err = decodeBlobData(it.Value())
			}
			if err != nil {
				it.Close()
				return fmt.Errorf("deferred blob %s: %w", id, err)
			}
			page = append(page, deferredBlob{b: b, data: bytes.Clone(data)})
		}
		return it.Close()
	})
	return page, err
}

// placeBlobs writes the shards of a batch of deferred blobs, then marks those written placed
// in one transaction. It returns how many it placed.
func (e *Engine) placeBlobs(ctx context.Context, batch []deferredBlob) (int, error) {
	for i := range batch {
		batch[i].err = e.choosePlacement(&batch[i])
	}
	e.writeDeferred(ctx, batch)
	lost := make([]bool, len(batch))
	written := 0
	err := e.kv.Update(ctx, func(tx kv.Tx) error {
		clear(lost)
		written = 0
		for i := range batch {
			d := &batch[i]
			if d.err != nil {
				continue
			}
			written++
			cur, err := getBlob(tx, d.b.ID)
			if KindOf(err) == KindNotFound || (err == nil && !cur.Deferred) {
				lost[i] = true // released meanwhile: its content is the collector's
				continue
			}
			if err != nil {
				return err
			}
			cur.Spaces, cur.Deferred = d.b.Spaces, false
			if err := errors.Join(tx.Set(blobKey(cur.ID), encodeBlob(&cur)), tx.Delete(blobDataKey(cur.ID))); err != nil {
				return err
			}
		}
		return nil
	})
	placed := 0
	var errs []error
	for i := range batch {
		d := &batch[i]
		if d.err != nil {
			errs = append(errs, d.err)
			continue
		}
		switch {
		case errors.Is(err, kv.ErrCommitUnknown):
			// Placed or not, the layout names these shards: leave them.
		case err != nil || lost[i]:
			e.deleteShards(context.WithoutCancel(ctx), d.b, true)
		default:
			placed++
			e.forgetDeferred(d.b.Size)
			e.dropChosen(ctx, d)
		}
		e.blobs.unstage(d.b.ID)
	}
	e.deferred.placed.Add(int64(placed))
	if written > 0 && err != nil {
		errs = append(errs, err)
	}
	return placed, errors.Join(errs...)
}

// choosePlacement checks d's content against its record and keeps the spaces chosen at
// upload if they all still take shards, or places it again, away from the ones that do not.
func (e *Engine) choosePlacement(d *deferredBlob) error {
	if int64(len(d.data)) != d.b.Size {
		return fmt.Errorf("deferred blob %s: %d bytes of content, record says %d", d.b.ID, len(d.data), d.b.Size)
	}
	codec, err := e.codec(d.b.K, d.b.N-d.b.K, d.b.Chunk)
	if err != nil {
		return err
	}
	d.chosen = d.b.Spaces
	for _, id := range d.b.Spaces {
		if !e.spaces.takes(id, e.now()) {
			spaces, err := place(d.b.ID, e.spaces.writable(e.now(), codec.ShardFileSize(d.b.Size)), d.b.N, 0)
			if err != nil {
				return &Error{Kind: KindUnavailable, Err: err}
			}
			d.b.Spaces = spaces
			break
		}
	}
	return nil
}

// writeDeferred writes the replicas of the batch's blobs that have no error yet: each space
// gets its shards of the whole batch in one space.PutBatch, which a Local space appends with
// one write and one sync. A blob any of whose shards failed gets an error, and what was
// written of it is deleted; the others are written whole and counted in their spaces' usage,
// and stay staged for the caller to unstage.
func (e *Engine) writeDeferred(ctx context.Context, batch []deferredBlob) {
	type shard struct {
		d *deferredBlob
		i int
	}
	blobs := make(map[SpaceID][]space.Blob)
	owners := make(map[SpaceID][]shard)
	sizes := make([]int64, len(batch))
	for k := range batch {
		d := &batch[k]
		if d.err != nil {
			continue
		}
		codec, err := e.codec(d.b.K, d.b.N-d.b.K, d.b.Chunk)
		if err != nil {
			d.err = err
			continue
		}
		tag := erasure.Tag(d.b.ID)
		blocks := codec.AppendReplicaBlocks(nil, d.data, tag)
		sizes[k] = int64(erasure.HeaderSize + len(blocks))
		d.putErrs = make([]error, d.b.N)
		reserved := 0
		for _, id := range d.b.Spaces {
			if !e.spaces.reserve(id, sizes[k]) {
				d.err = &Error{Kind: KindUnavailable, Err: fmt.Errorf("user space %d: %w", id, errSpaceFull)}
				break
			}
			reserved++
		}
		if d.err != nil {
			for _, id := range d.b.Spaces[:reserved] {
				e.spaces.settle(id, sizes[k], false)
			}
			continue
		}
		e.blobs.stage(d.b.ID)
		for i, id := range d.b.Spaces {
			data := append(codec.AppendShardHeader(nil, i, tag), blocks...)
			blobs[id] = append(blobs[id], space.Blob{Name: shardName(d.b.ID, i), Data: data})
			owners[id] = append(owners[id], shard{d, i})
		}
	}
	var wg sync.WaitGroup
	for id, list := range blobs {
		wg.Go(func() {
			sp, err := e.spaces.get(id)
			if err == nil {
				err = space.PutBatch(ctx, sp, list)
			}
			if err != nil {
				// Each blob has one shard per space: no two goroutines write one entry.
				for _, o := range owners[id] {
					o.d.putErrs[o.i] = fmt.Errorf("user space %d: %w", id, err)
				}
			}
		})
	}
	wg.Wait()
	for k := range batch {
		d := &batch[k]
		if d.putErrs == nil || d.err != nil {
			continue
		}
		failed := errors.Join(d.putErrs...)
		for _, id := range d.b.Spaces {
			e.spaces.settle(id, sizes[k], failed == nil)
		}
		if failed != nil {
			if ctx.Err() == nil {
				e.blameSpaces(&d.b, d.putErrs, nil)
			}
			e.deleteShards(context.WithoutCancel(ctx), d.b, false)
			e.blobs.unstage(d.b.ID)
			d.err = &Error{Kind: KindUnavailable, Err: &withCause{msg: "writing the shards of a deferred blob failed", err: failed}}
		}
	}
}

// dropChosen deletes what a placement cut short by a crash may have left where the blob was
// first meant to go, when it was placed elsewhere: the sweep would take those shards too, but
// only after OrphanGrace. Failures are left to it.
func (e *Engine) dropChosen(ctx context.Context, d *deferredBlob) {
	for i, id := range d.chosen {
		if i < len(d.b.Spaces) && d.b.Spaces[i] != id {
			e.deleteShard(context.WithoutCancel(ctx), id, shardName(d.b.ID, i))
		}
	}
}

// readDeferred writes bytes [off, off+n) of deferred blob b to w from the index. If the
// content is gone, the blob was placed meanwhile: it sets *b to the placed layout and returns
// false, for the caller to read the shards.
func (e *Engine) readDeferred(ctx context.Context, w io.Writer, b *blobLayout, off, n int64) (bool, error) {
	var data []byte
	err := e.kv.View(ctx, func(r kv.Reader) error {
		v, err := r.Get(blobDataKey(b.ID))
		if err == nil {
			data, err = decodeBlobData(v)
			return err
		}
		if !errors.Is(err, kv.ErrNotFound) {
			return err
		}
		// Placed, and maybe released since; a pinned blob's shards stay either way.
		for _, key := range [][]byte{blobKey(b.ID), gcKey(b.ID)} {
			v, err := r.Get(key)
			if errors.Is(err, kv.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			nb, err := decodeBlob(b.ID, v)
			if err != nil {
				return err
			}
			if !nb.Deferred {
				*b = nb
				return nil
			}
		}
		return fmt.Errorf("engine: index inconsistent: deferred blob %s has no content", b.ID)
	})
	if err != nil || data == nil {
		return false, err
	}
	if int64(len(data)) != b.Size || off+n > b.Size {
		return false, fmt.Errorf("engine: deferred blob %s has %d bytes of content, record says %d", b.ID, len(data), b.Size)
	}
	_, err = w.Write(data[off : off+n])
	return true, err
}

// readBlobRange writes bytes [off, off+n) of blob b to w, from the index if it is deferred,
// else from its shards.
func (e *Engine) readBlobRange(ctx context.Context, w io.Writer, b *blobLayout, off, n int64) error {
	if b.Deferred {
		nb := *b
		done, err := e.readDeferred(ctx, w, &nb, off, n)
		if done || err != nil {
			return err
		}
		b = &nb
	}
	shards := e.openShards(ctx, b)
	defer func() {
		for _, s := range shards {
			s.close()
		}
	}()
	return e.readBlob(ctx, w, b, shards, off, n)
}
