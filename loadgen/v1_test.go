package loadgen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine"
	"github.com/jointcloud/jcs/engine/space"
	"github.com/jointcloud/jcs/engine/space/faultspace"
	"github.com/jointcloud/jcs/engine/space/memspace"
	"github.com/jointcloud/jcs/kv"
	"github.com/jointcloud/jcs/nativeapi"
	"github.com/jointcloud/jcs/sigv4"
)

const (
	testAK = "AKLOADGENTEST"
	testSK = "loadgen-test-secret"
)

// testServer is the real /v1 handler over a real engine on six in-memory spaces, each behind a
// fault-injecting wrapper, served by httptest.
type testServer struct {
	url    string
	mu     sync.Mutex
	spaces []*faultspace.Space
}

// newTestServer starts a server; wrap, if not nil, wraps the /v1 handler.
func newTestServer(t *testing.T, wrap func(http.Handler) http.Handler) *testServer {
	t.Helper()
	ts := &testServer{}
	e := ts.newEngine(t)
	quiet := slog.New(slog.DiscardHandler)
	h, err := nativeapi.New(e, nativeapi.Options{Credentials: sigv4.StaticCredentials{testAK: testSK}, Logger: quiet})
	require.NoError(t, err)
	var handler http.Handler = h
	if wrap != nil {
		handler = wrap(h)
	}
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	ts.url = srv.URL
	return ts
}

// newEngine returns an engine on six in-memory user spaces, each behind a fault-injecting
// wrapper that ts records.
func (ts *testServer) newEngine(t *testing.T) *engine.Engine {
	t.Helper()
	store, err := kv.OpenInMemory()
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	opened := map[engine.SpaceID]*faultspace.Space{}
	e, err := engine.New(t.Context(), engine.Options{
		Store:  store,
		Logger: slog.New(slog.DiscardHandler),
		OpenSpace: func(_ context.Context, us engine.UserSpace) (space.Space, error) {
			ts.mu.Lock()
			defer ts.mu.Unlock()
			if s, ok := opened[us.ID]; ok {
				return s, nil
			}
			s := faultspace.New(memspace.New())
			opened[us.ID] = s
			ts.spaces = append(ts.spaces, s)
			return s, nil
		},
	})
	require.NoError(t, err)
	t.Cleanup(func() { e.Close() })
	for i := range 6 {
		_, err := e.CreateUserSpace(t.Context(), engine.CreateUserSpaceInput{
			Name: fmt.Sprintf("space%d", i+1), Storage: engine.StorageConfig{Type: engine.StorageLocal, Path: fmt.Sprintf("/mem/space%d", i+1)},
			ShardStore: &engine.ShardStoreConfig{},
		})
		require.NoError(t, err)
	}
	return e
}

// fail injects err into the given operations of every space.
func (ts *testServer) fail(ops faultspace.Op, err error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for _, s := range ts.spaces {
		s.Fail(ops, nil, err)
	}
}

func (ts *testServer) target(t *testing.T) *V1 {
	t.Helper()
	v, err := NewV1(V1Options{Endpoint: ts.url, AccessKey: testAK, SecretKey: testSK})
	require.NoError(t, err)
	return v
}

func TestV1RoundTrip(t *testing.T) {
	ts := newTestServer(t, nil)
	v := ts.target(t)
	require.NoError(t, v.Setup(t.Context()))
	for _, tc := range []struct {
		key  string
		size int
	}{
		{"empty", 0},
		{"small/replicated.bin", 1000},
		{"dir/with space+plus%percent\"quote.bin", 300 << 10}, // erasure-coded
	} {
		t.Run(tc.key, func(t *testing.T) {
			want := randomBytes(uint64(tc.size), tc.size)
			require.NoError(t, v.Put(t.Context(), tc.key, bytes.NewReader(want), int64(tc.size)))
			var got bytes.Buffer
			require.NoError(t, v.Get(t.Context(), tc.key, &got))
			require.True(t, bytes.Equal(want, got.Bytes()), "read back %d bytes, want the %d written", got.Len(), tc.size)
		})
	}
	err := v.Get(t.Context(), "missing", io.Discard)
	require.ErrorContains(t, err, "404")
	require.ErrorContains(t, err, "DataNotFound")
}

func TestRunV1(t *testing.T) {
	ts := newTestServer(t, nil)
	for _, tc := range []struct {
		workload Workload
		size     int64
	}{
		{WorkloadPut, 300 << 10},
		{WorkloadGet, 300 << 10},
		{WorkloadMixed, 300 << 10},
		{WorkloadPut, 4 << 10},
		{WorkloadGet, 2*MiB + 3},
	} {
		t.Run(fmt.Sprintf("%s %d", tc.workload, tc.size), func(t *testing.T) {
			res, err := Run(t.Context(), Config{
				Target: ts.target(t), Workload: tc.workload, ReadFraction: 0.5,
				Size: tc.size, Concurrency: 3, Count: 9,
			})
			require.NoError(t, err)
			require.Zero(t, res.Errors, "errors: %v", res.ErrorSamples)
			require.EqualValues(t, 9, res.Ops)
			require.Equal(t, 9*tc.size, res.Bytes)
			require.True(t, strings.HasPrefix(res.Target, "v1 http://"))
		})
	}
}

func TestRunV1ServerErrorsAreErrors(t *testing.T) {
	down := errors.New("injected: space is down")
	tests := []struct {
		name     string
		workload Workload
		ops      faultspace.Op // failed on every space once the objects to read are in place
		want     string
	}{
		{"put", WorkloadPut, faultspace.OpPut, `^put put/0/\d: v1: upload: 503 Service Unavailable: OperationFailed: `},
		// The server sends the status with the first byte, so a read that fails at once is a
		// proper 503 with a JSON body, not a cut connection.
		{"get", WorkloadGet, faultspace.OpOpen | faultspace.OpReadAt, `^get get/0: v1: download: 503 Service Unavailable: OperationFailed: `},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, nil)
			v := ts.target(t)
			var once sync.Once
			// Break the spaces when the measured phase starts: after Setup and preparation.
			target := &hookTarget{Target: v, before: func() { once.Do(func() { ts.fail(tc.ops, down) }) }}
			res, err := Run(t.Context(), Config{Target: target, Workload: tc.workload, Size: 300 << 10, Count: 4})
			require.NoError(t, err)
			require.Zero(t, res.Ops, "a failed operation is not a success")
			require.EqualValues(t, 4, res.Errors)
			require.Regexp(t, tc.want, res.ErrorSamples[0])
		})
	}
}

// hookTarget calls before ahead of every measured operation (those on keys other than the
// prepared "get/N" ones, or any Get).
type hookTarget struct {
	Target
	before func()
}

func (h *hookTarget) Put(ctx context.Context, key string, body io.Reader, size int64) error {
	if !strings.HasPrefix(key, "get/") {
		h.before()
	}
	return h.Target.Put(ctx, key, body, size)
}

func (h *hookTarget) Get(ctx context.Context, key string, w io.Writer) error {
	h.before()
	return h.Target.Get(ctx, key, w)
}

// A server that answers 200 with fewer bytes than were put fails the operation.
func TestRunV1ShortDownloadIsAnError(t *testing.T) {
	ts := newTestServer(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/v1/object/downloadByPath" {
				w.Header().Set("Content-Type", "application/octet-stream")
				io.WriteString(w, "truncated")
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	res, err := Run(t.Context(), Config{Target: ts.target(t), Workload: WorkloadGet, Size: 4 << 10, Count: 2})
	require.NoError(t, err)
	require.Zero(t, res.Ops)
	require.EqualValues(t, 2, res.Errors)
	require.Contains(t, res.ErrorSamples[0], "got 9 bytes, want 4096")
}

func TestRunV1WrongCredentials(t *testing.T) {
	ts := newTestServer(t, nil)
	v, err := NewV1(V1Options{Endpoint: ts.url, AccessKey: testAK, SecretKey: "wrong"})
	require.NoError(t, err)
	res, err := Run(t.Context(), Config{Target: v, Workload: WorkloadPut, Size: 1, Count: 1})
	require.ErrorContains(t, err, "403")
	require.Nil(t, res)
}

func TestNewV1RejectsBadEndpoint(t *testing.T) {
	for _, ep := range []string{"", "localhost:7890", "ftp://x", "http://"} {
		_, err := NewV1(V1Options{Endpoint: ep})
		require.Error(t, err, ep)
	}
}
