package nativeapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine"
	"github.com/jointcloud/jcs/engine/space"
	"github.com/jointcloud/jcs/engine/space/memspace"
	"github.com/jointcloud/jcs/kv"
	"github.com/jointcloud/jcs/nativeapi"
	"github.com/jointcloud/jcs/sigv4"
)

// The harness: an httptest.Server running nativeapi over a real engine on an in-memory index
// and six in-memory user spaces, and a net/http client that signs its requests with the
// aws-sdk-go-v2 SigV4 signer, as a real /v1 client would.

const (
	testAccessKey = "AKID"
	testSecret    = "SECRET"

	// chunkSize is the engine's erasure block: small, so that a few hundred KiB cross stripes.
	chunkSize = 64 << 10
	// stripeSize is the data one EC stripe holds (k chunks).
	stripeSize = engine.DefaultDataShards * chunkSize
	// smallSize is the largest object stored as replicas rather than erasure-coded.
	smallSize = 16 << 10

	emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// harness is a test's (or subtest's) handle on a server: every test builds its own server,
// and its subtests share it through sub.
type harness struct {
	t *testing.T
	*server
}

// server is an httptest.Server running nativeapi over one engine.
type server struct {
	srv    *httptest.Server
	client *http.Client
	creds  aws.Credentials
	spaces []*memspace.Space
	logs   *syncBuffer
	eng    *engine.Engine

	// puts receives, without blocking, the name of every shard Put the engine starts.
	puts chan string

	mu       sync.Mutex
	idle     *sync.Cond
	active   int      // requests being served
	jsonSeen [][]byte // every non-octet-stream response body, checked for the secret
}

// sub returns a handle on h's server for the subtest t, so that helpers fail t, not its parent.
func (h *harness) sub(t *testing.T) *harness { return &harness{t: t, server: h.server} }

func newHarness(t *testing.T) *harness {
	t.Helper()
	h, _ := newHarnessWith(t, nil)
	return h
}

// newHarnessWith is newHarness with the engine options changed by edit (if not nil) before
// the engine starts; it returns the engine too. The six shard spaces are in memory, under
// /mem/.
func newHarnessWith(t *testing.T, edit func(h *harness, o *engine.Options)) (*harness, *engine.Engine) {
	t.Helper()
	h := &harness{t: t, server: &server{
		creds: aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecret},
		logs:  &syncBuffer{},
		puts:  make(chan string, 1),
	}}
	h.idle = sync.NewCond(&h.mu)
	store, err := kv.OpenInMemory()
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	spaces := map[engine.SpaceID]space.Space{}
	var smu sync.Mutex
	o := engine.Options{
		Store:           store,
		ChunkSize:       chunkSize,
		SmallObjectSize: smallSize,
		GCInterval:      time.Hour,
		Logger:          slog.New(slog.DiscardHandler),
		OpenSpace: func(_ context.Context, us engine.UserSpace) (space.Space, error) {
			smu.Lock()
			defer smu.Unlock()
			if sp, ok := spaces[us.ID]; ok {
				return sp, nil
			}
			m := memspace.New()
			h.spaces = append(h.spaces, m)
			spaces[us.ID] = &signalSpace{Space: m, puts: h.puts}
			return spaces[us.ID], nil
		},
	}
	if edit != nil {
		edit(h, &o)
	}
	e, err := engine.New(t.Context(), o)
	require.NoError(t, err)
	t.Cleanup(func() { e.Close() })
	h.eng = e
	for i := range 6 {
		_, err := e.CreateUserSpace(t.Context(), engine.CreateUserSpaceInput{
			Name: fmt.Sprintf("space%d", i+1), Storage: engine.StorageConfig{Type: engine.StorageLocal, Path: fmt.Sprintf("/mem/space%d", i+1)},
			ShardStore: &engine.ShardStoreConfig{},
		})
		require.NoError(t, err)
	}
	api, err := nativeapi.New(e, nativeapi.Options{
		Credentials: sigv4.StaticCredentials{testAccessKey: testSecret},
		Logger:      slog.New(slog.NewTextHandler(h.logs, nil)),
	})
	require.NoError(t, err)
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.active++
		h.mu.Unlock()
		defer func() {
			h.mu.Lock()
			h.active--
			h.idle.Broadcast()
			h.mu.Unlock()
		}()
		api.ServeHTTP(w, r)
	}))
	t.Cleanup(h.srv.Close)
	h.client = h.srv.Client()
	t.Cleanup(h.checkNoSecret)
	return h, e
}

// waitIdle blocks until the server is serving no request: a handler whose client went away
// has returned.
func (h *harness) waitIdle() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for h.active > 0 {
		h.idle.Wait()
	}
}

// checkNoSecret fails the test if the secret key appears in a JSON response body or a log line.
func (h *harness) checkNoSecret() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, b := range h.jsonSeen {
		require.NotContains(h.t, string(b), testSecret, "a response body contains the secret key")
	}
	require.NotContains(h.t, h.logs.String(), testSecret, "the log contains the secret key")
}

// shardCount returns how many blobs the user spaces hold, once every small object the engine
// deferred is placed.
func (h *harness) shardCount() int {
	h.t.Helper()
	_, err := h.eng.PlaceDeferred(h.t.Context())
	require.NoError(h.t, err)
	n := 0
	for _, m := range h.spaces {
		after := ""
		for {
			infos, next, err := m.List(h.t.Context(), "", after, 1000)
			require.NoError(h.t, err)
			n += len(infos)
			if next == "" {
				break
			}
			after = next
		}
	}
	return n
}

// signalSpace reports each Put it starts on puts, dropping the report if nobody listens.
type signalSpace struct {
	space.Space
	puts chan string
}

func (s *signalSpace) Put(ctx context.Context, name string, r io.Reader, size int64) error {
	select {
	case s.puts <- name:
	default:
	}
	return s.Space.Put(ctx, name, r, size)
}

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

// Signing.

// signMode says how a request is authenticated.
type signMode int

const (
	// signDeclared signs the body's SHA-256 and declares it in X-Amz-Content-Sha256.
	signDeclared signMode = iota
	// signUndeclared signs the body's SHA-256 without the header, as curl --aws-sigv4 does;
	// the server checks the signature when it reaches the end of the body.
	signUndeclared
	// signUnsignedPayload declares UNSIGNED-PAYLOAD, for bodies streamed from a pipe.
	signUnsignedPayload
	// signPresigned puts the signature in the query (PresignHTTP), with UNSIGNED-PAYLOAD.
	signPresigned
)

func (m signMode) String() string {
	return [...]string{"declared", "undeclared", "unsignedPayload", "presigned"}[m]
}

func hexSHA256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// signRequest authenticates req, whose body is body (unused for signUnsignedPayload and
// signPresigned), with creds at now.
func signRequest(ctx context.Context, req *http.Request, body []byte, mode signMode, creds aws.Credentials, now time.Time) error {
	signer := v4.NewSigner()
	switch mode {
	case signDeclared:
		hash := hexSHA256(body)
		req.Header.Set("X-Amz-Content-Sha256", hash)
		return signer.SignHTTP(ctx, creds, req, hash, "jcs", "any", now)
	case signUndeclared:
		return signer.SignHTTP(ctx, creds, req, hexSHA256(body), "jcs", "any", now)
	case signUnsignedPayload:
		req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
		return signer.SignHTTP(ctx, creds, req, "UNSIGNED-PAYLOAD", "jcs", "any", now)
	case signPresigned:
		q := req.URL.Query()
		if !q.Has("X-Amz-Expires") {
			q.Set("X-Amz-Expires", "300")
		}
		req.URL.RawQuery = q.Encode()
		signed, hdr, err := signer.PresignHTTP(ctx, creds, req, "UNSIGNED-PAYLOAD", "jcs", "any", now)
		if err != nil {
			return err
		}
		if req.URL, err = url.Parse(signed); err != nil {
			return err
		}
		for k, vs := range hdr {
			if !strings.EqualFold(k, "host") {
				req.Header[k] = vs
			}
		}
	}
	return nil
}

// sign is signRequest for the test goroutine.
func sign(t *testing.T, req *http.Request, body []byte, mode signMode, creds aws.Credentials, now time.Time) *http.Request {
	t.Helper()
	require.NoError(t, signRequest(t.Context(), req, body, mode, creds, now))
	return req
}

// Requests and responses.

// response is what the server answered.
type response struct {
	status int
	header http.Header
	body   []byte
}

// envelope is the /v1 JSON envelope as a client reads it.
type envelope struct {
	Code      string          `json:"code"`
	Message   string          `json:"message"`
	Data      json.RawMessage `json:"data"`
	RequestID string          `json:"requestId"`
}

// buildRequest builds an unsigned request for target ("/v1/...?query") on the test server.
func (h *harness) buildRequest(ctx context.Context, method, target string, body []byte, contentType string) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, h.srv.URL+target, rd)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return req, nil
}

// newRequest is buildRequest for the test goroutine.
func (h *harness) newRequest(method, target string, body []byte, contentType string) *http.Request {
	h.t.Helper()
	req, err := h.buildRequest(h.t.Context(), method, target, body, contentType)
	require.NoError(h.t, err)
	return req
}

// try sends a request signed in mode; it returns errors rather than failing the test, so
// that it can run on other goroutines.
func (h *harness) try(ctx context.Context, method, target string, body []byte, contentType string, mode signMode) (response, error) {
	req, err := h.buildRequest(ctx, method, target, body, contentType)
	if err != nil {
		return response{}, err
	}
	if err := signRequest(ctx, req, body, mode, h.creds, time.Now()); err != nil {
		return response{}, err
	}
	return h.roundTrip(req)
}

// roundTrip sends req and reads the whole response. It returns an error rather than failing
// the test, so that it can run on other goroutines.
func (h *harness) roundTrip(req *http.Request) (response, error) {
	resp, err := h.client.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, err
	}
	if resp.Header.Get("Content-Type") != "application/octet-stream" {
		h.mu.Lock()
		h.jsonSeen = append(h.jsonSeen, b)
		h.mu.Unlock()
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

func (h *harness) send(req *http.Request) response {
	h.t.Helper()
	r, err := h.roundTrip(req)
	require.NoError(h.t, err)
	return r
}

// defaultMode declares the payload hash of requests with a body and leaves it undeclared on
// the others, so that both ways of signing run everywhere.
func defaultMode(body []byte) signMode {
	if len(body) > 0 {
		return signDeclared
	}
	return signUndeclared
}

// raw sends a signed request with a raw body.
func (h *harness) raw(method, target string, body []byte, contentType string) response {
	h.t.Helper()
	req := h.newRequest(method, target, body, contentType)
	return h.send(sign(h.t, req, body, defaultMode(body), h.creds, time.Now()))
}

// call sends a signed request whose body is v as JSON (nil: no body).
func (h *harness) call(method, target string, v any) response {
	h.t.Helper()
	var body []byte
	switch b := v.(type) {
	case nil:
	case []byte:
		body = b
	case string:
		body = []byte(b)
	default:
		var err error
		body, err = json.Marshal(v)
		require.NoError(h.t, err)
	}
	ct := ""
	if body != nil {
		ct = "application/json"
	}
	return h.raw(method, target, body, ct)
}

// env decodes r as a JSON envelope, checking the envelope's shape.
func (r response) env(t *testing.T) envelope {
	t.Helper()
	require.Equal(t, "application/json", r.header.Get("Content-Type"), "body: %s", r.body)
	var keys map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(r.body, &keys), "body: %s", r.body)
	for _, k := range []string{"code", "message", "data"} {
		require.Contains(t, keys, k, "envelope %s lacks %q", r.body, k)
	}
	var e envelope
	require.NoError(t, json.Unmarshal(r.body, &e))
	return e
}

// ok requires a 200 OK envelope and decodes its data into out (if not nil).
func (h *harness) ok(r response, out any) {
	h.t.Helper()
	require.Equal(h.t, http.StatusOK, r.status, "body: %s", r.body)
	e := r.env(h.t)
	require.Equal(h.t, "OK", e.Code)
	require.Empty(h.t, e.Message)
	if out != nil {
		dec := json.NewDecoder(bytes.NewReader(e.Data))
		require.NoError(h.t, dec.Decode(out), "data: %s", e.Data)
	}
}

// failed requires an error envelope with the given status and code and returns it.
func (h *harness) failed(r response, status int, code string) envelope {
	h.t.Helper()
	return requireError(h.t, r, status, code)
}

func requireError(t *testing.T, r response, status int, code string) envelope {
	t.Helper()
	require.Equal(t, status, r.status, "body: %s", r.body)
	e := r.env(t)
	require.Equal(t, code, e.Code, "body: %s", r.body)
	require.NotEmpty(t, e.Message)
	require.Equal(t, "null", string(e.Data))
	require.NotEmpty(t, e.RequestID)
	require.Equal(t, r.header.Get("X-Request-Id"), e.RequestID)
	return e
}

// target builds "/v1/<route>?k=v&..." from key/value pairs.
func target(route string, kvs ...any) string {
	q := url.Values{}
	for i := 0; i < len(kvs); i += 2 {
		q.Set(kvs[i].(string), fmt.Sprint(kvs[i+1]))
	}
	if len(q) == 0 {
		return route
	}
	return route + "?" + q.Encode()
}

// Wire types, as a client declares them from the seed document.

type wireBucket struct {
	BucketID uint64 `json:"bucketID"`
	Name     string `json:"name"`
}

type wirePackage struct {
	PackageID  uint64    `json:"packageID"`
	Name       string    `json:"name"`
	BucketID   uint64    `json:"bucketID"`
	CreateTime time.Time `json:"createTime"`
}

type wireObject struct {
	ObjectID   uint64          `json:"objectID"`
	PackageID  uint64          `json:"packageID"`
	Path       string          `json:"path"`
	Size       string          `json:"size"` // a JSON string
	FileHash   string          `json:"fileHash"`
	Redundancy json.RawMessage `json:"redundancy"`
	CreateTime time.Time       `json:"createTime"`
	UpdateTime time.Time       `json:"updateTime"`
}

type wireList struct {
	NextContinuationToken string       `json:"nextContinuationToken"`
	IsTruncated           bool         `json:"isTruncated"`
	CommonPrefixes        []string     `json:"commonPrefixes"`
	Objects               []wireObject `json:"objects"`
}

// objectKeys are the fields of an object in the seed's examples.
var objectKeys = []string{"objectID", "packageID", "path", "size", "fileHash", "redundancy", "createTime", "updateTime"}

// requireKeys requires the JSON object raw to have at least the given fields.
func requireKeys(t *testing.T, raw json.RawMessage, keys ...string) {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(raw, &m), "%s", raw)
	for _, k := range keys {
		require.Contains(t, m, k, "%s lacks %q", raw, k)
	}
}

// fileHash is the /v1 fileHash of content.
func fileHash(content []byte) string {
	s := sha256.Sum256(content)
	return "Full" + strings.ToUpper(hex.EncodeToString(s[:]))
}

// wantRedundancy is the redundancy the server gives new content of n bytes.
func wantRedundancy(n int) string {
	switch {
	case n == 0:
		return `{"type":"none"}`
	case n <= smallSize:
		return `{"type":"rep","repCount":3}`
	}
	return fmt.Sprintf(`{"type":"ec","k":4,"n":6,"chunkSize":%d}`, chunkSize)
}

// requireObject checks an object's fields against the content it should hold.
func requireObject(t *testing.T, o wireObject, pkg uint64, path string, content []byte) {
	t.Helper()
	require.NotZero(t, o.ObjectID)
	require.Equal(t, pkg, o.PackageID)
	require.Equal(t, path, o.Path)
	require.Equal(t, strconv.Itoa(len(content)), o.Size)
	require.Equal(t, fileHash(content), o.FileHash)
	require.Regexp(t, `^Full[0-9A-F]{64}$`, o.FileHash)
	require.JSONEq(t, wantRedundancy(len(content)), string(o.Redundancy))
	require.False(t, o.CreateTime.IsZero())
	require.False(t, o.UpdateTime.Before(o.CreateTime))
}

// randomBytes returns n reproducible pseudo-random bytes.
func randomBytes(seed uint64, n int) []byte {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	b := make([]byte, n)
	rand.NewChaCha8(key).Read(b)
	return b
}

// Resources.

var nameSeq struct {
	sync.Mutex
	n int
}

// uniqueName returns prefix and a number no other call of the test binary returns.
func uniqueName(prefix string) string {
	nameSeq.Lock()
	defer nameSeq.Unlock()
	nameSeq.n++
	return fmt.Sprintf("%s%d", prefix, nameSeq.n)
}

func (h *harness) createBucket(name string) wireBucket {
	h.t.Helper()
	var out struct {
		Bucket wireBucket `json:"bucket"`
	}
	h.ok(h.call("POST", "/v1/bucket/create", map[string]any{"userID": 1, "name": name}), &out)
	require.Equal(h.t, name, out.Bucket.Name)
	return out.Bucket
}

func (h *harness) createPackage(bucket uint64, name string) wirePackage {
	h.t.Helper()
	var out struct {
		Package wirePackage `json:"package"`
	}
	h.ok(h.call("POST", "/v1/package/create", map[string]any{"bucketID": bucket, "name": name}), &out)
	require.Equal(h.t, name, out.Package.Name)
	require.Equal(h.t, bucket, out.Package.BucketID)
	return out.Package
}

// newPackage creates a bucket and a package in it and returns the package's ID.
func (h *harness) newPackage() uint64 {
	h.t.Helper()
	return h.createPackage(h.createBucket(uniqueName("bkt")).BucketID, "pkg").PackageID
}

// Objects.

func (h *harness) download(id uint64, kvs ...any) response {
	h.t.Helper()
	return h.call("GET", target("/v1/object/download", append([]any{"objectID", id}, kvs...)...), nil)
}

// content downloads an object whole.
func (h *harness) content(id uint64) []byte {
	h.t.Helper()
	r := h.download(id)
	require.Equal(h.t, http.StatusOK, r.status, "body: %s", r.body)
	require.Equal(h.t, "application/octet-stream", r.header.Get("Content-Type"))
	return r.body
}

// packageObjects lists a package with getPackageObjects.
func (h *harness) packageObjects(pkg uint64) []wireObject {
	h.t.Helper()
	var out struct {
		Objects []wireObject `json:"objects"`
	}
	h.ok(h.call("GET", target("/v1/object/getPackageObjects", "packageID", pkg), nil), &out)
	require.NotNil(h.t, out.Objects, "objects must be an array, not null")
	return out.Objects
}

func paths(objs []wireObject) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o.Path
	}
	return out
}

// fixture is a set of objects and the content each must keep.
type fixture struct {
	pkg     uint64
	objects []wireObject
	content map[uint64][]byte
}

// newFixture uploads an empty, a small and a multi-stripe object to a new package.
func (h *harness) newFixture() fixture {
	h.t.Helper()
	f := fixture{pkg: h.newPackage(), content: map[uint64][]byte{}}
	files := []file{
		{"empty", nil},
		{"small.txt", []byte("testdata")},
		{"dir/large.bin", randomBytes(1, 2*stripeSize+1234)},
	}
	f.objects = h.upload(f.pkg, files...)
	for i, o := range f.objects {
		f.content[o.ObjectID] = files[i].data
	}
	return f
}

// requireIntact checks that the fixture's package holds exactly its objects, unchanged.
func (h *harness) requireIntact(f fixture) {
	h.t.Helper()
	got := h.packageObjects(f.pkg)
	want := slices.Clone(f.objects)
	slices.SortFunc(want, func(a, b wireObject) int { return strings.Compare(a.Path, b.Path) })
	require.Equal(h.t, paths(want), paths(got))
	for i, o := range got {
		require.Equal(h.t, want[i].ObjectID, o.ObjectID)
		require.Equal(h.t, want[i].FileHash, o.FileHash)
		requireBytes(h.t, f.content[o.ObjectID], h.content(o.ObjectID), "object %q changed", o.Path)
	}
}

// requireBytes requires got to equal want, treating nil and empty alike and keeping large
// contents out of the failure message.
func requireBytes(t *testing.T, want, got []byte, msgAndArgs ...any) {
	t.Helper()
	if bytes.Equal(want, got) {
		return
	}
	i := 0
	for i < min(len(want), len(got)) && want[i] == got[i] {
		i++
	}
	require.Fail(t, fmt.Sprintf("content differs: want %d bytes, got %d, first difference at byte %d", len(want), len(got), i), msgAndArgs...)
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	require.NoError(t, err)
	return n
}

// rangeOf is the Content-Range of bytes first..last of size.
func rangeOf(first, last, size int) string { return fmt.Sprintf("bytes %d-%d/%d", first, last, size) }

// setBody replaces a (signed) request's body, as a tampering proxy would.
func setBody(req *http.Request, body []byte) {
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	req.ContentLength = int64(len(body))
}
