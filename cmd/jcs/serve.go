package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jointcloud/jcs/engine"
	"github.com/jointcloud/jcs/kv"
	"github.com/jointcloud/jcs/monitoring"
	"github.com/jointcloud/jcs/nativeapi"
	"github.com/jointcloud/jcs/s3compat"
	"github.com/jointcloud/jcs/sigv4"
)

// shutdownTimeout bounds how long SIGTERM waits for in-flight requests.
const shutdownTimeout = 30 * time.Second

// serveCommand runs `jcs serve` until SIGINT or SIGTERM.
func serveCommand(args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	log, err := newLogger(cfg, stderr)
	if err != nil {
		return err
	}
	setProcs(getenv)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	s, err := startServer(ctx, cfg, log, stdout, getenv)
	if err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		log.Info("shutting down: draining in-flight requests", "timeout", shutdownTimeout)
	case err := <-s.serveErr:
		log.Error("HTTP server failed", "err", err)
	}
	return s.shutdown()
}

// procsPerCPU is how many Go Ps (GOMAXPROCS) serve runs per CPU the runtime would use.
const procsPerCPU = 4

// setProcs raises GOMAXPROCS to procsPerCPU per CPU, unless the environment sets it. A write
// spends much of its time in blocking system calls (fdatasync, O_DIRECT writes), and a P held
// by a goroutine in one passes to another goroutine only when the runtime's monitor notices,
// 20 µs to 10 ms later: with one P per CPU, runnable goroutines then wait while a CPU idles
// in I/O wait. On the 2-CPU test VM, 8 Ps gave 1 MiB PUTs 14-17% more throughput and 64 MiB
// PUTs 30-40% (docs/PERFORMANCE.md).
func setProcs(getenv func(string) string) {
	if getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(procsPerCPU * runtime.GOMAXPROCS(0))
	}
}

// server is a running jcs: index, engine and listeners.
type server struct {
	log      *slog.Logger
	store    *kv.Store
	eng      *engine.Engine
	http     *http.Server
	s3       *http.Server
	debug    *http.Server // the profiler, if --debug-addr is set
	ready    atomic.Bool
	serveErr chan error
}

// startServer opens everything under cfg.Data and starts serving; the returned server is
// ready (GET /healthz answers 200) once startServer returns.
func startServer(ctx context.Context, cfg *config, log *slog.Logger, stdout io.Writer, getenv func(string) string) (_ *server, err error) {
	if err := os.MkdirAll(cfg.Data, 0o755); err != nil {
		return nil, err
	}
	s := &server{log: log, serveErr: make(chan error, 1)}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	if s.store, err = kv.Open(filepath.Join(cfg.Data, "meta"), &kv.Options{Logger: log}); err != nil {
		return nil, fmt.Errorf("opening the index: %w", err)
	}
	seal, err := sealKey(cfg.Data)
	if err != nil {
		return nil, err
	}
	eo := engine.Options{
		Store: s.store, OpenSpace: openSpace, OpenFiles: openFiles, Logger: log, SealKey: seal,
		DataShards: cfg.DataShards, ParityShards: cfg.ParityShards,
		ChunkSize: cfg.ChunkSize, SmallObjectSize: cfg.SmallObjectSize, DeferMax: deferMax(cfg),
		ProbeInterval: cfg.ProbeInterval, RepairAfter: cfg.RepairAfter, RepairInterval: cfg.RepairInterval,
		ScrubInterval: cfg.ScrubInterval, ScrubRate: cfg.ScrubRate, UploadExpiry: cfg.UploadExpiry,
	}
	if s.eng, err = engine.New(ctx, eo); err != nil {
		return nil, err
	}
	spaces, err := ensureDefaultSpaces(ctx, s.eng, cfg.Data, cfg.DefaultSpaces)
	if err != nil {
		return nil, fmt.Errorf("creating the default user spaces: %w", err)
	}
	if need := cfg.DataShards + cfg.ParityShards; len(spaces) < need {
		log.Warn("fewer user spaces than erasure coding needs: uploads larger than the small-object size will fail",
			"spaces", len(spaces), "need", need)
	}
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		return nil, errors.New("--tls-cert and --tls-key go together")
	}
	api, s3h, err := s.handlers(cfg, stdout, getenv)
	if err != nil {
		return nil, err
	}
	apiAddr, err := s.listen(cfg, &s.http, cfg.APIAddr, api)
	if err != nil {
		return nil, err
	}
	s3Addr, err := s.listen(cfg, &s.s3, cfg.S3Addr, s3h)
	if err != nil {
		return nil, err
	}
	if cfg.DebugAddr != "" {
		if err := s.serveDebug(cfg.DebugAddr); err != nil {
			return nil, err
		}
	}
	s.ready.Store(true)
	scheme := "http"
	if cfg.TLSCert != "" {
		scheme = "https"
	}
	fmt.Fprintf(stdout, "jcs: serving the /v1 API on %s://%s\n", scheme, apiAddr)
	fmt.Fprintf(stdout, "jcs: serving the S3 API on %s://%s\n", scheme, s3Addr)
	log.Info("ready", "api", apiAddr, "s3", s3Addr, "data", cfg.Data, "spaces", len(spaces), "auth", !cfg.NoAuth, "tls", cfg.TLSCert != "",
		"procs", runtime.GOMAXPROCS(0))
	return s, nil
}

// listen serves h on addr in a new server stored in *srv, over TLS if configured, and returns
// the address it listens on.
func (s *server) listen(cfg *config, srv **http.Server, addr string, h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	*srv = &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	hs := *srv
	go func() {
		var err error
		if cfg.TLSCert != "" {
			err = hs.ServeTLS(ln, cfg.TLSCert, cfg.TLSKey)
		} else {
			err = hs.Serve(ln)
		}
		if !errors.Is(err, http.ErrServerClosed) {
			select {
			case s.serveErr <- err:
			default:
			}
		}
	}()
	return ln.Addr().String(), nil
}

// handlers wires the front ends: /v1 (with /admin/v1), /metrics and /healthz onto the API
// listener's mux, and the S3 handler, which is served alone because a mux would clean the
// paths that S3 keys need verbatim.
func (s *server) handlers(cfg *config, stdout io.Writer, getenv func(string) string) (http.Handler, http.Handler, error) {
	opts := nativeapi.Options{NoAuth: cfg.NoAuth, Logger: s.log}
	s3opts := s3compat.Options{NoAuth: cfg.NoAuth, Logger: s.log}
	if cfg.NoAuth {
		s.log.Warn("authentication is OFF (--no-auth): anyone who can reach the API can read and write everything")
	} else {
		c, err := rootCredentials(cfg.Data, getenv, stdout)
		if err != nil {
			return nil, nil, err
		}
		root := sigv4.StaticCredentials{c.AccessKeyID: c.SecretAccessKey}
		opts.Credentials, s3opts.Root = root, root
	}
	api, err := nativeapi.New(s.eng, opts)
	if err != nil {
		return nil, nil, err
	}
	s3h, err := s3compat.New(s.eng, s3opts)
	if err != nil {
		return nil, nil, err
	}
	reg := monitoring.New(monitoring.Sources{Engine: s.eng.Metrics, KV: s.store.Metrics})
	mux := http.NewServeMux()
	mux.Handle("/", reg.Instrument("native", api, api.Operation))
	mux.Handle("GET /metrics", reg.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		if !s.ready.Load() {
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok\n")
	})
	return mux, reg.Instrument("s3", s3h, s3h.Operation), nil
}

// serveDebug serves the Go profiler on its own listener, apart from the API: it is
// unauthenticated and meant for loopback only.
func (s *server) serveDebug(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--debug-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	s.debug = &http.Server{Handler: mux, ReadHeaderTimeout: 30 * time.Second}
	go s.debug.Serve(ln)
	s.log.Warn("serving Go profiles without authentication", "debug", ln.Addr().String())
	return nil
}

// shutdown stops accepting requests, waits up to shutdownTimeout for those in flight, then
// closes the engine and the index cleanly. Requests still running at the deadline are cut off
// (and logged); they commit nothing they had not committed, so the stop is still clean.
func (s *server) shutdown() error {
	s.ready.Store(false)
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if s.debug != nil {
		s.debug.Close()
	}
	var wg sync.WaitGroup
	for _, hs := range []*http.Server{s.http, s.s3} {
		if hs == nil {
			continue
		}
		wg.Go(func() {
			if err := hs.Shutdown(ctx); err != nil {
				s.log.Warn("requests still running at the shutdown deadline were cut off", "err", err)
				hs.Close()
			}
		})
	}
	wg.Wait()
	return s.close()
}

// close releases the engine and the index.
func (s *server) close() error {
	var errs []error
	if s.eng != nil {
		errs = append(errs, s.eng.Close())
	}
	if s.store != nil {
		errs = append(errs, s.store.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	s.log.Info("stopped cleanly")
	return nil
}

func newLogger(cfg *config, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}

// deferMax is the engine's DeferMax for cfg: off for zero or less, and never past the
// small-object size (with replication off, nothing is deferred).
func deferMax(cfg *config) int64 {
	if cfg.DeferMax <= 0 || cfg.SmallObjectSize < 0 {
		return -1
	}
	return min(cfg.DeferMax, cfg.SmallObjectSize)
}
