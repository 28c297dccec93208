package engine

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jointcloud/jcs/engine/space"
)

// probeLoop probes every user space every ProbeInterval until ctx ends.
func (e *Engine) probeLoop(ctx context.Context) {
	if e.opts.ProbeInterval <= 0 {
		return
	}
	t := time.NewTicker(e.opts.ProbeInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			e.ProbeSpaces(ctx)
		}
	}
}

// ProbeSpaces probes every user space now and waits: a space that works is brought up, one
// that fails is taken down, and one that is down and still fails, or was never opened, is
// opened afresh, so that a directory that was remounted or recreated is used again. A space
// that comes back prompts a repair pass: it may have come back empty.
func (e *Engine) ProbeSpaces(ctx context.Context) {
	// One round at a time: two rounds reopening the same space would each install a handle
	// and retire the other's.
	e.probeMu.Lock()
	defer e.probeMu.Unlock()
	var wg sync.WaitGroup
	for _, v := range e.spaces.views(e.now()) {
		wg.Go(func() { e.probeOne(ctx, v) })
	}
	wg.Wait()
}

func (e *Engine) probeOne(ctx context.Context, v spaceView) {
	id := v.info.ID
	if v.sp != nil {
		err := e.probeTimed(ctx, v.sp)
		if ctx.Err() != nil {
			return
		}
		if v.health != HealthDown || err == nil {
			// A down space whose handle works again (a slow disk that recovered, an
			// endpoint that answers again) keeps its handle: opening a second one would,
			// for a local directory, replay its packs while the first still holds them.
			e.spaces.setHealth(id, err)
			if v.health == HealthDown && err == nil {
				e.log.Info("user space is back", "space", id, "name", v.info.Name)
				e.wakeRepair()
			}
			return
		}
	}
	sp, err := e.opts.OpenSpace(ctx, v.info)
	if err == nil {
		if err = e.probeTimed(ctx, sp); err != nil {
			closeSpace(sp)
		}
	}
	if ctx.Err() != nil {
		return
	}
	if err != nil {
		e.spaces.setHealth(id, err)
		return
	}
	retireSpace(e.spaces.swap(id, sp))
	e.spaces.setHealth(id, nil)
	e.log.Info("user space is back", "space", id, "name", v.info.Name)
	e.wakeRepair()
}

// probeTimed probes a space and fails a probe that succeeded only after slowOp: a space that
// slow stalls every read it serves.
func (e *Engine) probeTimed(ctx context.Context, sp space.Space) error {
	start := time.Now()
	err := e.probe(ctx, sp)
	if elapsed := time.Since(start); err == nil && elapsed > slowOp {
		err = fmt.Errorf("the probe took %v", elapsed.Round(time.Millisecond))
	}
	return err
}

// retireGrace is how long a replaced storage handle stays open for the operations that
// still hold it (a repair pass, a read) before it is closed.
const retireGrace = time.Minute

// retireSpace closes storage that was replaced by a newly opened handle, once the operations
// still using it have had time to finish.
func retireSpace(sp space.Space) {
	if sp != nil {
		time.AfterFunc(retireGrace, func() { closeSpace(sp) })
	}
}
