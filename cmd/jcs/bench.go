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
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/jointcloud/jcs/loadgen"
)

const benchUsage = `Usage: jcs bench [flags]
       jcs bench baseline-s3mem [--addr HOST:PORT]

Loads a target with fixed-size objects and reports throughput (MiB/s, ops/s), latency
(p50/p90/p99/max) and errors. A progress line is rewritten on stderr every second.

Targets:
  v1    the /v1 API of a running jcs at --endpoint (default http://127.0.0.1:7890), signed
        with the root credentials (JCS_ACCESS_KEY/JCS_SECRET_KEY, or --data's
        credentials.json)
  s3    any S3 server at --endpoint (default http://127.0.0.1:7891, jcs's S3 API): one
        PutObject or GetObject per operation, path-style, in --bucket (created if missing).
        Requests are signed with SigV4 for service s3 and --region, with the first key pair
        found: --access-key/--secret-key, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (and
        AWS_SESSION_TOKEN), JCS_ACCESS_KEY/JCS_SECRET_KEY, --data's credentials.json; with
        none, they are sent unsigned. Bodies are not hashed: every request declares
        X-Amz-Content-Sha256: UNSIGNED-PAYLOAD, so the client spends no CPU on SHA-256.
  disk  the baseline: the object's bytes x1.5, laid out as 4+2 erasure coding would lay
        them out, written straight to six files under --dir and fsynced

"jcs bench baseline-s3mem" serves an in-memory S3 server (gofakes3 with its s3mem backend,
no authentication) until killed, and prints its URL once it is ready: the baseline to load
with --target s3 on the same machine. "jcs bench baseline-s3mem -h" lists its flags.

Examples:
  jcs bench --target v1 --op put --size 64MiB --count 20
  jcs bench --target s3 --endpoint http://127.0.0.1:7891 --bucket bench --op get --size 1MiB --concurrency 8 --duration 10s
  jcs bench --target disk --dir /srv/jcs --op get --size 1GiB --count 4 --json

Flags:
`

// benchFlags are the flags of `jcs bench`.
type benchFlags struct {
	target, endpoint, data, dir string
	bucket, prefix, region      string
	accessKey, secretKey        string
	op                          string
	readFraction                float64
	size                        sizeValue
	concurrency                 int
	duration                    time.Duration
	count                       int64
	verify, asJSON              bool
}

func (f *benchFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.target, "target", "v1", "what to load: v1, s3 or disk")
	fs.StringVar(&f.endpoint, "endpoint", "", "v1, s3: base URL of the server (default http://127.0.0.1:7890 for v1, http://127.0.0.1:7891 for s3)")
	fs.StringVar(&f.data, "data", "./data", "v1, s3: data directory holding credentials.json, if no key pair is set otherwise")
	fs.StringVar(&f.dir, "dir", "", "disk: directory to write under (default: the --data directory, the server's filesystem)")
	fs.StringVar(&f.bucket, "bucket", "jcs-bench", "s3: bucket to use, created if missing")
	fs.StringVar(&f.prefix, "prefix", "", `s3: prefix of every object key, e.g. "bench/"`)
	fs.StringVar(&f.region, "region", loadgen.DefaultS3Region, "s3: SigV4 signing region")
	fs.StringVar(&f.accessKey, "access-key", "", "v1, s3: access key ID to sign with (overrides the environment)")
	fs.StringVar(&f.secretKey, "secret-key", "", "v1, s3: secret key to sign with; visible to other users in the process list, so prefer the environment")
	fs.StringVar(&f.op, "op", "put", "workload: put, get or mixed (get and mixed upload the objects they read first)")
	fs.Float64Var(&f.readFraction, "read-fraction", 0.5, "mixed: fraction of operations that are reads, in [0, 1]")
	f.size = sizeValue(loadgen.MiB)
	fs.Var(&f.size, "size", "object size: bytes, or with a unit as in 4KiB, 1MiB, 64MiB, 1GiB")
	fs.IntVar(&f.concurrency, "concurrency", 1, "operations in flight at once (and, for v1 and s3, connections kept open)")
	fs.DurationVar(&f.duration, "duration", 0, "stop starting operations after this long (default 10s unless --count is set)")
	fs.Int64Var(&f.count, "count", 0, "stop after this many operations, failed ones included")
	fs.BoolVar(&f.verify, "verify", false, "get, mixed: compare every byte read with what was put (costs the client a memory compare per byte), not only the length")
	fs.BoolVar(&f.asJSON, "json", false, "print the result as JSON, for scripts")
}

// benchCommand runs `jcs bench`: one loadgen run against a target, summarised on stdout, or
// the in-memory S3 baseline server.
func benchCommand(args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) > 0 && args[0] == baselineName {
		return baselineCommand(args[1:], stdout, stderr)
	}
	fs := flag.NewFlagSet("jcs bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), benchUsage)
		fs.PrintDefaults()
	}
	var f benchFlags
	f.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench: unexpected arguments %q", fs.Args())
	}
	if f.concurrency < 1 {
		return errors.New("bench: --concurrency must be at least 1")
	}
	if f.dir == "" {
		f.dir = f.data
	}
	t, err := benchTarget(&f, getenv, stderr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := loadgen.Run(ctx, loadgen.Config{
		Target:       t,
		Workload:     loadgen.Workload(f.op),
		ReadFraction: f.readFraction,
		Size:         int64(f.size),
		Concurrency:  f.concurrency,
		Duration:     f.duration,
		Count:        f.count,
		Verify:       f.verify,
		Progress:     stderr,
	})
	if res != nil {
		if perr := printBenchResult(stdout, res, f.asJSON); perr != nil {
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

// benchTarget builds the target the flags name. Notes (which credentials sign) go to stderr.
func benchTarget(f *benchFlags, getenv func(string) string, stderr io.Writer) (loadgen.Target, error) {
	switch f.target {
	case "v1":
		c, err := v1Credentials(f, getenv)
		if err != nil {
			return nil, err
		}
		return loadgen.NewV1(loadgen.V1Options{Endpoint: orDefault(f.endpoint, "http://127.0.0.1:7890"), AccessKey: c.AccessKeyID, SecretKey: c.SecretAccessKey})
	case "s3":
		c, err := s3Credentials(f, getenv)
		if err != nil {
			return nil, err
		}
		if c.source == "" {
			fmt.Fprintln(stderr, "bench: no credentials found: sending unsigned requests")
		} else {
			fmt.Fprintf(stderr, "bench: signing as %s (from %s)\n", c.accessKey, c.source)
		}
		t, err := loadgen.NewS3(loadgen.S3Options{
			Endpoint: orDefault(f.endpoint, "http://127.0.0.1:7891"), Bucket: f.bucket, Prefix: f.prefix, Region: f.region,
			AccessKey: c.accessKey, SecretKey: c.secretKey, SessionToken: c.sessionToken, Conns: f.concurrency,
		})
		if err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
		return t, nil
	case "disk":
		if st, err := os.Stat(f.dir); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("bench: --dir %q is not a directory", f.dir)
		}
		return loadgen.NewDisk(f.dir), nil
	}
	return nil, fmt.Errorf("bench: unknown --target %q (want v1, s3 or disk)", f.target)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// v1Credentials returns the key pair of the flags, if given, or else the root credentials the
// way the server finds them, but never generates new ones: a key pair the server does not
// know would only fail every request.
func v1Credentials(f *benchFlags, getenv func(string) string) (credentials, error) {
	if c, ok, err := flagCredentials(f); ok || err != nil {
		return c, err
	}
	c, err := loadCredentials(f.data, getenv)
	if err != nil {
		return credentials{}, fmt.Errorf("bench: %w; set JCS_ACCESS_KEY and JCS_SECRET_KEY, or point --data at the server's data directory", err)
	}
	return c, nil
}

// flagCredentials returns the pair of --access-key and --secret-key, if both are set.
func flagCredentials(f *benchFlags) (credentials, bool, error) {
	switch {
	case f.accessKey != "" && f.secretKey != "":
		return credentials{f.accessKey, f.secretKey}, true, nil
	case f.accessKey != "" || f.secretKey != "":
		return credentials{}, false, errors.New("bench: set both --access-key and --secret-key, or neither")
	}
	return credentials{}, false, nil
}

// s3Creds is the key pair the s3 target signs with, and where it was found ("" if nowhere).
type s3Creds struct {
	accessKey, secretKey, sessionToken string
	source                             string
}

// s3Credentials returns the first key pair found among the flags, AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY (with AWS_SESSION_TOKEN), and jcs's root credentials
// (JCS_ACCESS_KEY/JCS_SECRET_KEY, then --data's credentials.json), or none. Half a pair
// anywhere is an error rather than a reason to look further.
func s3Credentials(f *benchFlags, getenv func(string) string) (s3Creds, error) {
	if c, ok, err := flagCredentials(f); ok || err != nil {
		return s3Creds{accessKey: c.AccessKeyID, secretKey: c.SecretAccessKey, source: "--access-key"}, err
	}
	ak, sk := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
	switch {
	case ak != "" && sk != "":
		return s3Creds{accessKey: ak, secretKey: sk, sessionToken: getenv("AWS_SESSION_TOKEN"), source: "AWS_ACCESS_KEY_ID"}, nil
	case ak != "" || sk != "":
		return s3Creds{}, errors.New("bench: set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither")
	}
	c, err := loadCredentials(f.data, getenv)
	switch {
	case errors.Is(err, errNoCredentials):
		return s3Creds{}, nil
	case err != nil:
		return s3Creds{}, fmt.Errorf("bench: %w", err)
	}
	source := "JCS_ACCESS_KEY"
	if getenv("JCS_ACCESS_KEY") == "" {
		source = filepath.Join(f.data, credentialsFile)
	}
	return s3Creds{accessKey: c.AccessKeyID, secretKey: c.SecretAccessKey, source: source}, nil
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
