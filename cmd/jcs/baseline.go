package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// baselineName is the `jcs bench` subcommand that serves the in-memory S3 baseline.
const baselineName = "baseline-s3mem"

const baselineUsage = `Usage: jcs bench baseline-s3mem [--addr HOST:PORT]

Serves the S3 API from memory: gofakes3 with its s3mem backend, in this process, until SIGINT
or SIGTERM. It is the baseline scripts/perf-s3.sh loads with the same client as jcs's S3 API
(jcs bench --target s3). Once it accepts connections it prints one line on stdout:

  jcs: serving the s3mem baseline on http://HOST:PORT

It has no authentication: it accepts any signature, or none. Requests are path-style. Every
object stays in memory until the process ends, so a long run of puts grows it by every byte
uploaded; restart it between runs.

Flags:
`

// baselineShutdownTimeout bounds how long SIGTERM waits for requests in flight.
const baselineShutdownTimeout = 5 * time.Second

// baselineCommand runs `jcs bench baseline-s3mem` until SIGINT or SIGTERM.
func baselineCommand(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("jcs bench "+baselineName, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), baselineUsage)
		fs.PrintDefaults()
	}
	addr := fs.String("addr", "127.0.0.1:0", "listen address; port 0 picks a free port (the URL printed names it)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench %s: unexpected arguments %q", baselineName, fs.Args())
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serveBaseline(ctx, *addr, stdout, stderr)
}

// serveBaseline serves gofakes3 over s3mem on addr until ctx is done, then shuts down. It
// prints the server's URL on stdout once the listener is open, and gofakes3's errors on
// stderr.
func serveBaseline(ctx context.Context, addr string, stdout, stderr io.Writer) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("bench %s: %w", baselineName, err)
	}
	if ip := ln.Addr().(*net.TCPAddr).IP; !ip.IsLoopback() {
		fmt.Fprintf(stderr, "jcs: warning: the baseline has no authentication and listens on %s, not on loopback\n", ln.Addr())
	}
	faker := gofakes3.New(s3mem.New(), gofakes3.WithLogger(baselineLog{stderr}))
	srv := &http.Server{
		Handler:           faker.Server(),
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          log.New(stderr, "jcs bench "+baselineName+": ", 0),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "jcs: serving the s3mem baseline on http://%s\n", ln.Addr())
	select {
	case err := <-served:
		return fmt.Errorf("bench %s: %w", baselineName, err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), baselineShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close() // requests still in flight at the deadline are cut
	}
	return nil
}

// baselineLog passes gofakes3's error messages to a writer and drops the rest (it logs every
// request at info level).
type baselineLog struct{ w io.Writer }

func (l baselineLog) Print(level gofakes3.LogLevel, v ...any) {
	if level == gofakes3.LogErr {
		fmt.Fprintln(l.w, append([]any{"gofakes3:"}, v...)...)
	}
}
