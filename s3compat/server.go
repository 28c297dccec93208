// Package s3compat serves the S3 API over the engine, for the aws cli, boto3, the AWS SDKs,
// minio-go, rclone and s3cmd.
//
// It owns the wire layer: routing by method, path shape and an allow-list of sub-resources
// (anything else answers 501 NotImplemented), SigV4 and SigV2-presigned authentication,
// aws-chunked bodies, checksums, and S3 XML. gofakes3 serves as a library for error codes,
// XML message types and bucket-name validation; its request handler is not used.
//
// S3 buckets are engine buckets. A key "pkg/rest" is the object "rest" of package "pkg"; other
// keys live whole in the bucket's root package (engine.SplitKey). Requests are path-style:
// "/bucket/key".
package s3compat

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/jointcloud/jcs/engine"
	"github.com/jointcloud/jcs/sigv4"
)

// DefaultRegion is the region the server claims when Options.Region is empty.
const DefaultRegion = "us-east-1"

// Options configures the S3 handler.
type Options struct {
	// Root maps the root user's access key IDs to their secrets. Keys of other users are
	// looked up in the engine. Required unless NoAuth is set.
	Root sigv4.StaticCredentials
	// NoAuth serves every request as root without authentication. It must be asked for.
	NoAuth bool
	// Region is what GetBucketLocation answers and signatures may name; "" means DefaultRegion.
	// Signatures for any region are accepted, as clients often sign with their own default.
	Region string
	// Logger receives one line per request; nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock for signature checks; nil means time.Now.
	Now func() time.Time
}

// Handler serves the S3 API. It is an http.Handler and safe for concurrent use. Serve it on
// its own listener, not behind an http.ServeMux, which would clean the paths that keys need.
type Handler struct {
	e        *engine.Engine
	o        Options
	log      *slog.Logger
	router   *mux.Router
	verifier *sigv4.Verifier
}

// New returns the S3 handler over e.
func New(e *engine.Engine, o Options) (*Handler, error) {
	if len(o.Root) == 0 && !o.NoAuth {
		return nil, errors.New("s3compat: Options.Root is required unless NoAuth is set")
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Region == "" {
		o.Region = DefaultRegion
	}
	h := &Handler{e: e, o: o, log: o.Logger}
	if !o.NoAuth {
		h.verifier = &sigv4.Verifier{Service: "s3", Credentials: credentials{h}, Now: o.Now}
	}
	h.router = h.routes()
	return h, nil
}

// ServeHTTP serves one request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.router.ServeHTTP(w, r) }

// Operation names the S3 operation a request maps to ("PutObject"), or "unknown": a bounded
// label for metrics.
func (h *Handler) Operation(r *http.Request) string {
	var m mux.RouteMatch
	if h.router.Match(r, &m) && m.Route != nil && m.Route.GetName() != "" {
		return m.Route.GetName()
	}
	return "unknown"
}

// credentials resolves access keys: root's from the options, everyone else's from the engine.
type credentials struct{ h *Handler }

func (c credentials) SecretKey(id string) (string, bool) {
	if s, ok := c.h.o.Root[id]; ok {
		return s, true
	}
	k, err := c.h.e.LookupAccessKey(context.Background(), id)
	if err != nil {
		if engine.KindOf(err) != engine.KindNotFound {
			c.h.log.Error("looking up an access key", "err", err)
		}
		return "", false
	}
	return k.Secret, true
}

// request is what a handler gets: the HTTP request, who signed it, and its path's bucket and key.
type request struct {
	*http.Request
	h      *Handler
	id     *sigv4.Identity // nil without authentication
	user   engine.UserID
	reqID  string
	bucket string
	key    string
}

// root reports whether the caller is the root user, who may use every bucket.
func (rq *request) root() bool { return rq.user == engine.RootUserID }

// handlerFunc serves one S3 operation; its error is rendered as an S3 error document.
type handlerFunc func(w http.ResponseWriter, rq *request) error

// serve adapts an operation to http.Handler: request ID, recovery, authentication, the error
// document and the request log line.
func (h *Handler) serve(op string, fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		var idb [8]byte
		rand.Read(idb[:])
		rq := &request{Request: r, h: h, reqID: hex.EncodeToString(idb[:]), user: engine.RootUserID}
		rq.bucket, rq.key = splitPath(r.URL.Path)
		w.Header().Set("X-Amz-Request-Id", rq.reqID)
		w.Header().Set("Server", "JCS")
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				h.log.Error("panic serving request", "requestId", rq.reqID, "panic", v)
				h.writeError(sw, rq, fmt.Errorf("panic: %v", v))
			}
		}()
		err := h.authenticate(rq)
		if err == nil {
			err = fn(sw, rq)
		}
		if err != nil {
			err = h.writeError(sw, rq, err)
		}
		h.logRequest(rq, op, sw, start, err)
	})
}

// authenticate verifies the request's signature and sets the caller.
func (h *Handler) authenticate(rq *request) error {
	if h.verifier == nil {
		return nil
	}
	id, err := h.verifier.Verify(rq.Request)
	if err != nil {
		return err
	}
	if id.Pending {
		// The client signed a body hash it did not declare, so the signature itself is
		// unproven until the body is read, and most handlers act without reading it (a GET
		// or DELETE with a body). S3 requires X-Amz-Content-Sha256 on signed requests.
		return newError(errInvalidRequest, "Missing required header for this request: x-amz-content-sha256")
	}
	if k := unsignedAmzHeader(rq.Request, id); k != "" {
		// Unsigned x-amz-* headers would let whoever holds a presigned PUT URL (or a relay)
		// turn it into a CopyObject of any object the signer can read, or add tags and
		// metadata. S3 refuses them.
		return newError(errAccessDenied, "There were headers present in the request which were not signed: %s", k)
	}
	rq.id = id
	if _, ok := h.o.Root[id.AccessKeyID]; ok {
		return nil
	}
	k, err := h.e.LookupAccessKey(rq.Context(), id.AccessKeyID)
	if err != nil {
		return err
	}
	rq.user = k.User
	return nil
}

// unsignedAmzHeader returns the name of an x-amz-* header of r that its SigV4 signature does
// not cover, or "". X-Amz-Content-Sha256 is exempt: the verifier checks it whether signed or
// not. A SigV2 signature covers every x-amz-* header by construction.
func unsignedAmzHeader(r *http.Request, id *sigv4.Identity) string {
	if id.SigV2 {
		return ""
	}
	var list string
	if id.Presigned {
		list = r.URL.Query().Get("X-Amz-SignedHeaders")
	} else {
		for f := range strings.SplitSeq(r.Header.Get("Authorization"), ",") {
			if _, v, ok := strings.Cut(strings.TrimSpace(f), "SignedHeaders="); ok {
				list = v
			}
		}
	}
	signed := strings.Split(list, ";")
	for k := range r.Header {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "x-amz-") && lk != "x-amz-content-sha256" && !slices.Contains(signed, lk) {
			return lk
		}
	}
	return ""
}

// writeError sends err as an S3 error document (a HEAD gets the status alone) and returns the
// classified error for the log.
func (h *Handler) writeError(w *statusWriter, rq *request, err error) error {
	what := "key"
	if rq.key == "" {
		what = "bucket"
	}
	if rq.Request.URL.Query().Has("uploadId") {
		what = "upload"
	}
	var se *s3Error
	if !errors.As(err, &se) {
		se = classify(err, what)
	}
	if w.wrote {
		return se // the body is under way: the connection ends short instead
	}
	if se.resource == "" {
		se.resource = rq.URL.Path
	}
	hd := w.Header()
	drop := []string{"Content-Length", "Content-Range", "Accept-Ranges", "Etag", "Last-Modified"}
	if se.status == http.StatusNotModified {
		drop = drop[:3] // a 304 keeps the validators it answers about (RFC 9110 15.4.5)
	}
	for _, k := range drop {
		hd.Del(k)
	}
	if rq.Method == http.MethodHead || se.status == http.StatusNotModified {
		w.WriteHeader(se.status)
		return se
	}
	writeXML(w, se.status, errorDoc{Code: string(se.code), Message: se.msg, Resource: se.resource, RequestID: rq.reqID})
	return se
}

func (h *Handler) logRequest(rq *request, op string, w *statusWriter, start time.Time, err error) {
	attrs := []slog.Attr{
		slog.String("requestId", rq.reqID),
		slog.String("op", op),
		slog.String("method", rq.Method),
		slog.Int("status", w.status()),
		slog.Int64("bytesOut", w.n),
		slog.Duration("duration", time.Since(start)),
	}
	if rq.id != nil {
		attrs = append(attrs, slog.String("accessKey", rq.id.AccessKeyID))
	}
	level := slog.LevelInfo
	if err != nil {
		var se *s3Error
		if errors.As(err, &se) && se.status >= 500 {
			level = slog.LevelError
		}
		attrs = append(attrs, slog.String("err", err.Error()))
	}
	h.log.LogAttrs(rq.Context(), level, "s3 request", attrs...)
}

// statusWriter records the status and byte count of a response.
type statusWriter struct {
	http.ResponseWriter
	code  int
	n     int64
	wrote bool // the body has begun
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	w.wrote = true
	n, err := w.ResponseWriter.Write(p)
	w.n += int64(n)
	return n, err
}

func (w *statusWriter) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
