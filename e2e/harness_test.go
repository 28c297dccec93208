package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/require"
)

// jcsBin is the server binary that TestMain builds.
var jcsBin string

// probe fetches /healthz and /metrics. Its timeout, like every wait here, only bounds how long a
// hung server takes to fail a test.
var probe = &http.Client{Timeout: 10 * time.Second}

// commandTimeout bounds each run of curl and of the jcs subcommands that must exit by
// themselves.
const commandTimeout = time.Minute

// command is exec.CommandContext bounded by commandTimeout.
func command(t *testing.T, name string, args ...string) *exec.Cmd {
	ctx, cancel := context.WithTimeout(t.Context(), commandTimeout)
	t.Cleanup(cancel)
	return exec.CommandContext(ctx, name, args...)
}

// Bounds on the waits of the harness. They are generous: they only decide how long a broken
// server takes to fail a test, never whether a working one passes.
const (
	startTimeout = 30 * time.Second
	// stopTimeout is the server's 30 s shutdown timeout plus a margin.
	stopTimeout = 45 * time.Second
)

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "jcs-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	jcsBin = filepath.Join(dir, "jcs")
	// Built without -race even under `go test -race`: the server runs at full speed and only
	// the test process is instrumented. "go" is on PATH: go test puts GOROOT/bin first.
	build := exec.Command("go", "build", "-o", jcsBin, "./cmd/jcs")
	build.Dir = ".." // the module root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: building jcs: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// server is one run of `jcs serve` as a child process.
type server struct {
	t       *testing.T
	dir     string // the data directory
	addr    string // host:port of the /v1 API
	creds   *aws.Credentials
	cmd     *exec.Cmd
	stdout  *logBuffer
	stderr  *logBuffer
	done    chan struct{} // closed when the process has exited
	waitErr error         // cmd.Wait's result; read after done
}

// serverConfig changes how startServer runs jcs.
type serverConfig struct {
	env  []string // extra environment, "K=V"
	args []string // extra flags of `jcs serve`
}

type serverOption func(*serverConfig)

// withEnv adds environment variables, "K=V".
func withEnv(kv ...string) serverOption {
	return func(c *serverConfig) { c.env = append(c.env, kv...) }
}

// withArgs adds flags to `jcs serve`.
func withArgs(args ...string) serverOption {
	return func(c *serverConfig) { c.args = append(c.args, args...) }
}

// startServer runs `jcs serve` on dir and 127.0.0.1:0 and returns once the server has said
// where it listens and /healthz answers 200. It registers a cleanup that stops the server with
// SIGTERM, checking for a clean exit, unless the test stopped or killed it already.
func startServer(t *testing.T, dir string, opts ...serverOption) *server {
	t.Helper()
	var cfg serverConfig
	for _, o := range opts {
		o(&cfg)
	}
	args := append([]string{"serve", "--data", dir, "--api-addr", "127.0.0.1:0"}, cfg.args...)
	s := &server{
		t:      t,
		dir:    dir,
		cmd:    exec.Command(jcsBin, args...),
		stdout: newLogBuffer(),
		stderr: newLogBuffer(),
		done:   make(chan struct{}),
	}
	s.cmd.Env = append(cleanEnv(), cfg.env...)
	s.cmd.Stdout, s.cmd.Stderr = s.stdout, s.stderr
	require.NoError(t, s.cmd.Start())
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("jcs stderr (last lines):\n%s", s.stderr.tail(40))
		}
		if !s.exited() {
			s.stop()
		}
	})

	m, err := s.stdout.waitFor(serveLine, s.done, startTimeout)
	require.NoError(t, err, "jcs did not report its address; stderr:\n%s", s.stderr.String())
	s.addr = m[1]
	s.waitHealthy()
	s.creds = s.credentials(cfg)
	return s
}

var serveLine = regexp.MustCompile(`jcs: serving the /v1 API on http://(\S+)\n`)

// cleanEnv is the test's environment without JCS_ variables, which would change the server's
// configuration behind the test's back.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "JCS_") {
			env = append(env, kv)
		}
	}
	return env
}

// credentials returns the root key the server uses: from the environment given to it, else
// from DATA/credentials.json; nil with --no-auth.
func (s *server) credentials(cfg serverConfig) *aws.Credentials {
	if slices.Contains(cfg.args, "--no-auth") {
		return nil
	}
	env := map[string]string{}
	for _, kv := range cfg.env {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	if ak, sk := env["JCS_ACCESS_KEY"], env["JCS_SECRET_KEY"]; ak != "" && sk != "" {
		return &aws.Credentials{AccessKeyID: ak, SecretAccessKey: sk}
	}
	c := readCredentialsFile(s.t, s.dir)
	return &c
}

// readCredentialsFile reads the root key the server saved in DATA/credentials.json.
func readCredentialsFile(t *testing.T, dir string) aws.Credentials {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "credentials.json"))
	require.NoError(t, err)
	var c struct {
		AccessKeyID     string `json:"accessKeyID"`
		SecretAccessKey string `json:"secretAccessKey"`
	}
	require.NoError(t, json.Unmarshal(b, &c), "credentials.json: %s", b)
	require.NotEmpty(t, c.AccessKeyID, "credentials.json: %s", b)
	require.NotEmpty(t, c.SecretAccessKey, "credentials.json: %s", b)
	return aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey}
}

// url returns the server's URL for a path.
func (s *server) url(path string) string { return "http://" + s.addr + path }

// client returns a client that signs with the server's root key (unsigned with --no-auth).
func (s *server) client() *client { return newClient(s.url(""), s.creds) }

// waitHealthy polls /healthz until it answers 200, failing the test after startTimeout or
// when the process exits.
func (s *server) waitHealthy() {
	s.t.Helper()
	deadline := time.Now().Add(startTimeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var last string
	for time.Now().Before(deadline) {
		resp, err := probe.Get(s.url("/healthz"))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		select {
		case <-s.done:
			s.t.Fatalf("jcs exited before /healthz answered 200 (%v); stderr:\n%s", s.waitErr, s.stderr.String())
		case <-tick.C:
		}
	}
	s.t.Fatalf("/healthz did not answer 200 within %v; last answer: %s", startTimeout, last)
}

// exited reports whether the process has exited.
func (s *server) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM and checks that the server exits 0 within the shutdown timeout, having
// logged "stopped cleanly". It reports failures with t.Errorf so that it can run in cleanups.
func (s *server) stop() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil && !s.exited() {
		s.t.Errorf("sending SIGTERM: %v", err)
	}
	s.waitStopped()
}

// waitStopped waits for the exit that a SIGTERM asked for and checks that it was clean.
func (s *server) waitStopped() {
	s.t.Helper()
	s.waitExit(stopTimeout)
	if s.waitErr != nil {
		s.t.Errorf("jcs did not exit 0 after SIGTERM: %v; stderr:\n%s", s.waitErr, s.stderr.tail(40))
	}
	if !strings.Contains(s.stderr.String(), "stopped cleanly") {
		s.t.Errorf("jcs did not log \"stopped cleanly\" after SIGTERM; stderr:\n%s", s.stderr.tail(40))
	}
}

// kill kills the server with SIGKILL, as a crash would, and waits for it to be gone.
func (s *server) kill() {
	s.t.Helper()
	require.NoError(s.t, s.cmd.Process.Signal(syscall.SIGKILL))
	s.waitExit(stopTimeout)
}

// waitExit waits for the process to exit, killing it after d.
func (s *server) waitExit(d time.Duration) {
	s.t.Helper()
	select {
	case <-s.done:
	case <-time.After(d):
		s.t.Errorf("jcs did not exit within %v; killing it", d)
		s.cmd.Process.Kill()
		<-s.done
	}
}

// logBuffer collects a stream of the server's output and lets a test wait for a line.
type logBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed and replaced on every write
}

func newLogBuffer() *logBuffer { return &logBuffer{changed: make(chan struct{})} }

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	close(b.changed)
	b.changed = make(chan struct{})
	return len(p), nil
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// tail returns the last n lines.
func (b *logBuffer) tail(n int) string {
	lines := strings.SplitAfter(b.String(), "\n")
	return strings.Join(lines[max(len(lines)-n, 0):], "")
}

// waitFor waits until the output matches re and returns the submatches. It gives up after
// timeout, or once stop is closed and the output still does not match.
func (b *logBuffer) waitFor(re *regexp.Regexp, stop <-chan struct{}, timeout time.Duration) ([]string, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		b.mu.Lock()
		m := re.FindStringSubmatch(b.buf.String())
		changed := b.changed
		b.mu.Unlock()
		if m != nil {
			return m, nil
		}
		select {
		case <-changed:
		case <-stop:
			// The process is gone; its output is complete once Wait returned.
			if m := re.FindStringSubmatch(b.String()); m != nil {
				return m, nil
			}
			return nil, fmt.Errorf("process exited before its output matched %q", re)
		case <-timer.C:
			return nil, fmt.Errorf("output did not match %q within %v", re, timeout)
		}
	}
}
