package loadgen

import (
	"errors"
	"fmt"
	"io"
	"time"
)

// Workload is what a run's operations do.
type Workload string

// The workloads.
const (
	// WorkloadPut uploads a new object per operation.
	WorkloadPut Workload = "put"
	// WorkloadGet downloads, round robin, objects uploaded before the measurement starts.
	WorkloadGet Workload = "get"
	// WorkloadMixed reads (as WorkloadGet) with probability Config.ReadFraction and writes (as
	// WorkloadPut) otherwise.
	WorkloadMixed Workload = "mixed"
)

// DefaultDuration is how long a run lasts when neither Duration nor Count is set.
const DefaultDuration = 10 * time.Second

// DefaultMaxErrors is how many failed operations stop a run when Config.MaxErrors is 0.
const DefaultMaxErrors = 100

// maxErrorSamples is how many error messages a Result keeps.
const maxErrorSamples = 5

// Config describes a run.
type Config struct {
	// Target is the endpoint under load. Required.
	Target Target
	// Workload is put, get or mixed. Required.
	Workload Workload
	// ReadFraction is the probability, in [0, 1], that an operation of WorkloadMixed is a Get.
	ReadFraction float64
	// Size is the size of every object, in bytes.
	Size int64
	// Concurrency is how many operations are in flight at once; 0 means 1.
	Concurrency int
	// Duration stops the run: no operation starts after it has passed, and those in flight
	// complete. Count stops it too; whichever comes first wins. With neither set, the run
	// lasts DefaultDuration.
	Duration time.Duration
	// Count is the number of operations to run; 0 means no limit but Duration.
	Count int64
	// MaxErrors stops the run once that many operations have failed; 0 means
	// DefaultMaxErrors, negative means never.
	MaxErrors int
	// Progress, if not nil, receives a progress line every ProgressInterval, each starting
	// with "\r" to overwrite the one before, and a final newline.
	Progress io.Writer
	// ProgressInterval is how often Progress is written; 0 means one second.
	ProgressInterval time.Duration
	// Seed varies the object contents between runs; runs with the same seed upload the same
	// bytes.
	Seed uint64
	// Verify makes every Get compare the bytes it receives with those that were put, failing
	// the operation at the first difference. Without it a Get checks the length only. It
	// costs the client a memory compare of every byte read.
	Verify bool
}

// withDefaults validates c and returns it with the defaults applied.
func (c Config) withDefaults() (Config, error) {
	switch {
	case c.Target == nil:
		return c, errors.New("loadgen: no target")
	case c.Workload != WorkloadPut && c.Workload != WorkloadGet && c.Workload != WorkloadMixed:
		return c, fmt.Errorf("loadgen: unknown workload %q (want put, get or mixed)", c.Workload)
	case c.ReadFraction < 0 || c.ReadFraction > 1:
		return c, fmt.Errorf("loadgen: read fraction %g is outside [0, 1]", c.ReadFraction)
	case c.Size < 0:
		return c, fmt.Errorf("loadgen: negative object size %d", c.Size)
	case c.Concurrency < 0 || c.Count < 0 || c.Duration < 0:
		return c, errors.New("loadgen: negative concurrency, count or duration")
	}
	if c.Concurrency == 0 {
		c.Concurrency = 1
	}
	if c.Duration == 0 && c.Count == 0 {
		c.Duration = DefaultDuration
	}
	if c.MaxErrors == 0 {
		c.MaxErrors = DefaultMaxErrors
	}
	if c.ProgressInterval == 0 {
		c.ProgressInterval = time.Second
	}
	return c, nil
}

// reads reports whether the workload reads objects, which must then be uploaded first.
func (c *Config) reads() bool {
	return c.Workload == WorkloadGet || c.Workload == WorkloadMixed && c.ReadFraction > 0
}
