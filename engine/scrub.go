package engine

import (
	"context"
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"
)

// The scrubber reads every shard of every blob and verifies its checksums, at a bounded rate,
// so that bit rot is found and repaired while the other shards of the blob are still good,
// not when a read needs them. Background passes run every ScrubInterval at ScrubRate bytes
// per second; Scrub runs one now.

// scrubState is the scrubber's bookkeeping.
type scrubState struct {
	mu   sync.Mutex // held by a pass
	wake chan struct{}

	running              atomic.Bool
	passes, blobs, bytes atomic.Int64
	corrupt, missing     atomic.Int64
	progress             atomic.Uint64 // position of the current pass, in 1/65536ths
	lastPass             atomic.Int64
}

// ScrubStatus reports the scrubber's work since the engine started.
type ScrubStatus struct {
	Running bool
	// Progress is how far the current (or last) pass got through the blobs, from 0 to 1.
	Progress float64
	Passes   int64
	LastPass time.Time
	// BlobsVerified and BytesVerified count what passes read; CorruptShards and MissingShards
	// what they found (and handed to repair).
	BlobsVerified, BytesVerified int64
	CorruptShards, MissingShards int64
}

func (e *Engine) scrubStatus() ScrubStatus {
	s := &e.scrub
	st := ScrubStatus{
		Running: s.running.Load(), Progress: float64(s.progress.Load()) / 65536, Passes: s.passes.Load(),
		BlobsVerified: s.blobs.Load(), BytesVerified: s.bytes.Load(),
		CorruptShards: s.corrupt.Load(), MissingShards: s.missing.Load(),
	}
	if ns := s.lastPass.Load(); ns != 0 {
		st.LastPass = time.Unix(0, ns)
	}
	return st
}

// scrubLoop runs a pass every ScrubInterval until ctx ends.
func (e *Engine) scrubLoop(ctx context.Context) {
	if e.opts.ScrubInterval < 0 {
		return
	}
	t := time.NewTicker(e.opts.ScrubInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := e.scrubPass(ctx, e.opts.ScrubRate); err != nil && ctx.Err() == nil {
			e.log.Warn("scrub pass incomplete", "err", err)
		}
	}
}

// ScrubReport says what a scrub pass did.
type ScrubReport struct {
	BlobsVerified, BytesVerified int64
	CorruptShards, MissingShards int64
	// ShardsRebuilt counts the shards repair rebuilt for what the pass found.
	ShardsRebuilt int64
}

// Scrub runs a scrub pass now and waits for it: every shard on every working space is read and
// verified, at most rate bytes per second (0: unbounded), and repair rebuilds what fails.
func (e *Engine) Scrub(ctx context.Context, rate int64) (ScrubReport, error) {
	const op = "engine.Scrub"
	rep, err := e.scrubPass(ctx, rate)
	return rep, wrap(op, err)
}

func (e *Engine) scrubPass(ctx context.Context, rate int64) (ScrubReport, error) {
	s := &e.scrub
	s.mu.Lock()
	defer s.mu.Unlock()
	s.running.Store(true)
	defer s.running.Store(false)
	s.progress.Store(0)
	p := pacer{rate: rate, start: time.Now()}
	var rep ScrubReport
	var after []byte
	for {
		page, err := e.blobPage(ctx, after)
		if err != nil {
			return rep, err
		}
		for i := range page {
			b := &page[i]
			states, err := e.checkBlob(ctx, b, true, func(n int64) {
				rep.BytesVerified += n
				s.bytes.Add(n)
				p.wait(ctx, n)
			})
			if err != nil {
				return rep, err
			}
			rep.BlobsVerified++
			s.blobs.Add(1)
			s.progress.Store(uint64(binary.BigEndian.Uint16(b.ID[:2])))
			bad := false
			for _, st := range states {
				switch st {
				case shardCorrupt:
					rep.CorruptShards++
					s.corrupt.Add(1)
					bad = true
				case shardMissing:
					rep.MissingShards++
					s.missing.Add(1)
					bad = true
				}
			}
			if bad {
				e.log.Warn("scrub found bad shards", "blob", b.ID, "states", states)
				res, err := e.repairBlob(ctx, *b, states)
				rep.ShardsRebuilt += int64(res.rebuilt)
				if err != nil && ctx.Err() == nil {
					e.log.Warn("repairing what scrub found", "blob", b.ID, "err", err)
				}
			}
		}
		if len(page) < inventoryPage {
			s.progress.Store(65536)
			s.passes.Add(1)
			s.lastPass.Store(e.now().UnixNano())
			return rep, nil
		}
		after = append(blobKey(page[len(page)-1].ID), 0)
	}
}

// pacer keeps a stream of reads at rate bytes per second on average.
type pacer struct {
	rate  int64
	start time.Time
	total int64
}

func (p *pacer) wait(ctx context.Context, n int64) {
	p.total += n
	if p.rate <= 0 {
		return
	}
	due := p.start.Add(time.Duration(float64(p.total) / float64(p.rate) * float64(time.Second)))
	if d := time.Until(due); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
		case <-t.C:
		}
	}
}
