package loadgen

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Result is what a run measured.
type Result struct {
	// Target describes the endpoint, if the Target implements fmt.Stringer.
	Target       string
	Workload     Workload
	ReadFraction float64 // of a mixed workload
	Size         int64   // object size, bytes
	Concurrency  int
	// Verified is true if every Get compared the bytes it read with those put (Config.Verify).
	Verified bool
	// Elapsed runs from the first operation's start to the last one's end.
	Elapsed time.Duration
	// Stats covers every successful operation.
	Stats
	// Put and Get break Stats down by kind for a mixed workload; they are nil otherwise.
	Put, Get *Stats
	// Errors counts failed operations; ErrorSamples holds the first few messages.
	Errors       int64
	ErrorSamples []string
	// Stopped says why the run ended before its Duration or Count, or is empty.
	Stopped string
}

// Stats summarise successful operations.
type Stats struct {
	Ops   int64
	Bytes int64 // object bytes moved
	// MiBPerSec and OpsPerSec are over the run's Elapsed time.
	MiBPerSec, OpsPerSec float64
	Latency              Latency
}

// Latency holds percentiles of operation latency, exact by nearest rank. An operation's
// latency runs from the call to the Target to its return, body transfer included.
type Latency struct {
	P50, P90, P99, Max time.Duration
}

// result builds the Result from the workers' samples.
func (r *runner) result(elapsed time.Duration, lat []latencies) *Result {
	var put, get []time.Duration
	for _, l := range lat {
		put = append(put, l.put...)
		get = append(get, l.get...)
	}
	res := &Result{
		Workload:     r.cfg.Workload,
		Size:         r.cfg.Size,
		Concurrency:  r.cfg.Concurrency,
		Verified:     r.cfg.Verify && r.cfg.reads(),
		Elapsed:      elapsed,
		Stats:        stats(slices.Concat(put, get), r.cfg.Size, elapsed),
		Errors:       r.errs.Load(),
		ErrorSamples: r.samples,
	}
	if r.cfg.Workload == WorkloadMixed {
		res.ReadFraction = r.cfg.ReadFraction
		ps, gs := stats(put, r.cfg.Size, elapsed), stats(get, r.cfg.Size, elapsed)
		res.Put, res.Get = &ps, &gs
	}
	if r.stopped.Load() {
		res.Stopped = fmt.Sprintf("stopped after %d failed operations", res.Errors)
	}
	return res
}

func stats(samples []time.Duration, size int64, elapsed time.Duration) Stats {
	s := Stats{Ops: int64(len(samples)), Bytes: int64(len(samples)) * size}
	if sec := elapsed.Seconds(); sec > 0 {
		s.MiBPerSec = float64(s.Bytes) / MiB / sec
		s.OpsPerSec = float64(s.Ops) / sec
	}
	if len(samples) == 0 {
		return s
	}
	slices.Sort(samples)
	s.Latency = Latency{
		P50: percentile(samples, 50),
		P90: percentile(samples, 90),
		P99: percentile(samples, 99),
		Max: samples[len(samples)-1],
	}
	return s
}

// percentile returns the nearest-rank p-th percentile of sorted, which must not be empty: the
// smallest sample that at least p% of the samples do not exceed.
func percentile(sorted []time.Duration, p int) time.Duration {
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 * n)
	return sorted[max(rank, 1)-1]
}

// String renders the result for people, over a few lines.
func (r *Result) String() string {
	var b strings.Builder
	what := string(r.Workload)
	if r.Workload == WorkloadMixed {
		what = fmt.Sprintf("mixed (%.0f%% reads)", 100*r.ReadFraction)
	}
	if r.Target != "" {
		what = r.Target + " " + what
	}
	verified := ""
	if r.Verified {
		verified = ", contents verified"
	}
	fmt.Fprintf(&b, "%s of %s objects, concurrency %d, %d ops in %s%s\n",
		what, FormatSize(r.Size), r.Concurrency, r.Ops, r.Elapsed.Round(time.Millisecond), verified)
	writeStats(&b, "", &r.Stats)
	if r.Put != nil {
		writeStats(&b, "put ", r.Put)
		writeStats(&b, "get ", r.Get)
	}
	fmt.Fprintf(&b, "  errors          %d\n", r.Errors)
	for _, m := range r.ErrorSamples {
		fmt.Fprintf(&b, "    %s\n", m)
	}
	if r.Stopped != "" {
		fmt.Fprintf(&b, "  %s\n", r.Stopped)
	}
	return b.String()
}

func writeStats(b *strings.Builder, kind string, s *Stats) {
	l := s.Latency
	fmt.Fprintf(b, "  %-15s %.1f MiB/s  %.2f ops/s  (%d ops)\n", kind+"throughput", s.MiBPerSec, s.OpsPerSec, s.Ops)
	fmt.Fprintf(b, "  %-15s p50 %s  p90 %s  p99 %s  max %s\n", kind+"latency", ms(l.P50), ms(l.P90), ms(l.P99), ms(l.Max))
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
}

// rate formats bytes moved over elapsed as MiB/s.
func rate(bytes int64, elapsed time.Duration) string {
	if elapsed <= 0 {
		return "0.0 MiB/s"
	}
	return fmt.Sprintf("%.1f MiB/s", float64(bytes)/MiB/elapsed.Seconds())
}

// The JSON form of a Result, for scripts: durations in milliseconds, keys in lowerCamel.
type (
	resultJSON struct {
		Target       string     `json:"target,omitempty"`
		Workload     Workload   `json:"op"`
		ReadFraction float64    `json:"readFraction,omitempty"`
		Size         int64      `json:"size"`
		Concurrency  int        `json:"concurrency"`
		Verified     bool       `json:"verified,omitempty"`
		ElapsedMs    float64    `json:"elapsedMs"`
		Stats        statsJSON  `json:"total"`
		Put          *statsJSON `json:"put,omitempty"`
		Get          *statsJSON `json:"get,omitempty"`
		Errors       int64      `json:"errors"`
		ErrorSamples []string   `json:"errorSamples,omitempty"`
		Stopped      string     `json:"stopped,omitempty"`
	}
	statsJSON struct {
		Ops       int64   `json:"ops"`
		Bytes     int64   `json:"bytes"`
		MiBPerSec float64 `json:"mibPerSec"`
		OpsPerSec float64 `json:"opsPerSec"`
		P50Ms     float64 `json:"p50Ms"`
		P90Ms     float64 `json:"p90Ms"`
		P99Ms     float64 `json:"p99Ms"`
		MaxMs     float64 `json:"maxMs"`
	}
)

// MarshalJSON encodes the result for scripts, with latencies in milliseconds.
func (r *Result) MarshalJSON() ([]byte, error) {
	return json.Marshal(resultJSON{
		Target: r.Target, Workload: r.Workload, ReadFraction: r.ReadFraction, Size: r.Size,
		Concurrency: r.Concurrency, Verified: r.Verified, ElapsedMs: msFloat(r.Elapsed), Stats: toStatsJSON(&r.Stats),
		Put: optStatsJSON(r.Put), Get: optStatsJSON(r.Get),
		Errors: r.Errors, ErrorSamples: r.ErrorSamples, Stopped: r.Stopped,
	})
}

func toStatsJSON(s *Stats) statsJSON {
	return statsJSON{
		Ops: s.Ops, Bytes: s.Bytes, MiBPerSec: s.MiBPerSec, OpsPerSec: s.OpsPerSec,
		P50Ms: msFloat(s.Latency.P50), P90Ms: msFloat(s.Latency.P90),
		P99Ms: msFloat(s.Latency.P99), MaxMs: msFloat(s.Latency.Max),
	}
}

func optStatsJSON(s *Stats) *statsJSON {
	if s == nil {
		return nil
	}
	j := toStatsJSON(s)
	return &j
}

func msFloat(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
