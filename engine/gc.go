package engine

import (
	"context"
	"errors"
	"time"

	"github.com/jointcloud/jcs/engine/space"
	"github.com/jointcloud/jcs/kv"
)

// Collection. Shards become garbage in two ways:
//
//   - Released: the transaction that drops a blob's last reference moves its layout from the
//     blob record to a GC queue record. collect deletes the shards of queued blobs and then the
//     queue record. It first syncs the index, so that no shard is deleted while the release that
//     queued it could still be lost in a crash (which would bring back an object whose data is
//     gone), and it skips blobs that are pinned by readers or staged by writers.
//   - Orphaned: a crash between writing shards and committing the record that refers to them
//     leaves shards with no record at all, and a crashed Put leaves temporary files. sweep lists
//     every space and deletes shard files whose blob has neither a blob record nor a queue record
//     and that are older than a cutoff: the engine's start for the sweep at startup, and
//     OrphanGrace ago afterwards. A blob being written is staged before its first shard exists and
//     unstaged only after its record commits, and sweep checks staging before the index, so it
//     never takes a shard of an upload in flight.

// collectBatch is how many queued blobs collect reads from the index at a time. A variable so
// that tests can page with small queues.
var collectBatch = 1000

// wakeCollector prompts the collector to run soon; prompts coalesce.
func (e *Engine) wakeCollector() {
	select {
	case e.gcWake <- struct{}{}:
	default:
	}
}

// collectLoop runs collection until ctx ends: the startup sweep first, then collect whenever
// prompted or every GCInterval, and a sweep every OrphanGrace.
func (e *Engine) collectLoop(ctx context.Context) {
	// Temporary files were swept before New returned; shards are staged before they are
	// written, so sweeping orphans from before the start is safe while uploads run.
	if n, err := e.sweepOrphans(ctx, e.start); err == nil && n > 0 {
		e.log.Info("swept shards of interrupted writes", "orphanShards", n)
	}
	e.expireUploads(ctx)
	lastSweep := e.now()
	t := time.NewTicker(e.opts.GCInterval)
	defer t.Stop()
	for {
		if _, err := e.collect(ctx); err != nil && ctx.Err() == nil {
			e.log.Warn("collecting released blobs", "err", err)
		}
		e.compact(ctx)
		if now := e.now(); now.Sub(lastSweep) >= e.opts.OrphanGrace {
			e.sweep(ctx, now.Add(-e.opts.OrphanGrace))
			e.expireUploads(ctx)
			lastSweep = now
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-e.gcWake:
		}
	}
}

// CollectStats reports what a collection pass did.
type CollectStats struct {
	// Blobs counts released blobs whose shards were deleted.
	Blobs int
	// Orphans counts shard files that no record referred to, and TempFiles temporary files of
	// crashed writes, deleted by a sweep.
	Orphans, TempFiles int
	// CompactedBytes is the storage that compacting the spaces' pack files returned.
	CompactedBytes int64
}

// CollectGarbage runs collection now and waits for it: every released blob that no reader is
// using is deleted from its spaces, and, if sweepBefore is not zero, unreferenced shard files
// and temporary files older than sweepBefore are swept. Background collection does the same on
// its own; this is for administration and tests.
func (e *Engine) CollectGarbage(ctx context.Context, sweepBefore time.Time) (CollectStats, error) {
	const op = "engine.CollectGarbage"
	var st CollectStats
	n, err := e.collect(ctx)
	st.Blobs = n
	if err != nil {
		return st, wrap(op, err)
	}
	if !sweepBefore.IsZero() {
		st.Orphans, st.TempFiles = e.sweep(ctx, sweepBefore)
	}
	st.CompactedBytes = e.compact(ctx)
	return st, nil
}

// compact compacts every usable space that packs blobs (space.Compactor) and returns the bytes
// freed. Failures are logged; the next pass retries.
func (e *Engine) compact(ctx context.Context) int64 {
	var total int64
	for _, v := range e.spaces.opened() {
		c, ok := v.sp.(space.Compactor)
		if !ok || v.health == HealthDown {
			continue
		}
		n, err := c.Compact(ctx)
		total += n
		if err != nil && ctx.Err() == nil {
			e.log.Warn("compacting packs", "space", v.info.ID, "err", err)
		}
	}
	e.stats.compactedBytes.Add(total)
	return total
}

// collect goes through the whole queue a page at a time and deletes the shards of every
// queued blob that is not in use. A blob whose shards all went leaves the queue; one whose
// spaces failed for some of them stays, rewritten to name only those, so that one unreachable
// space neither keeps the other spaces' shards nor blocks the blobs queued after it. It
// returns how many blobs left the queue.
func (e *Engine) collect(ctx context.Context) (int, error) {
	e.gcMu.Lock()
	defer e.gcMu.Unlock()
	total := 0
	var errs []error
	var after []byte
	for {
		queued, err := e.queuedBlobs(ctx, after)
		if err != nil || len(queued) == 0 {
			return total, errors.Join(append(errs, err)...)
		}
		after = append(gcKey(queued[len(queued)-1].ID), 0)
		// The releases that queued these blobs must be durable before their shards go.
		if err := e.kv.Sync(); err != nil {
			return total, err
		}
		done, left, err := e.deleteQueued(ctx, queued)
		errs = append(errs, err)
		if err := e.settleQueue(ctx, done, left); err != nil {
			return total, err
		}
		for _, b := range done {
			if b.Deferred {
				e.forgetDeferred(b.Size)
			}
		}
		total += len(done)
		e.stats.blobsCollected.Add(int64(len(done)))
		if len(queued) < collectBatch {
			return total, errors.Join(errs...)
		}
	}
}

// queuedBlobs reads up to collectBatch queue records from key after on (nil: the start).
func (e *Engine) queuedBlobs(ctx context.Context, after []byte) ([]blobLayout, error) {
	return e.layoutPage(ctx, kv.PrefixGC, after, collectBatch)
}

// deleteQueued deletes the shards of queued blobs that nothing uses. It returns the blobs now
// gone entirely and those with shards left (their Spaces entries of deleted shards zeroed).
// A deferred blob's content record goes with its queue record; it has no shards unless a
// placement was cut short by a crash, so its deletes are not accounted.
func (e *Engine) deleteQueued(ctx context.Context, queued []blobLayout) (done, left []blobLayout, err error) {
	var errs []error
	for _, b := range queued {
		if e.blobs.busy(b.ID) {
			continue
		}
		remaining, changed := 0, false
		size, _ := e.shardFileSize(&b)
		for i, id := range b.Spaces {
			if id == 0 {
				continue
			}
			if err := e.deleteShard(ctx, id, shardName(b.ID, i)); err != nil {
				errs = append(errs, err)
				remaining++
				continue
			}
			if !b.Deferred {
				e.spaces.account(id, -size, -1)
			}
			b.Spaces[i], changed = 0, true
		}
		switch {
		case remaining == 0:
			done = append(done, b)
		case changed:
			left = append(left, b)
		}
	}
	e.stats.collectErrors.Add(int64(len(errs)))
	return done, left, errors.Join(errs...)
}

// settleQueue removes the queue records of blobs gone entirely and rewrites those of blobs with
// shards left. These are blind writes: nothing else writes queue records of released blobs.
func (e *Engine) settleQueue(ctx context.Context, done, left []blobLayout) error {
	if len(done) == 0 && len(left) == 0 {
		return nil
	}
	return e.kv.Update(ctx, func(tx kv.Tx) error {
		for _, b := range done {
			if err := tx.Delete(gcKey(b.ID)); err != nil {
				return err
			}
			if b.Deferred {
				if err := tx.Delete(blobDataKey(b.ID)); err != nil {
					return err
				}
			}
		}
		for i := range left {
			if err := tx.Set(gcKey(left[i].ID), encodeBlob(&left[i])); err != nil {
				return err
			}
		}
		return nil
	})
}

// sweep deletes temporary files and orphaned shard files older than before from every space,
// and returns how many of each it deleted. Failures are logged; the next sweep retries.
func (e *Engine) sweep(ctx context.Context, before time.Time) (orphans, temps int) {
	temps = e.sweepTemps(ctx, before)
	orphans, _ = e.sweepOrphans(ctx, before)
	if orphans+temps > 0 {
		e.log.Info("swept leftovers of interrupted writes", "orphanShards", orphans, "tempFiles", temps)
	}
	return orphans, temps
}

// sweepTemps deletes the temporary files of writes started before before. New runs it, with
// before = now, before any write can start: then every temporary file is a crash's.
func (e *Engine) sweepTemps(ctx context.Context, before time.Time) int {
	e.gcMu.Lock()
	defer e.gcMu.Unlock()
	temps := 0
	for _, v := range e.spaces.opened() {
		if ts, ok := v.sp.(space.TempSweeper); ok {
			n, err := ts.SweepTemp(ctx, before)
			temps += n
			if err != nil && ctx.Err() == nil {
				e.log.Warn("sweeping temporary files", "space", v.info.ID, "err", err)
			}
		}
	}
	e.stats.tempsCollected.Add(int64(temps))
	return temps
}

// sweepOrphans deletes orphaned shard files older than before from every space.
func (e *Engine) sweepOrphans(ctx context.Context, before time.Time) (int, error) {
	e.gcMu.Lock()
	defer e.gcMu.Unlock()
	orphans := 0
	var errs []error
	for _, v := range e.spaces.opened() {
		if v.health == HealthDown {
			continue
		}
		n, err := e.sweepSpace(ctx, v, before)
		orphans += n
		if err != nil && ctx.Err() == nil {
			e.log.Warn("sweeping orphaned shards", "space", v.info.ID, "err", err)
			errs = append(errs, err)
		}
	}
	e.stats.orphansCollected.Add(int64(orphans))
	return orphans, errors.Join(errs...)
}

// sweepSpace sweeps the shard files of one space, a listing page at a time.
func (e *Engine) sweepSpace(ctx context.Context, v spaceView, before time.Time) (int, error) {
	deleted := 0
	after := ""
	for {
		infos, next, err := v.sp.List(ctx, shardPrefix, after, 1000)
		if err != nil {
			return deleted, err
		}
		orphans, err := e.orphans(ctx, v.info.ID, infos, before)
		if err != nil {
			return deleted, err
		}
		for _, name := range orphans {
			if err := v.sp.Delete(ctx, name); err != nil {
				return deleted, err
			}
			deleted++
		}
		if next == "" {
			return deleted, nil
		}
		after = next
	}
}

// orphans returns the names among infos, listed in space id, that are shard files older than
// before that no record places there: neither the layout of a live blob nor that of a queued
// one names this space for that shard. That covers shards of crashed writes and the stale
// copies repair left behind when it moved a shard. Staging is checked before the index.
func (e *Engine) orphans(ctx context.Context, id SpaceID, infos []space.Info, before time.Time) ([]string, error) {
	type candidate struct {
		name  string
		blob  BlobID
		index int
	}
	var cands []candidate
	for _, info := range infos {
		blob, index, ok := parseShardName(info.Name)
		if ok && info.ModTime.Before(before) && !e.blobs.busy(blob) {
			cands = append(cands, candidate{info.Name, blob, index})
		}
	}
	var out []string
	err := e.kv.View(ctx, func(r kv.Reader) error {
		for _, c := range cands {
			placed := false
			for _, key := range [][]byte{blobKey(c.blob), gcKey(c.blob)} {
				v, err := r.Get(key)
				if errors.Is(err, kv.ErrNotFound) {
					continue
				}
				if err != nil {
					return err
				}
				b, err := decodeBlob(c.blob, v)
				if err != nil {
					return err
				}
				placed = placed || (c.index < len(b.Spaces) && b.Spaces[c.index] == id)
			}
			if !placed {
				out = append(out, c.name)
			}
		}
		return nil
	})
	return out, err
}
