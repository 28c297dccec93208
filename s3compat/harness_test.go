package s3compat_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/minio/minio-go/v7"
	miniocreds "github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine"
	"github.com/jointcloud/jcs/engine/space"
	"github.com/jointcloud/jcs/engine/space/faultspace"
	"github.com/jointcloud/jcs/engine/space/memspace"
	"github.com/jointcloud/jcs/kv"
	"github.com/jointcloud/jcs/s3compat"
	"github.com/jointcloud/jcs/sigv4"
)

// The harness: the S3 handler over a real engine on an in-memory index and six in-memory user
// spaces, served both over TLS (where the SDKs send aws-chunked bodies) and over plain HTTP,
// and driven by aws-sdk-go-v2, minio-go and hand-signed requests.

const (
	rootKey    = "ROOTACCESSKEY"
	rootSecret = "ROOTSECRETKEY/0123456789abcdefghijklmn"
	region     = "us-east-1"

	// chunkSize is the engine's erasure block: small, so that a few MiB cross many stripes.
	chunkSize = 256 << 10
	// smallSize is the largest object stored as replicas rather than erasure-coded.
	smallSize = 16 << 10

	mib = 1 << 20

	emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// env is one test's server: an engine, the S3 handler over it, and the two listeners.
type env struct {
	t      *testing.T
	e      *engine.Engine
	h      *s3compat.Handler
	tls    *httptest.Server
	plain  *httptest.Server
	root   aws.Credentials
	logs   *syncBuffer
	offset atomic.Int64 // added to the server's signature clock, in nanoseconds

	// spaces are the user spaces, each wrapped to inject faults. They are appended while the
	// engine opens them, before newEnv returns.
	spaces []*faultspace.Space

	mu   sync.Mutex
	seen []seenRequest
}

// seenRequest is what the harness noted of a request the server received.
type seenRequest struct {
	method, path, query string
	payload             string // X-Amz-Content-Sha256
	encoding            string // Content-Encoding
	transfer            []string
	length              int64
	trailer             string // X-Amz-Trailer
}

// requests returns the requests received so far whose query contains query.
func (v *env) requests(method, query string) []seenRequest {
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []seenRequest
	for _, r := range v.seen {
		if r.method == method && strings.Contains(r.query, query) {
			out = append(out, r)
		}
	}
	return out
}

// forget drops the requests noted so far.
func (v *env) forget() {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.seen = nil
}

func newEnv(t *testing.T) *env {
	t.Helper()
	v := &env{t: t, root: aws.Credentials{AccessKeyID: rootKey, SecretAccessKey: rootSecret}, logs: &syncBuffer{}}
	store, err := kv.OpenInMemory()
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	spaces := map[engine.SpaceID]space.Space{}
	var mu sync.Mutex
	e, err := engine.New(t.Context(), engine.Options{
		Store:           store,
		ChunkSize:       chunkSize,
		SmallObjectSize: smallSize,
		GCInterval:      time.Hour,
		Logger:          slog.New(slog.DiscardHandler),
		OpenSpace: func(_ context.Context, us engine.UserSpace) (space.Space, error) {
			mu.Lock()
			defer mu.Unlock()
			if sp, ok := spaces[us.ID]; ok {
				return sp, nil
			}
			fs := faultspace.New(memspace.New())
			v.spaces = append(v.spaces, fs)
			spaces[us.ID] = fs
			return fs, nil
		},
	})
	require.NoError(t, err)
	t.Cleanup(func() { e.Close() })
	for i := range 6 {
		_, err := e.CreateUserSpace(t.Context(), engine.CreateUserSpaceInput{
			Name:       fmt.Sprintf("space%d", i+1),
			Storage:    engine.StorageConfig{Type: engine.StorageLocal, Path: fmt.Sprintf("/mem/space%d", i+1)},
			ShardStore: &engine.ShardStoreConfig{},
		})
		require.NoError(t, err)
	}
	v.e = e
	v.h, err = s3compat.New(e, s3compat.Options{
		Root:   sigv4.StaticCredentials{rootKey: rootSecret},
		Logger: slog.New(slog.NewTextHandler(v.logs, nil)),
		Now:    func() time.Time { return time.Now().Add(time.Duration(v.offset.Load())) },
	})
	require.NoError(t, err)
	rec := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v.mu.Lock()
		v.seen = append(v.seen, seenRequest{method: r.Method, path: r.URL.Path, query: r.URL.RawQuery,
			payload: r.Header.Get("X-Amz-Content-Sha256"), encoding: r.Header.Get("Content-Encoding"),
			transfer: r.TransferEncoding, length: r.ContentLength, trailer: r.Header.Get("X-Amz-Trailer")})
		v.mu.Unlock()
		v.h.ServeHTTP(w, r)
	})
	v.tls = httptest.NewTLSServer(rec)
	t.Cleanup(v.tls.Close)
	v.plain = httptest.NewServer(rec)
	t.Cleanup(v.plain.Close)
	t.Cleanup(func() {
		require.NotContains(t, v.logs.String(), rootSecret, "the log contains the root secret")
	})
	return v
}

// user creates a user with one access key and returns the key's credentials.
func (v *env) user(name string) (engine.UserID, aws.Credentials) {
	v.t.Helper()
	u, err := v.e.CreateUser(v.t.Context(), name)
	require.NoError(v.t, err)
	k, err := v.e.CreateAccessKey(v.t.Context(), u.ID)
	require.NoError(v.t, err)
	return u.ID, aws.Credentials{AccessKeyID: k.ID, SecretAccessKey: k.Secret}
}

// client returns an aws-sdk-go-v2 S3 client of srv, path-style, signing with creds, that does
// not retry, so that every error the server sends reaches the test.
func (v *env) client(srv *httptest.Server, creds aws.Credentials, opts ...func(*s3.Options)) *s3.Client {
	o := s3.Options{
		Region:       region,
		BaseEndpoint: aws.String(srv.URL),
		UsePathStyle: true,
		Credentials:  aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return creds, nil }),
		HTTPClient:   srv.Client(),
		Retryer:      aws.NopRetryer{},
	}
	for _, f := range opts {
		f(&o)
	}
	return s3.New(o)
}

// s3 is the root's SDK client over TLS.
func (v *env) s3() *s3.Client { return v.client(v.tls, v.root) }

// minio returns a minio-go client of the TLS server signing with creds.
func (v *env) minio(creds aws.Credentials) *minio.Client {
	v.t.Helper()
	u, err := url.Parse(v.tls.URL)
	require.NoError(v.t, err)
	c, err := minio.New(u.Host, &minio.Options{
		Creds:        miniocreds.NewStaticV4(creds.AccessKeyID, creds.SecretAccessKey, ""),
		Secure:       true,
		Transport:    v.tls.Client().Transport,
		Region:       region,
		BucketLookup: minio.BucketLookupPath,
	})
	require.NoError(v.t, err)
	return c
}

// bucket creates a bucket as root and returns its name.
func (v *env) bucket(name string) string {
	v.t.Helper()
	_, err := v.s3().CreateBucket(v.t.Context(), &s3.CreateBucketInput{Bucket: aws.String(name)})
	require.NoError(v.t, err)
	return name
}

// put stores an object as root over TLS.
func (v *env) put(bucket, key string, body []byte) *s3.PutObjectOutput {
	v.t.Helper()
	out, err := v.s3().PutObject(v.t.Context(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
	require.NoError(v.t, err, "PutObject %q", key)
	return out
}

// get reads an object as root and returns its body.
func (v *env) get(bucket, key string) []byte {
	v.t.Helper()
	out, err := v.s3().GetObject(v.t.Context(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	require.NoError(v.t, err, "GetObject %q", key)
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	require.NoError(v.t, err)
	return b
}

// exists reports whether an object is stored at the key, asking the engine directly.
func (v *env) exists(bucket, key string) bool {
	v.t.Helper()
	b, err := v.e.GetBucketByName(v.t.Context(), bucket)
	require.NoError(v.t, err)
	_, err = v.e.StatObject(v.t.Context(), b.ID, key)
	if engine.KindOf(err) == engine.KindNotFound {
		return false
	}
	require.NoError(v.t, err)
	return true
}

// stat returns the engine's object at the key.
func (v *env) stat(bucket, key string) engine.Object {
	v.t.Helper()
	b, err := v.e.GetBucketByName(v.t.Context(), bucket)
	require.NoError(v.t, err)
	o, err := v.e.StatObject(v.t.Context(), b.ID, key)
	require.NoError(v.t, err)
	return o
}

// Raw requests.

// response is what the server answered to a raw request.
type response struct {
	status int
	header http.Header
	body   []byte
}

// errorDoc is an S3 error document as a client reads it.
type errorDoc struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	Resource  string   `xml:"Resource"`
	RequestID string   `xml:"RequestId"`
}

// errDoc parses the response as an S3 error document and checks that it is one.
func (r response) errDoc(t *testing.T) errorDoc {
	t.Helper()
	var d errorDoc
	require.NoError(t, xml.Unmarshal(r.body, &d), "body: %s", r.body)
	require.NotEmpty(t, d.Code)
	require.NotEmpty(t, d.Message)
	require.NotEmpty(t, d.RequestID)
	require.Equal(t, r.header.Get("X-Amz-Request-Id"), d.RequestID)
	return d
}

// requireError checks the response is an error document with the status and code.
func (r response) requireError(t *testing.T, status int, code string) {
	t.Helper()
	require.Equal(t, status, r.status, "body: %s", r.body)
	require.Equal(t, code, r.errDoc(t).Code)
}

// newRequest builds an unsigned request on srv; target is the escaped path and query.
func (v *env) newRequest(srv *httptest.Server, method, target string, body io.Reader) *http.Request {
	v.t.Helper()
	req, err := http.NewRequestWithContext(v.t.Context(), method, srv.URL+target, body)
	require.NoError(v.t, err)
	return req
}

func hexSHA256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// sign signs req with creds at the time, declaring payloadHash in X-Amz-Content-Sha256.
func (v *env) sign(req *http.Request, creds aws.Credentials, payloadHash string, at time.Time) *http.Request {
	v.t.Helper()
	req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	// S3 signs the path as sent, encoded once, as the SDK's S3 client does.
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	require.NoError(v.t, signer.SignHTTP(v.t.Context(), creds, req, payloadHash, "s3", region, at))
	return req
}

// do signs req as root with the SHA-256 of body (which must be req's body) and sends it.
func (v *env) do(req *http.Request, body []byte) response {
	v.t.Helper()
	return v.send(v.sign(req, v.root, hexSHA256(body), time.Now()))
}

// raw sends a root-signed request with body on the TLS server.
func (v *env) raw(method, target string, body []byte, hdr http.Header) response {
	v.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req := v.newRequest(v.tls, method, target, rd)
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	return v.do(req, body)
}

// send sends req as it is and reads the whole response.
func (v *env) send(req *http.Request) response {
	v.t.Helper()
	resp, err := v.tls.Client().Do(req)
	require.NoError(v.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(v.t, err)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// wire sends req, which must be for the plain server, on a connection of its own and returns
// the response as it came over the wire, header case and all.
func (v *env) wire(req *http.Request) string {
	v.t.Helper()
	conn, err := net.Dial("tcp", req.URL.Host)
	require.NoError(v.t, err)
	defer conn.Close()
	req.Close = true
	require.NoError(v.t, req.Write(conn))
	b, err := io.ReadAll(conn)
	require.NoError(v.t, err)
	return string(b)
}

// SDK errors.

// requireAPIError checks that err is an S3 error with the HTTP status and, unless code is "",
// the error code.
func requireAPIError(t *testing.T, err error, status int, code string) {
	t.Helper()
	require.Error(t, err)
	var re *awshttp.ResponseError
	require.True(t, errors.As(err, &re), "not an HTTP response error: %v", err)
	require.Equal(t, status, re.HTTPStatusCode(), "%v", err)
	if code != "" {
		var ae smithy.APIError
		require.True(t, errors.As(err, &ae), "not an API error: %v", err)
		require.Equal(t, code, ae.ErrorCode(), "%v", err)
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent writes, for the server's log.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// data returns n deterministic pseudo-random bytes, different for each seed.
func data(seed, n int) []byte {
	b := make([]byte, n)
	x := uint64(seed)*0x9E3779B97F4A7C15 + 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = byte(x)
	}
	return b
}
