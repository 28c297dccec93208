package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/jointcloud/jcs/loadgen"
)

const benchUsage = `Usage: jcs bench [flags]

Loads a target with fixed-size objects and reports throughput (MiB/s, ops/s), latency
(p50/p90/p99/max) and errors. A progress line is rewritten on stderr every second.

Targets:
  v1    the /v1 API of a running jcs at --endpoint, signed with the root credentials
        (JCS_ACCESS_KEY/JCS_SECRET_KEY, or --data's credentials.json)
  disk  the baseline: the object's bytes x1.5, laid out as 4+2 erasure coding would lay
        them out, written straight to six files under --dir and fsynced

Examples:
  jcs bench --target v1 --op put --size 64MiB --count 20
  jcs bench --target disk --dir /srv/jcs --op get --size 1GiB --count 4 --json

Flags:
`

// benchCommand runs `jcs bench`: one loadgen run against a target, summarised on stdout.
func benchCommand(args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("jcs bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), benchUsage)
		fs.PrintDefaults()
	}
	target := fs.String("target", "v1", "what to load: v1 or disk")
	endpoint := fs.String("endpoint", "http://127.0.0.1:7890", "v1: base URL of the server")
	data := fs.String("data", "./data", "v1: data directory holding credentials.json, if JCS_ACCESS_KEY/JCS_SECRET_KEY are unset")
	dir := fs.String("dir", "", "disk: directory to write under (default: the --data directory, the server's filesystem)")
	op := fs.String("op", "put", "workload: put, get or mixed (get and mixed upload the objects they read first)")
	readFraction := fs.Float64("read-fraction", 0.5, "mixed: fraction of operations that are reads, in [0, 1]")
	size := sizeValue(loadgen.MiB)
	fs.Var(&size, "size", "object size: bytes, or with a unit as in 4KiB, 1MiB, 64MiB, 1GiB")
	concurrency := fs.Int("concurrency", 1, "operations in flight at once")
	duration := fs.Duration("duration", 0, "stop starting operations after this long (default 10s unless --count is set)")
	count := fs.Int64("count", 0, "stop after this many operations, failed ones included")
	asJSON := fs.Bool("json", false, "print the result as JSON, for scripts")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench: unexpected arguments %q", fs.Args())
	}
	if *concurrency < 1 {
		return errors.New("bench: --concurrency must be at least 1")
	}
	if *dir == "" {
		*dir = *data
	}
	t, err := benchTarget(*target, *endpoint, *dir, *data, getenv)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := loadgen.Run(ctx, loadgen.Config{
		Target:       t,
		Workload:     loadgen.Workload(*op),
		ReadFraction: *readFraction,
		Size:         int64(size),
		Concurrency:  *concurrency,
		Duration:     *duration,
		Count:        *count,
		Progress:     stderr,
	})
	if res != nil {
		if perr := printBenchResult(stdout, res, *asJSON); perr != nil {
			return perr
		}
	}
	switch {
	case err != nil:
		return fmt.Errorf("bench: %w", err)
	case res.Errors > 0:
		return fmt.Errorf("bench: %d operations failed", res.Errors)
	}
	return nil
}

// benchTarget builds the named target.
func benchTarget(name, endpoint, dir, data string, getenv func(string) string) (loadgen.Target, error) {
	switch name {
	case "v1":
		c, err := benchCredentials(data, getenv)
		if err != nil {
			return nil, err
		}
		return loadgen.NewV1(loadgen.V1Options{Endpoint: endpoint, AccessKey: c.AccessKeyID, SecretKey: c.SecretAccessKey})
	case "disk":
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("bench: --dir %q is not a directory", dir)
		}
		return loadgen.NewDisk(dir), nil
	}
	return nil, fmt.Errorf("bench: unknown --target %q (want v1 or disk)", name)
}

// benchCredentials returns the root credentials the way the server finds them, but never
// generates new ones: a key pair the server does not know would only fail every request.
func benchCredentials(data string, getenv func(string) string) (credentials, error) {
	c, err := loadCredentials(data, getenv)
	if err != nil {
		return credentials{}, fmt.Errorf("bench: %w; set JCS_ACCESS_KEY and JCS_SECRET_KEY, or point --data at the server's data directory", err)
	}
	return c, nil
}

func printBenchResult(w io.Writer, res *loadgen.Result, asJSON bool) error {
	if !asJSON {
		_, err := fmt.Fprint(w, res)
		return err
	}
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// sizeValue is a flag.Value of a byte count written as loadgen.ParseSize reads it.
type sizeValue int64

func (s *sizeValue) String() string {
	return strings.ReplaceAll(loadgen.FormatSize(int64(*s)), " ", "")
}

func (s *sizeValue) Set(v string) error {
	n, err := loadgen.ParseSize(v)
	if err != nil {
		return err
	}
	*s = sizeValue(n)
	return nil
}
