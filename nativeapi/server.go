// Package nativeapi serves the JointCloud Storage /v1 JSON API over the engine: buckets,
// packages, objects (batch upload, ranged download, listing, move, clone, delete, multipart).
//
// Handlers parse and validate a request, call one engine method and return (result, error);
// one adapter authenticates, encodes the {"code","message","data"} envelope, maps errors with
// the table in errors.go and logs one line per request. Routes are declared in routes.go.
//
// Every request is authenticated with AWS Signature Version 4, service "jcs", any region,
// unless Options.NoAuth is set. A signed body is verified when it has been read to its end, so
// handlers never act on a body they have not read to EOF: bodies of ordinary routes are read
// (at most Options.MaxBodyBytes) before the handler runs, and the upload routes read theirs to
// EOF before the engine commits.
package nativeapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/jointcloud/jcs/engine"
	"github.com/jointcloud/jcs/sigv4"
)

// DefaultMaxBodyBytes bounds JSON request bodies and the info part of uploads.
const DefaultMaxBodyBytes = 1 << 20

// Options configures the /v1 handler.
type Options struct {
	// Credentials resolve access keys for SigV4. Required unless NoAuth is set.
	Credentials sigv4.Credentials
	// NoAuth serves every request without authentication. It must be asked for explicitly.
	NoAuth bool
	// Logger receives one line per request; nil means slog.Default().
	Logger *slog.Logger
	// MaxBodyBytes bounds JSON bodies; 0 means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Now is the clock for signature checks; nil means time.Now.
	Now func() time.Time
}

// Handler serves the /v1 API. It is an http.Handler and safe for concurrent use.
type Handler struct {
	e        *engine.Engine
	o        Options
	log      *slog.Logger
	router   *mux.Router
	verifier *sigv4.Verifier
}

// New returns the /v1 handler over e.
func New(e *engine.Engine, o Options) (*Handler, error) {
	if o.Credentials == nil && !o.NoAuth {
		return nil, errors.New("nativeapi: Options.Credentials is required unless NoAuth is set")
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	h := &Handler{e: e, o: o, log: o.Logger}
	if !o.NoAuth {
		h.verifier = &sigv4.Verifier{Service: "jcs", Credentials: o.Credentials, Now: o.Now}
	}
	h.router = h.routes()
	return h, nil
}

// ServeHTTP routes a request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.router.ServeHTTP(w, r) }

// Operation names the route a request matches ("object.upload"), or "unknown": a bounded
// label for metrics.
func (h *Handler) Operation(r *http.Request) string {
	var m mux.RouteMatch
	if h.router.Match(r, &m) && m.Route != nil && m.Route.GetName() != "" {
		return m.Route.GetName()
	}
	return "unknown"
}

// handlerFunc handles one route. It returns the envelope's data, or streamed if it wrote the
// response itself.
type handlerFunc func(w http.ResponseWriter, r *http.Request) (any, error)

// streamed is returned by handlers that wrote their own response.
var streamed = new(struct{})

// route is one entry of the route table.
type route struct {
	method, path, name string
	fn                 handlerFunc
	// streamsBody marks the upload routes, which read their own (unbounded) body; the body of
	// every other route is read, bounded, before the handler runs.
	streamsBody bool
}

// serve adapts a route to http.Handler: request ID, recovery, authentication, body reading,
// response encoding and the request log line.
func (h *Handler) serve(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		reqID := strconv.FormatUint(rand.Uint64(), 16)
		w.Header().Set("X-Request-Id", reqID)
		sw := &statusWriter{ResponseWriter: w}
		var accessKey string
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					h.logRequest(r, rt.name, sw, start, reqID, accessKey, errors.New("response aborted"))
					panic(v)
				}
				h.log.Error("panic serving request", "requestId", reqID, "panic", v)
				h.writeError(sw, reqID, fmt.Errorf("panic: %v", v))
			}
		}()
		err := h.run(sw, r, rt, &accessKey)
		if err != nil {
			h.writeError(sw, reqID, err)
		}
		h.logRequest(r, rt.name, sw, start, reqID, accessKey, err)
	})
}

func (h *Handler) run(w *statusWriter, r *http.Request, rt route, accessKey *string) error {
	pending := false
	if h.verifier != nil {
		id, err := h.verifier.Verify(r)
		if err != nil {
			return err
		}
		*accessKey, pending = id.AccessKeyID, id.Pending
	}
	if rt.streamsBody && pending {
		// The signature itself is proven only at the end of a body that the upload writes to
		// the user spaces as it arrives: bound what anyone who knows an access key ID could
		// make the server store before being refused.
		r.Body = &pendingBody{ReadCloser: r.Body, left: maxPendingUpload}
	}
	if !rt.streamsBody {
		body, err := h.readBody(r.Body)
		if err != nil {
			return err
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	data, err := rt.fn(w, r)
	if err != nil && pending && rt.streamsBody {
		// The handler failed before the body's end, where the signature is proven: read the
		// (bounded) rest for the verdict, and tell an impostor nothing about the resources
		// the request names.
		err = verdict(r.Body, err)
	}
	if err != nil || data == streamed {
		return err
	}
	writeJSON(w, http.StatusOK, envelope{Code: codeOK, Data: data})
	return nil
}

// maxPendingUpload bounds the body of an upload whose signature waits for its end.
const maxPendingUpload = 64 << 20

// errPendingUpload refuses an upload whose signature could only be checked after too large a
// body.
var errPendingUpload = &apiError{status: http.StatusForbidden, code: codeUnauthorized,
	msg: fmt.Sprintf("uploads larger than %d MiB must declare their payload hash: set X-Amz-Content-Sha256 to the body's hex SHA-256, or to UNSIGNED-PAYLOAD", maxPendingUpload>>20)}

// verdict reads the rest of a pending body and returns the signature's error, or
// errPendingUpload if the body is too long to prove, or else the handler's err.
func verdict(body io.Reader, err error) error {
	_, rerr := io.Copy(io.Discard, body)
	var se *sigv4.Error
	switch {
	case errors.As(rerr, &se), rerr == errPendingUpload:
		return rerr
	case rerr != nil:
		return err // the body broke off (the client went away): keep the handler's answer
	}
	return err
}

// pendingBody fails a body with errPendingUpload once it exceeds its bound.
type pendingBody struct {
	io.ReadCloser
	left int64
}

func (b *pendingBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, errPendingUpload
	}
	n, err := b.ReadCloser.Read(p[:min(int64(len(p)), b.left+1)])
	b.left -= int64(n)
	if b.left < 0 {
		return 0, errPendingUpload
	}
	return n, err
}

// readBody reads a whole body of at most MaxBodyBytes; reading it to EOF completes its
// signature check.
func (h *Handler) readBody(body io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(body, h.o.MaxBodyBytes+1))
	switch {
	case err != nil:
		return nil, fmt.Errorf("reading request body: %w", err)
	case int64(len(b)) > h.o.MaxBodyBytes:
		return nil, &apiError{status: http.StatusRequestEntityTooLarge, code: codeBadArgument,
			msg: fmt.Sprintf("request body is larger than %d bytes", h.o.MaxBodyBytes)}
	}
	return b, nil
}

func (h *Handler) writeError(w *statusWriter, reqID string, err error) {
	status, code, msg, internal := classify(err)
	if internal {
		h.log.Error("internal error", "requestId", reqID, "err", err)
	}
	if w.status != 0 {
		// The response has started: the only honest signal left is to cut the connection,
		// so the client sees a short body instead of a complete-looking wrong one.
		panic(http.ErrAbortHandler)
	}
	writeJSON(w, status, envelope{Code: code, Message: msg, RequestID: reqID})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"code":"OperationFailed","message":"internal error","data":null}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// logRequest writes the request's one log line. It never logs the query string, which may
// hold a presigned signature, nor any header.
func (h *Handler) logRequest(r *http.Request, op string, w *statusWriter, start time.Time, reqID, accessKey string, err error) {
	attrs := []slog.Attr{
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.String("op", op),
		slog.Int("status", w.statusCode()),
		slog.Int64("bytesOut", w.written),
		slog.Duration("duration", time.Since(start)),
		slog.String("requestId", reqID),
	}
	if accessKey != "" {
		attrs = append(attrs, slog.String("accessKey", accessKey))
	}
	if err != nil {
		if _, _, msg, internal := classify(err); !internal {
			attrs = append(attrs, slog.String("error", msg))
		}
	}
	h.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
}

// statusWriter records the status and byte count of a response.
type statusWriter struct {
	http.ResponseWriter
	status  int
	written int64
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.written += int64(n)
	return n, err
}

func (w *statusWriter) statusCode() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
