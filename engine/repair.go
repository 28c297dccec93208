package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jointcloud/jcs/erasure"
	"github.com/jointcloud/jcs/kv"
)

// Repair keeps every blob fully redundant. A shard needs rebuilding when it is missing or
// corrupt on a working space (rebuilt in place), when its space is draining or gone, or when
// its space has been down for longer than RepairAfter (rebuilt on another space). Rebuilding
// decodes the blob from any k good shards and encodes it again, keeping only the shards
// needed: encoding is deterministic, so they come out byte for byte as first written. The new
// shards are durable before one transaction points the blob's layout at them; the copies they
// replace are deleted afterwards, or collected by the orphan sweep, which takes any shard file
// that the layout does not place where it lies.
//
// Work arrives three ways: full passes (every RepairInterval, when a space comes back or
// starts draining, and on demand) that compare the index with listings of every space; blobs
// queued by reads that met a bad shard; and the scrubber, which reads every shard. One
// mutex serializes the rebuilds, so layouts change one at a time.

// maxRepairQueue bounds the blobs queued by degraded reads; past it, passes find the rest.
const maxRepairQueue = 10000

// repairState is the repairer's bookkeeping.
type repairState struct {
	mu     sync.Mutex // held while a blob is rebuilt
	passMu sync.Mutex // held by a full pass

	wake      chan struct{} // asks for a full pass
	queueWake chan struct{}

	queueMu sync.Mutex
	queue   map[BlobID]struct{}

	running                       atomic.Bool
	passes, checked, rebuilt      atomic.Int64
	rebuiltBytes, stuck, failures atomic.Int64
	lastPass                      atomic.Int64 // unix nanoseconds of the last pass's end
}

// RepairStatus reports the repairer's work since the engine started.
type RepairStatus struct {
	Running bool // a full pass is running
	Passes  int64
	// LastPass is when the last full pass ended (zero: none yet).
	LastPass time.Time
	// BlobsChecked counts blobs examined by passes; ShardsRebuilt and BytesRebuilt the shards
	// rebuilt and their bytes.
	BlobsChecked, ShardsRebuilt, BytesRebuilt int64
	// Unrepairable counts blobs found with fewer than k good shards; Failures rebuilds that
	// failed and will be retried.
	Unrepairable, Failures int64
	// Queued is how many blobs reads queued for a check.
	Queued int
}

func (e *Engine) repairStatus() RepairStatus {
	r := &e.repair
	r.queueMu.Lock()
	queued := len(r.queue)
	r.queueMu.Unlock()
	st := RepairStatus{
		Running: r.running.Load(), Passes: r.passes.Load(),
		BlobsChecked: r.checked.Load(), ShardsRebuilt: r.rebuilt.Load(), BytesRebuilt: r.rebuiltBytes.Load(),
		Unrepairable: r.stuck.Load(), Failures: r.failures.Load(), Queued: queued,
	}
	if ns := r.lastPass.Load(); ns != 0 {
		st.LastPass = time.Unix(0, ns)
	}
	return st
}

// wakeRepair asks for a full repair pass soon; requests coalesce.
func (e *Engine) wakeRepair() {
	select {
	case e.repair.wake <- struct{}{}:
	default:
	}
}

// queueRepair asks for a check of one blob, after a read met a bad shard of it.
func (e *Engine) queueRepair(id BlobID) {
	r := &e.repair
	r.queueMu.Lock()
	if r.queue == nil {
		r.queue = make(map[BlobID]struct{})
	}
	if len(r.queue) < maxRepairQueue {
		r.queue[id] = struct{}{}
	}
	r.queueMu.Unlock()
	select {
	case r.queueWake <- struct{}{}:
	default:
	}
}

// repairLoop runs until ctx ends: queued checks as they come, a full pass when asked or every
// RepairInterval.
func (e *Engine) repairLoop(ctx context.Context) {
	t := time.NewTicker(e.opts.RepairInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-e.repair.queueWake:
			e.repairQueued(ctx)
		case <-e.repair.wake:
			e.runRepairPass(ctx)
		case <-t.C:
			e.runRepairPass(ctx)
		}
	}
}

func (e *Engine) runRepairPass(ctx context.Context) {
	if _, err := e.repairPass(ctx); err != nil && ctx.Err() == nil {
		e.log.Warn("repair pass incomplete", "err", err)
	}
}

// repairQueued checks, and if need be repairs, every blob reads queued.
func (e *Engine) repairQueued(ctx context.Context) {
	r := &e.repair
	for ctx.Err() == nil {
		r.queueMu.Lock()
		var id BlobID
		found := false
		for id = range r.queue {
			delete(r.queue, id)
			found = true
			break
		}
		r.queueMu.Unlock()
		if !found {
			return
		}
		var b blobLayout
		err := e.kv.View(ctx, func(rd kv.Reader) (err error) {
			b, err = getBlob(rd, id)
			return err
		})
		if err != nil {
			continue // released since, or the index failed: a pass will see
		}
		states, err := e.checkBlob(ctx, &b, true, nil)
		if err == nil {
			_, err = e.repairBlob(ctx, b, states)
		}
		if err != nil && ctx.Err() == nil {
			e.log.Warn("repairing a blob after a degraded read", "blob", b.ID, "err", err)
		}
	}
}

// RepairReport says what a repair pass did.
type RepairReport struct {
	BlobsChecked  int64
	ShardsRebuilt int64
	BytesRebuilt  int64
	// Unrepairable counts blobs with fewer than k good shards now; Waiting those with shards
	// on spaces down for less than RepairAfter, or with nowhere to put a shard.
	Unrepairable, Waiting int64
	// Drained lists the draining spaces this pass emptied and removed.
	Drained []SpaceID
}

// Repair runs a full repair pass now and waits for it: every blob whose shards are missing,
// corrupt (as far as sizes tell; the scrubber reads the bytes), on draining or deleted spaces,
// or on spaces down for longer than RepairAfter, is rebuilt.
func (e *Engine) Repair(ctx context.Context) (RepairReport, error) {
	const op = "engine.Repair"
	rep, err := e.repairPass(ctx)
	return rep, wrap(op, err)
}

func (e *Engine) repairPass(ctx context.Context) (RepairReport, error) {
	e.repair.passMu.Lock()
	defer e.repair.passMu.Unlock()
	r := &e.repair
	r.running.Store(true)
	defer r.running.Store(false)
	var rep RepairReport
	var errs []error
	err := e.inventory(ctx, func(v inventoryVisit) error {
		rep.BlobsChecked++
		r.checked.Add(1)
		res, err := e.repairBlob(ctx, v.blob, v.states)
		rep.ShardsRebuilt += int64(res.rebuilt)
		rep.BytesRebuilt += res.bytes
		switch {
		case res.unrepairable:
			rep.Unrepairable++
		case res.waiting:
			rep.Waiting++
		}
		if err != nil && ctx.Err() == nil {
			errs = append(errs, err)
		}
		return ctx.Err()
	}, nil)
	errs = append(errs, err)
	drained, err := e.finishDrains(ctx)
	rep.Drained = drained
	errs = append(errs, err)
	r.passes.Add(1)
	r.lastPass.Store(e.now().UnixNano())
	if rep.ShardsRebuilt > 0 || rep.Unrepairable > 0 {
		e.log.Info("repair pass", "blobs", rep.BlobsChecked, "shardsRebuilt", rep.ShardsRebuilt,
			"bytesRebuilt", rep.BytesRebuilt, "unrepairable", rep.Unrepairable, "waiting", rep.Waiting)
	}
	return rep, errors.Join(errs...)
}

// finishDrains removes every draining space that no record places a shard on any more.
func (e *Engine) finishDrains(ctx context.Context) ([]SpaceID, error) {
	var drained []SpaceID
	var errs []error
	for _, v := range e.spaces.views(e.now()) {
		if !v.info.Draining {
			continue
		}
		gone, err := e.DeleteUserSpace(ctx, v.info.ID, true)
		if err != nil {
			errs = append(errs, err)
		} else if gone {
			drained = append(drained, v.info.ID)
		}
	}
	return drained, errors.Join(errs...)
}

// repairResult is what repairBlob did for one blob.
type repairResult struct {
	rebuilt      int
	bytes        int64
	unrepairable bool // fewer than k good shards
	waiting      bool // some shard needs work that cannot be done yet
}

// repairBlob rebuilds the shards of b that states say need it, as far as it can.
func (e *Engine) repairBlob(ctx context.Context, b blobLayout, states []shardState) (repairResult, error) {
	var res repairResult
	size, err := e.shardFileSize(&b)
	if err != nil {
		return res, err
	}
	now := e.now()
	only := make([]bool, b.N)
	move := make([]bool, b.N)
	good, targets := 0, 0
	for i, st := range states {
		id := b.Spaces[i]
		switch st {
		case shardOK:
			good++
		case shardMissing, shardCorrupt:
			only[i] = true
			move[i] = !e.spaces.takes(id, now)
		case shardUnplaced:
			only[i], move[i] = true, true
		case shardUnreachable:
			if v, ok := e.spaces.view(id); ok && v.health == HealthDown && now.Sub(v.downAt) >= e.opts.RepairAfter {
				only[i], move[i] = true, true
			} else {
				res.waiting = true
			}
		}
		if only[i] {
			targets++
		}
	}
	if targets == 0 {
		return res, nil
	}
	if good < b.K {
		res.unrepairable = true
		e.repair.stuck.Add(1)
		e.log.Error("blob cannot be repaired: too few good shards", "blob", b.ID, "good", good, "k", b.K)
		return res, nil
	}
	// New homes for the shards that move: spaces with room that hold no other shard of b.
	nb := b
	nb.Spaces = append([]SpaceID(nil), b.Spaces...)
	var moving []int
	keep := make(map[SpaceID]bool)
	for i, id := range b.Spaces {
		if move[i] {
			moving = append(moving, i)
		} else {
			keep[id] = true
		}
	}
	if len(moving) > 0 {
		var cands []SpaceID
		for _, id := range e.spaces.writable(now, size) {
			if !keep[id] {
				cands = append(cands, id)
			}
		}
		homes, err := place(b.ID, cands, min(len(moving), len(cands)), 0)
		if err != nil {
			return res, err
		}
		for j, i := range moving {
			if j < len(homes) {
				nb.Spaces[i] = homes[j]
			} else {
				only[i], res.waiting = false, true // nowhere to go yet
				targets--
			}
		}
	}
	if targets == 0 {
		return res, nil
	}

	e.repair.mu.Lock()
	defer e.repair.mu.Unlock()
	live, err := e.pinLive(ctx, []blobLayout{b})
	if err != nil || !live {
		return res, err
	}
	defer e.blobs.unpin(b.ID)
	if err := e.rebuild(ctx, &b, &nb, states, only); err != nil {
		e.repair.failures.Add(1)
		return res, fmt.Errorf("rebuilding blob %s: %w", b.ID, err)
	}
	gone := false
	var found []SpaceID // the layout found at commit
	err = e.kv.Update(ctx, func(tx kv.Tx) error {
		found = nil
		cur, err := getBlob(tx, b.ID)
		if KindOf(err) == KindNotFound {
			gone = true
			return nil
		}
		if err != nil {
			return err
		}
		found = cur.Spaces
		if !slices.Equal(cur.Spaces, b.Spaces) {
			// Repaired meanwhile from a fresher read (a pass works from pages read
			// earlier): this rebuild is stale.
			gone = true
			return nil
		}
		cur.Spaces = nb.Spaces
		return tx.Set(blobKey(b.ID), encodeBlob(&cur))
	})
	if err != nil || gone {
		// Released or repaired meanwhile (or the commit failed): the new shards are
		// nobody's. In-place ones are deleted only if the blob is gone: otherwise the file
		// under that name is the one the layout names.
		for i := range only {
			if !only[i] {
				continue
			}
			if i < len(found) && found[i] == nb.Spaces[i] {
				// The layout names that very file, already counted where it lies.
				e.spaces.account(nb.Spaces[i], -size, -1)
				continue
			}
			if move[i] || (gone && err == nil && !e.blobLive(ctx, b.ID)) {
				if e.deleteShard(context.WithoutCancel(ctx), nb.Spaces[i], shardName(b.ID, i)) == nil {
					e.spaces.account(nb.Spaces[i], -size, -1)
				}
			}
		}
		return res, err
	}
	for i := range only {
		if !only[i] {
			continue
		}
		res.rebuilt++
		res.bytes += size
		// The shard was counted where the index placed it, and counted again when rebuilt.
		e.spaces.account(b.Spaces[i], -size, -1)
		if move[i] && states[i] != shardUnreachable {
			// Best effort: what stays behind is a stray for the sweep.
			e.deleteShard(ctx, b.Spaces[i], shardName(b.ID, i))
		}
	}
	e.repair.rebuilt.Add(int64(res.rebuilt))
	e.repair.rebuiltBytes.Add(res.bytes)
	e.log.Info("repaired blob", "blob", b.ID, "shards", res.rebuilt)
	return res, nil
}

// rebuild decodes b from its good shards and writes the shards only names to nb's spaces.
func (e *Engine) rebuild(ctx context.Context, b, nb *blobLayout, states []shardState, only []bool) error {
	codec, err := e.codec(b.K, b.N-b.K, b.Chunk)
	if err != nil {
		return err
	}
	all := e.openShards(ctx, b)
	defer func() {
		for _, s := range all {
			s.close()
		}
	}()
	readers := make([]io.ReaderAt, b.N)
	for i, s := range all {
		if states[i] == shardOK {
			readers[i] = s
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pr, pw := io.Pipe()
	decoded := make(chan error, 1)
	go func() {
		_, err := codec.Decode(ctx, pw, readers, erasure.DecodeOptions{
			Tag: erasure.Tag(b.ID), Size: b.Size, Length: b.Size, Depth: e.opts.DecodeDepth,
		})
		pw.CloseWithError(err)
		decoded <- err
	}()
	_, err = e.putShards(ctx, codec, nb, &sourceReader{r: pr}, writeSpec{
		k: b.K, m: b.N - b.K, chunk: b.Chunk, size: b.Size, only: only,
	})
	pr.CloseWithError(errors.New("engine: rebuild ended"))
	cancel()
	if derr := <-decoded; err != nil && derr != nil && !errors.Is(derr, context.Canceled) {
		err = derr
	}
	if err != nil {
		for i := range only {
			if only[i] {
				e.deleteShard(context.WithoutCancel(ctx), nb.Spaces[i], shardName(b.ID, i))
			}
		}
	}
	return err
}

// blobLive reports whether a blob record exists (errors count as live: keep the data).
func (e *Engine) blobLive(ctx context.Context, id BlobID) bool {
	err := e.kv.View(ctx, func(r kv.Reader) error {
		_, err := getBlob(r, id)
		return err
	})
	return KindOf(err) != KindNotFound
}
