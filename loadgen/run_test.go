package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// memTarget stores objects in memory. Its hooks, when set, replace Put or Get.
type memTarget struct {
	mu      sync.Mutex
	objects map[string][]byte
	setups  int
	putHook func(ctx context.Context, key string, body io.Reader, size int64) error
	getHook func(ctx context.Context, key string, w io.Writer) error
}

func newMemTarget() *memTarget { return &memTarget{objects: map[string][]byte{}} }

func (m *memTarget) Setup(context.Context) error {
	m.setups++
	return nil
}

func (m *memTarget) Put(ctx context.Context, key string, body io.Reader, size int64) error {
	if m.putHook != nil {
		return m.putHook(ctx, key, body, size)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.objects[key] = b
	return nil
}

func (m *memTarget) Get(ctx context.Context, key string, w io.Writer) error {
	if m.getHook != nil {
		return m.getHook(ctx, key, w)
	}
	m.mu.Lock()
	b, ok := m.objects[key]
	m.mu.Unlock()
	if !ok {
		return errors.New("no such object")
	}
	_, err := w.Write(b)
	return err
}

func (m *memTarget) keys(prefix string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for k := range m.objects {
		if strings.HasPrefix(k, prefix) {
			n++
		}
	}
	return n
}

func TestRunCountsOpsAndBytes(t *testing.T) {
	tests := []struct {
		name             string
		workload         Workload
		readFraction     float64
		wantPuts         int // objects written by measured puts
		wantReadsPrepped int // objects uploaded before measuring
	}{
		{name: "put", workload: WorkloadPut, wantPuts: 7},
		{name: "get", workload: WorkloadGet, wantReadsPrepped: 3},
		{name: "mixed all writes", workload: WorkloadMixed, readFraction: 0, wantPuts: 7},
		{name: "mixed all reads", workload: WorkloadMixed, readFraction: 1, wantReadsPrepped: 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newMemTarget()
			res, err := Run(t.Context(), Config{
				Target: m, Workload: tc.workload, ReadFraction: tc.readFraction,
				Size: 5000, Concurrency: 3, Count: 7,
			})
			require.NoError(t, err)
			require.Equal(t, 1, m.setups)
			require.Zero(t, res.Errors, "errors: %v", res.ErrorSamples)
			require.EqualValues(t, 7, res.Ops)
			require.EqualValues(t, 7*5000, res.Bytes)
			require.Equal(t, tc.wantPuts, m.keys("put/"))
			require.Equal(t, tc.wantReadsPrepped, m.keys("get/"))
			require.Positive(t, res.Latency.Max)
			require.LessOrEqual(t, res.Latency.P50, res.Latency.P90)
			require.LessOrEqual(t, res.Latency.P99, res.Latency.Max)
			if tc.workload == WorkloadMixed {
				require.Equal(t, res.Ops, res.Put.Ops+res.Get.Ops)
			} else {
				require.Nil(t, res.Put)
			}
		})
	}
}

func TestRunMixedDoesBoth(t *testing.T) {
	m := newMemTarget()
	res, err := Run(t.Context(), Config{Target: m, Workload: WorkloadMixed, ReadFraction: 0.5, Size: 100, Concurrency: 2, Count: 200})
	require.NoError(t, err)
	require.EqualValues(t, 200, res.Ops)
	require.Positive(t, res.Put.Ops)
	require.Positive(t, res.Get.Ops)
	require.EqualValues(t, 200*100, res.Put.Bytes+res.Get.Bytes)
	require.EqualValues(t, res.Put.Ops, m.keys("put/"))
}

func TestRunDuration(t *testing.T) {
	res, err := Run(t.Context(), Config{Target: newMemTarget(), Workload: WorkloadPut, Size: 10, Duration: 20 * time.Millisecond})
	require.NoError(t, err)
	require.Positive(t, res.Ops)
	require.Zero(t, res.Errors)
}

func TestRunReportsFailures(t *testing.T) {
	tests := []struct {
		name      string
		workload  Workload
		edit      func(m *memTarget)
		wantError string
	}{
		{
			name:     "put error",
			workload: WorkloadPut,
			edit: func(m *memTarget) {
				m.putHook = func(context.Context, string, io.Reader, int64) error { return errors.New("disk on fire") }
			},
			wantError: "disk on fire",
		},
		{
			name:     "put that does not read the body",
			workload: WorkloadPut,
			edit: func(m *memTarget) {
				m.putHook = func(_ context.Context, _ string, body io.Reader, _ int64) error {
					_, err := io.CopyN(io.Discard, body, 10)
					return err
				}
			},
			wantError: "read 10 of 1000 bytes",
		},
		{
			name:     "get error",
			workload: WorkloadGet,
			edit: func(m *memTarget) {
				m.getHook = func(context.Context, string, io.Writer) error { return errors.New("503 slow down") }
			},
			wantError: "503 slow down",
		},
		{
			name:     "short get",
			workload: WorkloadGet,
			edit: func(m *memTarget) {
				m.getHook = func(_ context.Context, _ string, w io.Writer) error {
					_, err := w.Write(make([]byte, 999))
					return err
				}
			},
			wantError: "got 999 bytes, want 1000",
		},
		{
			name:     "long get",
			workload: WorkloadGet,
			edit: func(m *memTarget) {
				m.getHook = func(_ context.Context, _ string, w io.Writer) error {
					_, err := w.Write(make([]byte, 1001))
					return err
				}
			},
			wantError: "got 1001 bytes, want 1000",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newMemTarget()
			tc.edit(m)
			res, err := Run(t.Context(), Config{Target: m, Workload: tc.workload, Size: 1000, Concurrency: 2, Count: 6})
			require.NoError(t, err)
			require.Zero(t, res.Ops, "a failed operation is not a success")
			require.Zero(t, res.Bytes)
			require.EqualValues(t, 6, res.Errors)
			require.NotEmpty(t, res.ErrorSamples)
			require.LessOrEqual(t, len(res.ErrorSamples), maxErrorSamples)
			require.Contains(t, res.ErrorSamples[0], tc.wantError)
			require.Contains(t, res.String(), tc.wantError)
		})
	}
}

func TestRunStopsAtMaxErrors(t *testing.T) {
	m := newMemTarget()
	m.putHook = func(context.Context, string, io.Reader, int64) error { return errors.New("down") }
	res, err := Run(t.Context(), Config{Target: m, Workload: WorkloadPut, Size: 1, Duration: time.Hour, MaxErrors: 5})
	require.NoError(t, err)
	require.EqualValues(t, 5, res.Errors)
	require.Contains(t, res.Stopped, "5 failed operations")
}

func TestRunPreparationFailure(t *testing.T) {
	m := newMemTarget()
	m.putHook = func(context.Context, string, io.Reader, int64) error { return errors.New("read-only") }
	res, err := Run(t.Context(), Config{Target: m, Workload: WorkloadGet, Size: 1, Count: 1})
	require.ErrorContains(t, err, "read-only")
	require.Nil(t, res)
}

func TestRunInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	m := newMemTarget()
	var n atomic.Int64
	m.putHook = func(ctx context.Context, _ string, body io.Reader, _ int64) error {
		if n.Add(1) == 3 {
			cancel()
			return ctx.Err()
		}
		_, err := io.Copy(io.Discard, body)
		return err
	}
	res, err := Run(ctx, Config{Target: m, Workload: WorkloadPut, Size: 10, Duration: time.Hour})
	require.ErrorIs(t, err, context.Canceled)
	require.EqualValues(t, 2, res.Ops)
	require.Zero(t, res.Errors, "the interrupted operation is not the target's failure")
}

func TestRunConfigErrors(t *testing.T) {
	m := newMemTarget()
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no target", Config{Workload: WorkloadPut}, "no target"},
		{"bad workload", Config{Target: m, Workload: "delete"}, "unknown workload"},
		{"bad fraction", Config{Target: m, Workload: WorkloadMixed, ReadFraction: 1.5}, "read fraction"},
		{"negative size", Config{Target: m, Workload: WorkloadPut, Size: -1}, "negative object size"},
		{"negative count", Config{Target: m, Workload: WorkloadPut, Count: -1}, "negative"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Run(t.Context(), tc.cfg)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// signalWriter collects progress output and closes wrote at the first write.
type signalWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	once  sync.Once
	wrote chan struct{}
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.once.Do(func() { close(w.wrote) })
	return w.buf.Write(p)
}

func TestRunProgress(t *testing.T) {
	w := &signalWriter{wrote: make(chan struct{})}
	m := newMemTarget()
	m.putHook = func(ctx context.Context, _ string, body io.Reader, _ int64) error {
		select { // hold the only operation until a progress line is out
		case <-w.wrote:
		case <-ctx.Done():
			return ctx.Err()
		}
		_, err := io.Copy(io.Discard, body)
		return err
	}
	_, err := Run(t.Context(), Config{Target: m, Workload: WorkloadPut, Size: 10, Count: 1,
		Progress: w, ProgressInterval: time.Millisecond})
	require.NoError(t, err)
	out := w.buf.String()
	require.True(t, strings.HasPrefix(out, "\r"), "%q", out)
	require.True(t, strings.HasSuffix(out, "\n"), "the line is ended once the run is: %q", out)
	require.Contains(t, out, "ops 1  errors 0")
	require.Contains(t, out, "MiB/s")
}

func TestPercentile(t *testing.T) {
	oneToHundred := make([]time.Duration, 100)
	for i := range oneToHundred {
		oneToHundred[i] = time.Duration(i + 1)
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      int
		want   time.Duration
	}{
		{"median of 1..100", oneToHundred, 50, 50},
		{"p90 of 1..100", oneToHundred, 90, 90},
		{"p99 of 1..100", oneToHundred, 99, 99},
		{"p100 is the max", oneToHundred, 100, 100},
		{"p1 of 1..100", oneToHundred, 1, 1},
		{"p0 is the min", oneToHundred, 0, 1},
		{"one sample", []time.Duration{7}, 99, 7},
		{"p1 of three", []time.Duration{1, 2, 3}, 1, 1},
		{"p33 of three: not yet a third", []time.Duration{1, 2, 3}, 33, 1},
		{"p34 of three: past a third", []time.Duration{1, 2, 3}, 34, 2},
		{"median of three", []time.Duration{1, 2, 3}, 50, 2},
		{"p90 of three", []time.Duration{1, 2, 3}, 90, 3},
		{"median of four is the lower middle", []time.Duration{1, 2, 3, 4}, 50, 2},
		{"p99 of ten is the max", []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 99, 10},
		{"p90 of ten", []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 90, 9},
		{"p99 of 1000 skips the top ten", seq(1000), 99, 990},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, percentile(tc.sorted, tc.p))
		})
	}
}

// seq returns 1..n.
func seq(n int) []time.Duration {
	s := make([]time.Duration, n)
	for i := range s {
		s[i] = time.Duration(i + 1)
	}
	return s
}

// stats sorts the samples it is given, in any order, and derives rates from the elapsed time.
func TestStats(t *testing.T) {
	samples := seq(200)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(samples), func(i, j int) { samples[i], samples[j] = samples[j], samples[i] })
	got := stats(samples, 3*MiB, 4*time.Second)
	require.Equal(t, Stats{
		Ops: 200, Bytes: 600 * MiB, MiBPerSec: 150, OpsPerSec: 50,
		Latency: Latency{P50: 100, P90: 180, P99: 198, Max: 200},
	}, got)
	require.Equal(t, Stats{}, stats(nil, MiB, time.Second), "no samples: zeros, no panic")
}

func TestRunVerify(t *testing.T) {
	const size = sourceSize + 5000 // the body wraps around the source buffer
	tests := []struct {
		name    string
		corrupt int64 // byte to change on the way back; -1 for none
		verify  bool
		want    string
	}{
		{name: "intact, verified", corrupt: -1, verify: true},
		{name: "changed, not verified", corrupt: 3, verify: false},
		{name: "changed, verified", corrupt: 3, verify: true, want: ": loadgen: byte 3 of the object differs from what was put"},
		{name: "changed after the wrap, verified", corrupt: sourceSize + 10, verify: true, want: fmt.Sprintf("byte %d of the object differs", sourceSize+10)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := newMemTarget()
			m.getHook = func(_ context.Context, key string, w io.Writer) error {
				m.mu.Lock()
				b := bytes.Clone(m.objects[key])
				m.mu.Unlock()
				if tc.corrupt >= 0 {
					b[tc.corrupt] ^= 1
				}
				// Write in odd-sized pieces, as a network read would.
				for len(b) > 0 {
					n := min(len(b), 100_003)
					if _, err := w.Write(b[:n]); err != nil {
						return err
					}
					b = b[n:]
				}
				return nil
			}
			res, err := Run(t.Context(), Config{Target: m, Workload: WorkloadGet, Size: size, Concurrency: 2, Count: 2, Verify: tc.verify})
			require.NoError(t, err)
			if tc.want == "" {
				require.Zero(t, res.Errors, "errors: %v", res.ErrorSamples)
				require.EqualValues(t, 2, res.Ops)
				require.Equal(t, tc.verify, res.Verified)
				return
			}
			require.EqualValues(t, 2, res.Errors)
			require.Contains(t, res.ErrorSamples[0], tc.want)
		})
	}
}

func TestResultJSON(t *testing.T) {
	res := &Result{Target: "disk /x", Workload: WorkloadPut, Size: MiB, Concurrency: 1, Elapsed: 2 * time.Second,
		Stats: Stats{Ops: 4, Bytes: 4 * MiB, MiBPerSec: 2, OpsPerSec: 2, Latency: Latency{P50: 1500 * time.Microsecond}}}
	b, err := json.Marshal(res)
	require.NoError(t, err)
	var got map[string]any
	require.NoError(t, json.Unmarshal(b, &got))
	require.Equal(t, "put", got["op"])
	require.InDelta(t, 2000, got["elapsedMs"], 1e-9)
	total := got["total"].(map[string]any)
	require.InDelta(t, 2, total["mibPerSec"], 1e-9)
	require.InDelta(t, 1.5, total["p50Ms"], 1e-9)
	require.NotContains(t, got, "put", "per-kind stats only for mixed")
}
