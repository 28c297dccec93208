package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Run sets up cfg.Target, uploads the objects a read workload needs, then runs the workload and
// returns what it measured. Failed operations are counted in the Result, not returned: Run
// returns an error only if the run could not be made (bad Config, Setup or preparation failed),
// or, with the partial Result, if ctx was cancelled while measuring.
//
// With Count set, every operation started counts against it, failed ones included.
func Run(ctx context.Context, cfg Config) (_ *Result, err error) {
	cfg, err = cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if c, ok := cfg.Target.(io.Closer); ok {
		defer func() {
			if cerr := c.Close(); cerr != nil && err == nil {
				err = fmt.Errorf("loadgen: closing the target: %w", cerr)
			}
		}()
	}
	if err := cfg.Target.Setup(ctx); err != nil {
		return nil, fmt.Errorf("loadgen: setting up the target: %w", err)
	}
	r := &runner{cfg: cfg, src: newSource(cfg.Seed)}
	if cfg.reads() {
		if err := r.prepare(ctx); err != nil {
			return nil, err
		}
	}
	res := r.measure(ctx)
	if fs, ok := cfg.Target.(fmt.Stringer); ok {
		res.Target = fs.String()
	}
	return res, ctx.Err()
}

// runner holds the state of one run, shared by its workers.
type runner struct {
	cfg      Config
	src      *source
	readKeys []string
	// readSeeds are the content seeds of readKeys' objects, for Config.Verify.
	readSeeds []uint64

	live     atomic.Int64 // body bytes streamed in the current phase, for progress
	ops      atomic.Int64 // successful operations
	errs     atomic.Int64 // failed operations
	claimed  atomic.Int64 // operations started, against Count
	readNext atomic.Uint64
	seq      atomic.Uint64 // seeds object contents
	stopped  atomic.Bool   // MaxErrors reached
	deadline time.Time     // zero: no Duration

	mu      sync.Mutex
	samples []string // first error messages
}

// prepare uploads one object per worker for the reads to read, not measured.
func (r *runner) prepare(ctx context.Context) error {
	n := r.cfg.Concurrency
	r.readKeys = make([]string, n)
	r.readSeeds = make([]uint64, n)
	for i := range n {
		r.readKeys[i] = fmt.Sprintf("get/%d", i)
		r.readSeeds[i] = r.nextSeed()
	}
	var done atomic.Int64
	start := time.Now()
	p := startProgress(r.cfg.Progress, r.cfg.ProgressInterval, func() string {
		return fmt.Sprintf("preparing: %d/%d objects uploaded, %s", done.Load(), n, rate(r.live.Load(), time.Since(start)))
	})
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, key := range r.readKeys {
		wg.Go(func() {
			if errs[i] = r.put(ctx, key, r.readSeeds[i]); errs[i] == nil {
				done.Add(1)
			}
		})
	}
	wg.Wait()
	p.stop()
	r.live.Store(0)
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("loadgen: uploading the objects to read: %w", err)
	}
	return nil
}

// measure runs the workload from Concurrency workers and collects their samples.
func (r *runner) measure(ctx context.Context) *Result {
	start := time.Now()
	if r.cfg.Duration > 0 {
		r.deadline = start.Add(r.cfg.Duration)
	}
	p := startProgress(r.cfg.Progress, r.cfg.ProgressInterval, func() string {
		el := time.Since(start)
		return fmt.Sprintf("%6.1fs  ops %d  errors %d  %s", el.Seconds(), r.ops.Load(), r.errs.Load(), rate(r.live.Load(), el))
	})
	lat := make([]latencies, r.cfg.Concurrency)
	var wg sync.WaitGroup
	for i := range lat {
		wg.Go(func() { r.worker(ctx, i, &lat[i]) })
	}
	wg.Wait()
	elapsed := time.Since(start)
	p.stop()
	return r.result(elapsed, lat)
}

// latencies are one worker's samples of successful operations, by kind.
type latencies struct {
	put, get []time.Duration
}

// worker runs operations until the run stops.
func (r *runner) worker(ctx context.Context, id int, lat *latencies) {
	rng := rand.New(rand.NewPCG(r.cfg.Seed, uint64(id)))
	for seq := 0; r.next(ctx); seq++ {
		read := r.cfg.Workload == WorkloadGet ||
			r.cfg.Workload == WorkloadMixed && rng.Float64() < r.cfg.ReadFraction
		start := time.Now()
		var err error
		if read {
			err = r.get(ctx, int(r.readNext.Add(1)%uint64(len(r.readKeys))))
		} else {
			err = r.put(ctx, fmt.Sprintf("put/%d/%d", id, seq), r.nextSeed())
		}
		d := time.Since(start)
		switch {
		case err != nil && ctx.Err() != nil:
			return // interrupted: not the target's failure
		case err != nil:
			r.fail(err)
		case read:
			r.ops.Add(1)
			lat.get = append(lat.get, d)
		default:
			r.ops.Add(1)
			lat.put = append(lat.put, d)
		}
	}
}

// next reports whether another operation may start, claiming it against Count.
func (r *runner) next(ctx context.Context) bool {
	switch {
	case ctx.Err() != nil, r.stopped.Load():
		return false
	case !r.deadline.IsZero() && !time.Now().Before(r.deadline):
		return false
	case r.cfg.Count > 0 && r.claimed.Add(1) > r.cfg.Count:
		return false
	}
	return true
}

// nextSeed returns the content seed of a new object: different for every object of a run.
func (r *runner) nextSeed() uint64 { return splitmix(r.cfg.Seed + r.seq.Add(1)) }

// put uploads a body of Size bytes with the given content seed under key and checks that the
// target consumed it all.
func (r *runner) put(ctx context.Context, key string, seed uint64) error {
	b := r.src.body(seed, r.cfg.Size, &r.live)
	if err := r.cfg.Target.Put(ctx, key, b, r.cfg.Size); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	if b.left != 0 {
		return fmt.Errorf("put %s: the target reported success having read %d of %d bytes", key, r.cfg.Size-b.left, r.cfg.Size)
	}
	return nil
}

// get downloads readKeys[i] and checks that the target delivered exactly Size bytes and, with
// Config.Verify, the bytes that were put.
func (r *runner) get(ctx context.Context, i int) error {
	key := r.readKeys[i]
	c := &counter{live: &r.live}
	var w io.Writer = c
	if r.cfg.Verify {
		w = &checker{counter: c, want: r.src.body(r.readSeeds[i], r.cfg.Size, new(atomic.Int64))}
	}
	if err := r.cfg.Target.Get(ctx, key, w); err != nil {
		return fmt.Errorf("get %s: %w", key, err)
	}
	if c.n != r.cfg.Size {
		return fmt.Errorf("get %s: got %d bytes, want %d", key, c.n, r.cfg.Size)
	}
	return nil
}

// fail records a failed operation and stops the run at MaxErrors.
func (r *runner) fail(err error) {
	n := r.errs.Add(1)
	if r.cfg.MaxErrors > 0 && n >= int64(r.cfg.MaxErrors) {
		r.stopped.Store(true)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.samples) < maxErrorSamples {
		r.samples = append(r.samples, err.Error())
	}
}

// splitmix is SplitMix64's finaliser: it spreads consecutive seeds over the whole range.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}
