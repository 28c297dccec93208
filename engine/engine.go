package engine

import (
	"context"
	"crypto/cipher"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jointcloud/jcs/erasure"
	"github.com/jointcloud/jcs/kv"
)

// Engine is the storage engine behind every front end: it owns the index, the user spaces,
// and the write, read, repair and collection of object data. All methods are safe for
// concurrent use; every method takes a context first and returns errors of type *Error.
type Engine struct {
	opts  Options
	kv    *kv.Store
	log   *slog.Logger
	start time.Time // when New ran; the startup sweep collects what is older

	seqBucket, seqPackage, seqObject, seqSpace, seqUser *kv.Sequence
	seal                                                func() (cipher.AEAD, error) // seals secrets in the index

	spaces   spaceSet
	probeMu  sync.Mutex // held by a round of probes
	repair   repairState
	scrub    scrubState
	deferred deferState
	codecs   sync.Map // codecKey -> *erasure.Codec
	blobs    blobTracker
	stats    counters

	gcWake chan struct{} // prompts the collector; buffered, so prompts coalesce
	stop   context.CancelFunc
	bg     sync.WaitGroup

	// gcMu serializes collection passes (the background loop's and CollectGarbage's), so that
	// two passes never handle the same queued blob or orphan and count it twice.
	gcMu sync.Mutex
}

// New opens an engine over the index and user spaces in o, starts background collection and
// returns. The caller must Close it.
func New(ctx context.Context, o Options) (*Engine, error) {
	o.EnsureDefaults()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	e := &Engine{
		opts:   o,
		kv:     o.Store,
		log:    o.Logger,
		start:  o.Now(),
		gcWake: make(chan struct{}, 1),
	}
	e.repair.wake = make(chan struct{}, 1)
	e.repair.queueWake = make(chan struct{}, 1)
	e.scrub.wake = make(chan struct{}, 1)
	e.deferred.wake = make(chan struct{}, 1)
	e.seqBucket = e.kv.Sequence(kv.Key(kv.PrefixSequence).String("bucket"), 0)
	e.seqPackage = e.kv.Sequence(kv.Key(kv.PrefixSequence).String("package"), 0)
	e.seqObject = e.kv.Sequence(kv.Key(kv.PrefixSequence).String("object"), 0)
	e.seqSpace = e.kv.Sequence(kv.Key(kv.PrefixSequence).String("userSpace"), 0)
	e.seqUser = e.kv.Sequence(kv.Key(kv.PrefixSequence).String("user"), 0)
	e.seal = sync.OnceValues(func() (cipher.AEAD, error) { return newSeal(o.SealKey) })
	e.spaces.onDown = func(us UserSpace, why string) {
		e.log.Warn("user space is down: it takes no new shards and is read only when nothing else will do",
			"space", us.ID, "name", us.Name, "err", why)
	}
	if err := e.openSpaces(ctx); err != nil {
		return nil, fmt.Errorf("engine: opening user spaces: %w", err)
	}
	if n := e.sweepTemps(ctx, e.now()); n > 0 {
		e.log.Info("swept temporary files of interrupted writes", "tempFiles", n)
	}
	if err := e.countDeferred(ctx); err != nil {
		return nil, fmt.Errorf("engine: counting deferred blobs: %w", err)
	}
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	e.stop = stop
	e.bg.Go(func() { e.collectLoop(bg) })
	e.bg.Go(func() { e.probeLoop(bg) })
	e.bg.Go(func() { e.repairLoop(bg) })
	e.bg.Go(func() { e.scrubLoop(bg) })
	e.bg.Go(func() { e.placeLoop(bg) })
	return e, nil
}

// Close stops background work, waits for it and closes the user spaces' storage, which makes
// their pending deletions durable. It does not close the index; uploads and downloads still
// running fail.
func (e *Engine) Close() error {
	e.stop()
	e.bg.Wait()
	for _, v := range e.spaces.opened() {
		closeSpace(v.sp)
	}
	return nil
}

func (e *Engine) now() time.Time { return e.opts.Now() }

type codecKey struct{ k, m, chunk int }

// codec returns the shared Codec for the given parameters.
func (e *Engine) codec(k, m, chunk int) (*erasure.Codec, error) {
	key := codecKey{k, m, chunk}
	if c, ok := e.codecs.Load(key); ok {
		return c.(*erasure.Codec), nil
	}
	c, err := erasure.New(k, m, chunk)
	if err != nil {
		return nil, err
	}
	actual, _ := e.codecs.LoadOrStore(key, c)
	return actual.(*erasure.Codec), nil
}
