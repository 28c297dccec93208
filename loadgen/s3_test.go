package loadgen

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/sigv4"
)

const testBucket = "bench"

// s3TestServer is gofakes3 over s3mem behind httptest, with a SigV4 check in front of it (the
// verifier jcs's S3 front end uses) and a record of what the client sent.
type s3TestServer struct {
	url     string
	backend *s3mem.Backend

	mu       sync.Mutex
	requests map[string]int // by "METHOD bucket" or "METHOD object"
	hashes   map[string]int // X-Amz-Content-Sha256 values seen
	paths    []string       // object paths as sent on the wire
	bodies   []string       // request bodies of bucket requests
	putBytes atomic.Int64   // object bytes received by PutObject
	conns    atomic.Int64   // TCP connections accepted
}

// s3ServerOptions shape a test server.
type s3ServerOptions struct {
	noAuth bool
	// wrap, if not nil, wraps gofakes3's handler: behind the check and the record.
	wrap func(http.Handler) http.Handler
}

func newS3TestServer(t *testing.T, o s3ServerOptions) *s3TestServer {
	t.Helper()
	ts := &s3TestServer{backend: s3mem.New(), requests: map[string]int{}, hashes: map[string]int{}}
	var h = gofakes3.New(ts.backend).Server()
	if o.wrap != nil {
		h = o.wrap(h)
	}
	h = ts.record(h)
	if !o.noAuth {
		h = authenticate(h)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			ts.conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	ts.url = srv.URL
	return ts
}

// record counts requests by method and kind, and object bytes received.
func (ts *s3TestServer) record(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kind := "bucket"
		if strings.Contains(strings.TrimPrefix(r.URL.Path, "/"), "/") {
			kind = "object"
		}
		ts.mu.Lock()
		ts.requests[r.Method+" "+kind]++
		ts.hashes[r.Header.Get("X-Amz-Content-Sha256")]++
		if kind == "object" {
			ts.paths = append(ts.paths, r.URL.EscapedPath())
		}
		ts.mu.Unlock()
		switch {
		case kind == "bucket":
			b, _ := io.ReadAll(r.Body)
			ts.mu.Lock()
			ts.bodies = append(ts.bodies, string(b))
			ts.mu.Unlock()
			r.Body = io.NopCloser(bytes.NewReader(b))
		case r.Method == http.MethodPut:
			if len(r.TransferEncoding) > 0 || r.ContentLength < 0 {
				http.Error(w, "the test wants a Content-Length", http.StatusLengthRequired)
				return
			}
			r.Body = &countingBody{ReadCloser: r.Body, n: &ts.putBytes}
		}
		next.ServeHTTP(w, r)
	})
}

func (ts *s3TestServer) count(key string) int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.requests[key]
}

// seen returns copies of the paths, bucket request bodies and payload hashes seen so far.
func (ts *s3TestServer) seen() (paths, bodies []string, hashes map[string]int) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	hashes = map[string]int{}
	for k, v := range ts.hashes {
		hashes[k] = v
	}
	return slices.Clone(ts.paths), slices.Clone(ts.bodies), hashes
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// authenticate answers 403 with an S3 error document unless the request is signed for s3 with
// testAK's key.
func authenticate(next http.Handler) http.Handler {
	v := &sigv4.Verifier{Service: "s3", Credentials: sigv4.StaticCredentials{testAK: testSK}}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := v.Verify(r); err != nil {
			s3ErrorResponse(w, http.StatusForbidden, "SignatureDoesNotMatch", err.Error())
			return
		}
		next.ServeHTTP(w, r)
	})
}

func s3ErrorResponse(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><RequestId>req-1</RequestId></Error>`, code, msg)
}

func (ts *s3TestServer) target(t *testing.T, edit func(*S3Options)) *S3 {
	t.Helper()
	o := S3Options{Endpoint: ts.url, Bucket: testBucket, AccessKey: testAK, SecretKey: testSK, Conns: 4}
	if edit != nil {
		edit(&o)
	}
	s, err := NewS3(o)
	require.NoError(t, err)
	return s
}

func TestS3SetupCreatesTheBucketOnce(t *testing.T) {
	ts := newS3TestServer(t, s3ServerOptions{})
	s := ts.target(t, nil)
	require.NoError(t, s.Setup(t.Context()))
	require.Equal(t, 1, ts.count("HEAD bucket"))
	require.Equal(t, 1, ts.count("PUT bucket"))
	_, err := ts.backend.ListBucket(testBucket, nil, gofakes3.ListBucketPage{})
	require.NoError(t, err, "the bucket exists")

	require.NoError(t, s.Setup(t.Context()), "an existing bucket is used as it is")
	require.Equal(t, 2, ts.count("HEAD bucket"))
	require.Equal(t, 1, ts.count("PUT bucket"))
	require.Equal(t, "s3 "+ts.url+"/"+testBucket, s.String())
}

func TestS3SetupRegion(t *testing.T) {
	ts := newS3TestServer(t, s3ServerOptions{noAuth: true})
	s := ts.target(t, func(o *S3Options) { o.Region = "eu-west-3" })
	require.NoError(t, s.Setup(t.Context()))
	_, bodies, _ := ts.seen()
	require.Len(t, bodies, 2)
	require.Empty(t, bodies[0], "HEAD has no body")
	require.Contains(t, bodies[1], "<LocationConstraint>eu-west-3</LocationConstraint>")
}

func TestS3SetupAnswers(t *testing.T) {
	notFound := func(w http.ResponseWriter) { w.WriteHeader(http.StatusNotFound) }
	tests := []struct {
		name    string
		answers map[string]func(w http.ResponseWriter) // by method
		want    string                                 // error, or "" for success
	}{
		{
			name: "bucket created meanwhile by us",
			answers: map[string]func(http.ResponseWriter){
				http.MethodHead: notFound,
				http.MethodPut: func(w http.ResponseWriter) {
					s3ErrorResponse(w, http.StatusConflict, "BucketAlreadyOwnedByYou", "yours already")
				},
			},
		},
		{
			name: "bucket owned by someone else",
			answers: map[string]func(http.ResponseWriter){
				http.MethodHead: notFound,
				http.MethodPut: func(w http.ResponseWriter) {
					s3ErrorResponse(w, http.StatusConflict, "BucketAlreadyExists", "taken")
				},
			},
			want: "s3: creating bucket bench: 409 Conflict: BucketAlreadyExists: taken (request req-1)",
		},
		{
			name: "no access, explained by GetBucketLocation",
			answers: map[string]func(http.ResponseWriter){
				http.MethodHead: func(w http.ResponseWriter) { w.WriteHeader(http.StatusForbidden) },
				http.MethodGet: func(w http.ResponseWriter) {
					s3ErrorResponse(w, http.StatusForbidden, "AccessDenied", "not yours")
				},
			},
			want: "s3: checking bucket bench: 403 Forbidden: AccessDenied: not yours (request req-1)",
		},
		{
			name: "no access, unexplained",
			answers: map[string]func(http.ResponseWriter){
				http.MethodHead: func(w http.ResponseWriter) { w.WriteHeader(http.StatusForbidden) },
				http.MethodGet:  func(w http.ResponseWriter) { w.WriteHeader(http.StatusOK) },
			},
			want: "s3: checking bucket bench: 403 Forbidden",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := newS3TestServer(t, s3ServerOptions{wrap: func(http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if a, ok := tc.answers[r.Method]; ok {
						a(w)
						return
					}
					http.Error(w, "unexpected "+r.Method, http.StatusTeapot)
				})
			}})
			err := ts.target(t, nil).Setup(t.Context())
			if tc.want == "" {
				require.NoError(t, err)
			} else {
				require.EqualError(t, err, tc.want)
			}
		})
	}
}

func TestS3RoundTrip(t *testing.T) {
	ts := newS3TestServer(t, s3ServerOptions{})
	s := ts.target(t, func(o *S3Options) { o.Prefix = "pre fix/" })
	require.NoError(t, s.Setup(t.Context()))
	for _, tc := range []struct {
		key      string
		size     int
		wantPath string // as sent
	}{
		{"empty", 0, "/bench/pre%20fix/empty"},
		{"a/b c+d%e=f&g?h#i~j;k:l@m$n,o(p)q!r*s'ü.bin", 1000,
			"/bench/pre%20fix/a/b%20c%2Bd%25e%3Df%26g%3Fh%23i~j%3Bk%3Al%40m%24n%2Co%28p%29q%21r%2As%27%C3%BC.bin"},
		{"dir//double/./dot/../x", 300 << 10, "/bench/pre%20fix/dir//double/./dot/../x"},
	} {
		t.Run(tc.key, func(t *testing.T) {
			want := randomBytes(uint64(tc.size), tc.size)
			require.NoError(t, s.Put(t.Context(), tc.key, bytes.NewReader(want), int64(tc.size)))
			obj, err := ts.backend.HeadObject(testBucket, "pre fix/"+tc.key)
			require.NoError(t, err, "stored under the prefixed key as given")
			require.EqualValues(t, tc.size, obj.Size)
			var got bytes.Buffer
			require.NoError(t, s.Get(t.Context(), tc.key, &got))
			require.True(t, bytes.Equal(want, got.Bytes()), "read back %d bytes, want the %d written", got.Len(), tc.size)
			paths, _, _ := ts.seen()
			require.Equal(t, tc.wantPath, paths[len(paths)-1], "path-style, every reserved byte encoded")
		})
	}
	err := s.Get(t.Context(), "missing", io.Discard)
	var se *S3Error
	require.ErrorAs(t, err, &se)
	require.Equal(t, http.StatusNotFound, se.StatusCode)
	require.Equal(t, "NoSuchKey", se.Code)
	require.ErrorContains(t, err, "s3: get: 404 Not Found: NoSuchKey")
	paths, _, hashes := ts.seen()
	require.Equal(t, map[string]int{unsignedPayload: len(paths) + 2}, hashes, "no request hashes its body")
	require.Equal(t, 1, ts.count("HEAD bucket"))
	require.Zero(t, ts.count("GET bucket"), "the bucket is checked with one HEAD")
}

func TestRunS3(t *testing.T) {
	for _, tc := range []struct {
		workload Workload
		size     int64
	}{
		{WorkloadPut, 300 << 10},
		{WorkloadGet, 300 << 10},
		{WorkloadMixed, 64 << 10},
		{WorkloadPut, 4 << 10},
		{WorkloadGet, 2*MiB + 3},
		{WorkloadPut, 0},
	} {
		t.Run(fmt.Sprintf("%s %d", tc.workload, tc.size), func(t *testing.T) {
			ts := newS3TestServer(t, s3ServerOptions{})
			const concurrency, count = 3, 30
			res, err := Run(t.Context(), Config{
				Target: ts.target(t, func(o *S3Options) { o.Conns = concurrency }), Workload: tc.workload,
				ReadFraction: 0.5, Size: tc.size, Concurrency: concurrency, Count: count, Verify: true,
			})
			require.NoError(t, err)
			require.Zero(t, res.Errors, "errors: %v", res.ErrorSamples)
			require.EqualValues(t, count, res.Ops)
			require.Equal(t, count*tc.size, res.Bytes)
			require.Equal(t, tc.workload != WorkloadPut, res.Verified)
			puts, gets := res.Ops, int64(0)
			prepared := 0
			switch tc.workload {
			case WorkloadGet:
				puts, gets, prepared = 0, res.Ops, concurrency
			case WorkloadMixed:
				puts, gets, prepared = res.Put.Ops, res.Get.Ops, concurrency
				require.Positive(t, puts)
				require.Positive(t, gets)
			}
			require.EqualValues(t, puts+int64(prepared), ts.count("PUT object"), "one PutObject per put, and per object prepared")
			require.EqualValues(t, gets, ts.count("GET object"), "one GetObject per get")
			require.Equal(t, (puts+int64(prepared))*tc.size, ts.putBytes.Load(), "the server received every byte put")
			require.LessOrEqual(t, ts.conns.Load(), int64(2*concurrency), "connections are kept alive and reused")
		})
	}
}

// brokenAfterSetup makes every object request fail with an S3 error once broken is set.
func brokenAfterSetup(broken *atomic.Bool, status int, code string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if broken.Load() {
				s3ErrorResponse(w, status, code, "injected")
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func TestRunS3ServerErrorsAreErrors(t *testing.T) {
	tests := []struct {
		name     string
		workload Workload
		status   int
		code     string
		want     string
	}{
		{"put", WorkloadPut, http.StatusServiceUnavailable, "SlowDown",
			`^put put/0/\d: s3: put: 503 Service Unavailable: SlowDown: injected \(request req-1\)$`},
		{"get", WorkloadGet, http.StatusInternalServerError, "InternalError",
			`^get get/0: s3: get: 500 Internal Server Error: InternalError: injected \(request req-1\)$`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var broken atomic.Bool
			ts := newS3TestServer(t, s3ServerOptions{wrap: brokenAfterSetup(&broken, tc.status, tc.code)})
			// Break the server when the measured phase starts: after Setup and preparation.
			target := &hookTarget{Target: ts.target(t, nil), before: func() { broken.Store(true) }}
			res, err := Run(t.Context(), Config{Target: target, Workload: tc.workload, Size: 1000, Count: 4})
			require.NoError(t, err)
			require.Zero(t, res.Ops, "a failed operation is not a success")
			require.Zero(t, res.Bytes)
			require.EqualValues(t, 4, res.Errors)
			require.Regexp(t, tc.want, res.ErrorSamples[0])
			require.Contains(t, res.String(), "errors          4")
		})
	}
}

// A GetObject answer that is not the object put fails the operation.
func TestRunS3BadDownloads(t *testing.T) {
	const size = 4 << 10
	tests := []struct {
		name   string
		verify bool
		answer func(w http.ResponseWriter, obj []byte)
		want   string
	}{
		{
			name:   "short body, honest length",
			answer: func(w http.ResponseWriter, _ []byte) { io.WriteString(w, "truncated") },
			want:   "got 9 bytes, want 4096",
		},
		{
			name: "body shorter than its Content-Length",
			answer: func(w http.ResponseWriter, obj []byte) {
				w.Header().Set("Content-Length", fmt.Sprint(len(obj)))
				w.Write(obj[:100])
			},
			want: "s3: get: reading the body: unexpected EOF",
		},
		{
			name:   "one byte changed, verified",
			verify: true,
			answer: func(w http.ResponseWriter, obj []byte) {
				obj[1234]++
				w.Write(obj)
			},
			want: "s3: get: reading the body: loadgen: byte 1234 of the object differs from what was put",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := newS3TestServer(t, s3ServerOptions{wrap: func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.Method != http.MethodGet {
						next.ServeHTTP(w, r)
						return
					}
					rec := httptest.NewRecorder()
					next.ServeHTTP(rec, r)
					tc.answer(w, rec.Body.Bytes())
				})
			}})
			res, err := Run(t.Context(), Config{Target: ts.target(t, nil), Workload: WorkloadGet, Size: size, Count: 2, Verify: tc.verify})
			require.NoError(t, err)
			require.Zero(t, res.Ops)
			require.EqualValues(t, 2, res.Errors)
			require.Contains(t, res.ErrorSamples[0], tc.want)
		})
	}
}

func TestRunS3Credentials(t *testing.T) {
	tests := []struct {
		name      string
		ak, sk    string
		wantError string
	}{
		{"wrong secret", testAK, "wrong", "403 Forbidden: SignatureDoesNotMatch"},
		{"unknown key", "AKOTHER", testSK, "403 Forbidden: SignatureDoesNotMatch"},
		{"unsigned", "", "", "403 Forbidden: SignatureDoesNotMatch"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := newS3TestServer(t, s3ServerOptions{})
			s := ts.target(t, func(o *S3Options) { o.AccessKey, o.SecretKey = tc.ak, tc.sk })
			res, err := Run(t.Context(), Config{Target: s, Workload: WorkloadPut, Size: 1, Count: 1})
			require.ErrorContains(t, err, "s3: checking bucket bench: "+tc.wantError)
			require.Nil(t, res)
		})
	}
	t.Run("unsigned without auth", func(t *testing.T) {
		ts := newS3TestServer(t, s3ServerOptions{noAuth: true})
		s := ts.target(t, func(o *S3Options) { o.AccessKey, o.SecretKey = "", "" })
		res, err := Run(t.Context(), Config{Target: s, Workload: WorkloadGet, Size: 10, Count: 3})
		require.NoError(t, err)
		require.EqualValues(t, 3, res.Ops)
	})
}

func TestNewS3Rejects(t *testing.T) {
	tests := []struct {
		name string
		o    S3Options
		want string
	}{
		{"no endpoint", S3Options{Bucket: "b"}, "not an http(s) URL"},
		{"no scheme", S3Options{Endpoint: "localhost:7891", Bucket: "b"}, "not an http(s) URL"},
		{"other scheme", S3Options{Endpoint: "ftp://x", Bucket: "b"}, "not an http(s) URL"},
		{"no host", S3Options{Endpoint: "http://", Bucket: "b"}, "not an http(s) URL"},
		{"query", S3Options{Endpoint: "http://x/?a=b", Bucket: "b"}, "not an http(s) URL"},
		{"no bucket", S3Options{Endpoint: "http://x"}, "bucket name"},
		{"bucket with a slash", S3Options{Endpoint: "http://x", Bucket: "a/b"}, "bucket name"},
		{"half a key pair", S3Options{Endpoint: "http://x", Bucket: "b", AccessKey: "AK"}, "both"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewS3(tc.o)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// An endpoint with a path of its own (a server behind a reverse proxy) keeps it, encoded.
func TestS3EndpointWithPath(t *testing.T) {
	var mu sync.Mutex
	var got []string
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.EscapedPath())
		mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(proxy.Close)
	s, err := NewS3(S3Options{Endpoint: proxy.URL + "/s3%20x/", Bucket: testBucket})
	require.NoError(t, err)
	require.NoError(t, s.Put(t.Context(), "k", strings.NewReader("x"), 1))
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, []string{"PUT /s3%20x/bench/k"}, got)
}

func TestURIEncode(t *testing.T) {
	tests := []struct {
		in        string
		keepSlash bool
		want      string
	}{
		{"", true, ""},
		{"AZaz09-._~", false, "AZaz09-._~"},
		{"a/b", true, "a/b"},
		{"a/b", false, "a%2Fb"},
		{"a b+c", true, "a%20b%2Bc"},
		{"%", true, "%25"},
		{"ü", true, "%C3%BC"},
		{"!*'();:@&=+$,?#[]", true, "%21%2A%27%28%29%3B%3A%40%26%3D%2B%24%2C%3F%23%5B%5D"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			require.Equal(t, tc.want, uriEncode(tc.in, tc.keepSlash))
		})
	}
}

func TestS3ErrorString(t *testing.T) {
	tests := []struct {
		name string
		e    S3Error
		want string
	}{
		{"status only", S3Error{Status: "404 Not Found"}, "404 Not Found"},
		{"S3 document", S3Error{Status: "403 Forbidden", Code: "AccessDenied", Message: "no", RequestID: "r1"}, "403 Forbidden: AccessDenied: no (request r1)"},
		{"other body", S3Error{Status: "502 Bad Gateway", Body: "<html>"}, `502 Bad Gateway: "<html>"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, tc.e.Error())
		})
	}
	var err error = &S3Error{}
	require.True(t, errors.As(fmt.Errorf("wrapped: %w", err), new(*S3Error)))
}
