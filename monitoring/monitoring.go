// Package monitoring owns the Prometheus registry of a jcs server: request metrics recorded by
// an HTTP middleware around each front end, and collectors that turn the plain metric
// snapshots of the engine and the kv store into Prometheus metrics when scraped.
//
// Every name starts with "jcs_". Labels come from bounded sets only: front end, operation
// (route names, a fixed table), status code and user space ID. Bucket, package, object and
// user names never become labels.
package monitoring

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/jointcloud/jcs/engine"
	"github.com/jointcloud/jcs/kv"
)

const namespace = "jcs"

// Registry holds the server's metrics.
type Registry struct {
	reg  *prometheus.Registry
	http *httpMetrics
}

// Sources are the snapshots the registry reads at scrape time. A nil source is skipped.
type Sources struct {
	Engine func() engine.Metrics
	KV     func() kv.Metrics
}

// New returns a registry with the Go runtime and process collectors, request metrics, and
// collectors over src.
func New(src Sources) *Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	r := &Registry{reg: reg, http: newHTTPMetrics()}
	r.http.register(reg)
	if src.Engine != nil {
		reg.MustRegister(&engineCollector{snapshot: src.Engine})
	}
	if src.KV != nil {
		reg.MustRegister(&kvCollector{snapshot: src.KV})
	}
	return r
}

// Handler serves the metrics in the Prometheus text format.
func (r *Registry) Handler() http.Handler {
	return promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{Registry: r.reg})
}

// Gatherer exposes the registry for tests.
func (r *Registry) Gatherer() prometheus.Gatherer { return r.reg }
