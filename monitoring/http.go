package monitoring

import (
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// httpMetrics are the request metrics of every front end.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	bytesIn  *prometheus.CounterVec
	bytesOut *prometheus.CounterVec
	inFlight *prometheus.GaugeVec
}

func newHTTPMetrics() *httpMetrics {
	return &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "http", Name: "requests_total",
			Help: "Requests served, by front end, operation and status code.",
		}, []string{"frontend", "op", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Subsystem: "http", Name: "request_duration_seconds",
			Help:    "Time from receiving a request to finishing its response, by front end and operation.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2.5, 14), // 0.5 ms .. ~75 min
		}, []string{"frontend", "op"}),
		bytesIn: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "http", Name: "request_body_bytes_total",
			Help: "Request body bytes read, by front end.",
		}, []string{"frontend"}),
		bytesOut: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Subsystem: "http", Name: "response_body_bytes_total",
			Help: "Response body bytes written, by front end.",
		}, []string{"frontend"}),
		inFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Subsystem: "http", Name: "requests_in_flight",
			Help: "Requests being served, by front end.",
		}, []string{"frontend"}),
	}
}

func (m *httpMetrics) register(reg prometheus.Registerer) {
	reg.MustRegister(m.requests, m.duration, m.bytesIn, m.bytesOut, m.inFlight)
}

// Instrument wraps a front end's handler so that every request is counted and timed. op names
// the operation of a request; it must return values from a small fixed set (route names).
func (r *Registry) Instrument(frontend string, h http.Handler, op func(*http.Request) string) http.Handler {
	m := r.http
	inFlight := m.inFlight.WithLabelValues(frontend)
	bytesIn, bytesOut := m.bytesIn.WithLabelValues(frontend), m.bytesOut.WithLabelValues(frontend)
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		start := time.Now()
		name := op(req)
		inFlight.Inc()
		body := &countingBody{ReadCloser: req.Body}
		req.Body = body
		cw := &countingWriter{ResponseWriter: w}
		defer func() {
			inFlight.Dec()
			bytesIn.Add(float64(body.n))
			bytesOut.Add(float64(cw.n))
			m.requests.WithLabelValues(frontend, name, strconv.Itoa(cw.statusCode())).Inc()
			m.duration.WithLabelValues(frontend, name).Observe(time.Since(start).Seconds())
		}()
		h.ServeHTTP(cw, req)
	})
}

type countingBody struct {
	io.ReadCloser
	n int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	return n, err
}

type countingWriter struct {
	http.ResponseWriter
	status int
	n      int64
}

func (w *countingWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *countingWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.n += int64(n)
	return n, err
}

func (w *countingWriter) statusCode() int {
	if w.status == 0 {
		// Nothing was written: the handler aborted the connection.
		return 499
	}
	return w.status
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *countingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
