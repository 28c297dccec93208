package e2e

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io/fs"
	"math/big"
	"net"
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
	noteSources(t)
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

// noteSources stats, once, every file the jcs binary is built from. go test caches a
// package's result keyed by the files its tests look at (only while tests run, not in
// TestMain), and the binary is built by a child go build it cannot see: without this, a
// change to the server would replay this package's cached result instead of running it. The
// helpers that run jcs call it, and so does TestSources.
func noteSources(t *testing.T) {
	sourcesOnce.Do(func() { sourcesErr = statSources("..") })
	require.NoError(t, sourcesErr, "stat the sources jcs is built from")
}

var (
	sourcesOnce sync.Once
	sourcesErr  error
)

// TestSources stats the sources, in case no test that runs jcs is selected.
func TestSources(t *testing.T) { noteSources(t) }

// statSources stats every Go source file, go.mod and go.sum under root.
func statSources(root string) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		switch {
		case d.IsDir() && p != root && (strings.HasPrefix(name, ".") || name == "data" || name == "testdata"):
			return filepath.SkipDir
		case d.IsDir():
			return nil
		case strings.HasSuffix(name, ".go") || name == "go.mod" || name == "go.sum":
			_, err := os.Stat(p)
			return err
		}
		return nil
	})
}

// server is one run of `jcs serve` as a child process.
type server struct {
	t       *testing.T
	dir     string // the data directory
	scheme  string // "http", or "https" with withTLS
	addr    string // host:port of the /v1 API
	s3Addr  string // host:port of the S3 API
	caFile  string // the PEM certificate clients trust, with withTLS
	creds   *aws.Credentials
	cmd     *exec.Cmd
	stdout  *logBuffer
	stderr  *logBuffer
	done    chan struct{} // closed when the process has exited
	waitErr error         // cmd.Wait's result; read after done
}

// serverConfig changes how startServer runs jcs.
type serverConfig struct {
	env    []string // extra environment, "K=V"
	args   []string // extra flags of `jcs serve`
	caFile string   // set by withTLS
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

// withTLS serves both listeners over HTTPS with a new self-signed certificate for 127.0.0.1,
// which the server's clients trust (server.caFile, server.httpClient).
func withTLS(t *testing.T) serverOption {
	t.Helper()
	cert, key := selfSignedCert(t)
	return func(c *serverConfig) {
		c.args = append(c.args, "--tls-cert", cert, "--tls-key", key)
		c.caFile = cert
	}
}

// startServer runs `jcs serve` on dir and 127.0.0.1:0 (both listeners) and returns once the
// server has said where it listens and /healthz answers 200. It registers a cleanup that stops
// the server with SIGTERM, checking for a clean exit, unless the test stopped or killed it
// already.
func startServer(t *testing.T, dir string, opts ...serverOption) *server {
	t.Helper()
	noteSources(t)
	var cfg serverConfig
	for _, o := range opts {
		o(&cfg)
	}
	args := append([]string{"serve", "--data", dir, "--api-addr", "127.0.0.1:0", "--s3-addr", "127.0.0.1:0"}, cfg.args...)
	s := &server{
		t:      t,
		dir:    dir,
		caFile: cfg.caFile,
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
	s.scheme, s.addr = m[1], m[2]
	m, err = s.stdout.waitFor(s3ServeLine, s.done, startTimeout)
	require.NoError(t, err, "jcs did not report its S3 address; stderr:\n%s", s.stderr.String())
	require.Equal(t, s.scheme, m[1], "the two listeners' schemes")
	s.s3Addr = m[2]
	s.waitHealthy()
	s.creds = s.credentials(cfg)
	return s
}

// The lines `jcs serve` prints once it listens, with the scheme and the address.
var (
	serveLine   = regexp.MustCompile(`jcs: serving the /v1 API on (https?)://(\S+)\n`)
	s3ServeLine = regexp.MustCompile(`jcs: serving the S3 API on (https?)://(\S+)\n`)
)

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
func (s *server) url(path string) string { return s.scheme + "://" + s.addr + path }

// s3URL returns the S3 listener's URL for a path ("" for the endpoint).
func (s *server) s3URL(path string) string { return s.scheme + "://" + s.s3Addr + path }

// client returns a client that signs with the server's root key (unsigned with --no-auth).
func (s *server) client() *client {
	c := newClient(s.url(""), s.creds)
	c.hc.Transport.(*http.Transport).TLSClientConfig = s.tlsConfig()
	return c
}

// httpClient returns probe, or with withTLS a client like it that trusts the server's
// certificate.
func (s *server) httpClient() *http.Client {
	if s.caFile == "" {
		return probe
	}
	return &http.Client{Timeout: probe.Timeout, Transport: &http.Transport{TLSClientConfig: s.tlsConfig()}}
}

// tlsConfig trusts the server's certificate; nil without withTLS.
func (s *server) tlsConfig() *tls.Config {
	if s.caFile == "" {
		return nil
	}
	b, err := os.ReadFile(s.caFile)
	require.NoError(s.t, err)
	pool := x509.NewCertPool()
	require.True(s.t, pool.AppendCertsFromPEM(b), "no certificate in %s", s.caFile)
	return &tls.Config{RootCAs: pool}
}

// waitHealthy polls /healthz until it answers 200, failing the test after startTimeout or
// when the process exits.
func (s *server) waitHealthy() {
	s.t.Helper()
	deadline := time.Now().Add(startTimeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var last string
	hc := s.httpClient()
	for time.Now().Before(deadline) {
		resp, err := hc.Get(s.url("/healthz"))
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

// selfSignedCert writes a new self-signed ECDSA certificate for 127.0.0.1 and localhost, and
// its key, as PEM files in a temporary directory and returns their paths. The certificate is
// its own CA (basic constraints, key usage, a subject key ID), which strict verifiers accept as
// a trust anchor: `openssl verify -x509_strict`, and Python ≥ 3.13, whose ssl is strict by
// default.
func selfSignedCert(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	require.NoError(t, err)
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "jcs e2e"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600))
	return certFile, keyFile
}
