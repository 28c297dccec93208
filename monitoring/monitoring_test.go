package monitoring

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine"
	"github.com/jointcloud/jcs/kv"
)

func TestInstrumentCountsRequests(t *testing.T) {
	reg := New(Sources{})
	h := reg.Instrument("native", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if r.URL.Path == "/missing" {
			http.Error(w, "no", http.StatusNotFound)
			return
		}
		io.WriteString(w, "hello")
	}), func(r *http.Request) string {
		if r.URL.Path == "/missing" {
			return "unknown"
		}
		return "object.download"
	})
	for _, target := range []string{"/a", "/b", "/missing"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", target, strings.NewReader("body")))
	}

	want := `
# HELP jcs_http_requests_total Requests served, by front end, operation and status code.
# TYPE jcs_http_requests_total counter
jcs_http_requests_total{code="200",frontend="native",op="object.download"} 2
jcs_http_requests_total{code="404",frontend="native",op="unknown"} 1
# HELP jcs_http_request_body_bytes_total Request body bytes read, by front end.
# TYPE jcs_http_request_body_bytes_total counter
jcs_http_request_body_bytes_total{frontend="native"} 12
# HELP jcs_http_requests_in_flight Requests being served, by front end.
# TYPE jcs_http_requests_in_flight gauge
jcs_http_requests_in_flight{frontend="native"} 0
`
	require.NoError(t, testutil.GatherAndCompare(reg.Gatherer(), strings.NewReader(want),
		"jcs_http_requests_total", "jcs_http_request_body_bytes_total", "jcs_http_requests_in_flight"))
	// 5 + 5 + "no\n"
	require.Equal(t, 13.0, testutil.ToFloat64(reg.http.bytesOut.WithLabelValues("native")))
	require.Equal(t, 2, testutil.CollectAndCount(reg.http.duration, "jcs_http_request_duration_seconds"),
		"one histogram per front end and operation")
}

func TestEngineAndKVCollectors(t *testing.T) {
	em := engine.Metrics{
		ObjectsWritten: 3, BytesWritten: 4096, BytesRead: 100, DegradedReads: 2, ReconstructedStripes: 5,
		BlobsCollected: 7, OrphansCollected: 1, TempFilesCollected: 4,
		Spaces: []engine.SpaceStatus{
			{ID: 1, Available: true, Health: "ok", UsedBytes: 300, Shards: 3},
			{ID: 2, Available: false, Health: "down"},
		},
		Repair: engine.RepairStatus{ShardsRebuilt: 6},
	}
	km := kv.Metrics{DiskBytes: 1 << 20, Commits: 42, Conflicts: 3}
	reg := New(Sources{Engine: func() engine.Metrics { return em }, KV: func() kv.Metrics { return km }})

	want := `
# HELP jcs_engine_degraded_reads_total Reads that met a missing, unreadable or corrupt shard and reconstructed it.
# TYPE jcs_engine_degraded_reads_total counter
jcs_engine_degraded_reads_total 2
# HELP jcs_engine_written_bytes_total Object bytes written, before redundancy.
# TYPE jcs_engine_written_bytes_total counter
jcs_engine_written_bytes_total 4096
# HELP jcs_space_up Whether a user space takes new shards (1) or not (0): open, not down, draining or cooling down after a failed write.
# TYPE jcs_space_up gauge
jcs_space_up{space="1"} 1
jcs_space_up{space="2"} 0
# HELP jcs_space_health A user space's health: 0 ok, 1 suspect, 2 down.
# TYPE jcs_space_health gauge
jcs_space_health{space="1"} 0
jcs_space_health{space="2"} 2
# HELP jcs_space_used_bytes Bytes of shard files the index places on a user space.
# TYPE jcs_space_used_bytes gauge
jcs_space_used_bytes{space="1"} 300
jcs_space_used_bytes{space="2"} 0
# HELP jcs_repair_shards_rebuilt_total Shards rebuilt by repair.
# TYPE jcs_repair_shards_rebuilt_total counter
jcs_repair_shards_rebuilt_total 6
# HELP jcs_kv_commits_total Committed read-write transactions.
# TYPE jcs_kv_commits_total counter
jcs_kv_commits_total 42
# HELP jcs_kv_disk_bytes Bytes the index occupies on disk.
# TYPE jcs_kv_disk_bytes gauge
jcs_kv_disk_bytes 1.048576e+06
`
	require.NoError(t, testutil.GatherAndCompare(reg.Gatherer(), strings.NewReader(want),
		"jcs_engine_degraded_reads_total", "jcs_engine_written_bytes_total", "jcs_space_up",
		"jcs_space_health", "jcs_space_used_bytes", "jcs_repair_shards_rebuilt_total",
		"jcs_kv_commits_total", "jcs_kv_disk_bytes"))

	// Values are read at scrape time, not at registration.
	em.DegradedReads = 9
	require.NoError(t, testutil.GatherAndCompare(reg.Gatherer(), strings.NewReader(`
# HELP jcs_engine_degraded_reads_total Reads that met a missing, unreadable or corrupt shard and reconstructed it.
# TYPE jcs_engine_degraded_reads_total counter
jcs_engine_degraded_reads_total 9
`), "jcs_engine_degraded_reads_total"))
}

// TestMetricNames lints every metric the registry exposes: the jcs_ prefix, units in the name,
// counters ending in _total, no labels outside the bounded set.
func TestMetricNames(t *testing.T) {
	reg := New(Sources{Engine: func() engine.Metrics { return engine.Metrics{} }, KV: func() kv.Metrics { return kv.Metrics{} }})
	h := reg.Instrument("native", http.NotFoundHandler(), func(*http.Request) string { return "unknown" })
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	problems, err := testutil.GatherAndLint(reg.Gatherer())
	require.NoError(t, err)
	require.Empty(t, problems)

	families, err := reg.Gatherer().Gather()
	require.NoError(t, err)
	bounded := map[string]bool{"frontend": true, "op": true, "code": true, "space": true}
	for _, mf := range families {
		name := mf.GetName()
		if strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_") {
			continue
		}
		require.True(t, strings.HasPrefix(name, "jcs_"), name)
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				require.True(t, bounded[l.GetName()], "%s has unbounded label %q", name, l.GetName())
			}
		}
	}
}
