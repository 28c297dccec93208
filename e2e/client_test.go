package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/stretchr/testify/require"
)

// client talks to the /v1 API, signing every request with SigV4 (service "jcs", region "any")
// unless it has no credentials.
type client struct {
	base  string
	creds *aws.Credentials
	// declare sends X-Amz-Content-Sha256 with the body's hash; otherwise the hash is only
	// signed, as a bare SDK signer does, and the server checks it at the end of the body.
	declare bool
	hc      *http.Client
}

func newClient(base string, creds *aws.Credentials) *client {
	// A transport of its own: no connection outlives the server it was made to, and no
	// compression hides the bytes the server sent. The timeout only bounds how long a hung
	// server takes to fail a test.
	tr := &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 16}
	return &client{base: base, creds: creds, hc: &http.Client{Transport: tr, Timeout: 2 * time.Minute}}
}

const (
	unsignedPayload = "UNSIGNED-PAYLOAD"
	region, service = "any", "jcs"
)

// send signs and sends a request. body is nil, a []byte (its hash is signed) or any other
// io.Reader, streamed with UNSIGNED-PAYLOAD.
func (c *client) send(ctx context.Context, method, route string, q url.Values, hdr http.Header, body any) (*http.Response, error) {
	var rd io.Reader
	payloadHash := emptySHA256
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
		payloadHash = sha256Hex(b)
	case io.Reader:
		rd = b
		payloadHash = unsignedPayload
	default:
		return nil, fmt.Errorf("send: unsupported body %T", body)
	}
	return c.sendSigned(ctx, method, route, q, hdr, rd, payloadHash, c.declare)
}

// sendSigned sends a request signed with the given payload hash, declared in
// X-Amz-Content-Sha256 if declare is set or the hash is UNSIGNED-PAYLOAD.
func (c *client) sendSigned(ctx context.Context, method, route string, q url.Values, hdr http.Header,
	body io.Reader, payloadHash string, declare bool) (*http.Response, error) {
	u := c.base + route
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	if c.creds != nil {
		if declare || payloadHash == unsignedPayload {
			req.Header.Set("X-Amz-Content-Sha256", payloadHash)
		}
		err := v4.NewSigner().SignHTTP(ctx, *c.creds, req, payloadHash, service, region, time.Now())
		if err != nil {
			return nil, err
		}
	}
	return c.hc.Do(req)
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// envelope is the JSON body of every /v1 answer but a download.
type envelope struct {
	Code      string          `json:"code"`
	Message   string          `json:"message"`
	Data      json.RawMessage `json:"data"`
	RequestID string          `json:"requestId"`
}

// reply is a JSON answer.
type reply struct {
	status int
	header http.Header
	env    envelope
	body   []byte
}

// call sends a request with a JSON body (in is marshalled, or sent as is if it is a []byte)
// and reads the JSON answer.
func (c *client) call(ctx context.Context, method, route string, q url.Values, in any) (reply, error) {
	var body any
	hdr := http.Header{}
	switch v := in.(type) {
	case nil:
	case []byte:
		body = v
		hdr.Set("Content-Type", "application/json")
	default:
		b, err := json.Marshal(in)
		if err != nil {
			return reply{}, err
		}
		body = b
		hdr.Set("Content-Type", "application/json")
	}
	resp, err := c.send(ctx, method, route, q, hdr, body)
	if err != nil {
		return reply{}, err
	}
	return readReply(resp)
}

// readReply reads a JSON answer and checks the envelope's shape: code, message and data are
// always there.
func readReply(resp *http.Response) (reply, error) {
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, err
	}
	r := reply{status: resp.StatusCode, header: resp.Header, body: b}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		return r, fmt.Errorf("%s: Content-Type %q, want application/json; body %.300q", resp.Status, ct, b)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		return r, fmt.Errorf("%s: body is not a JSON object: %v; body %.300q", resp.Status, err, b)
	}
	for _, k := range []string{"code", "message", "data"} {
		if _, ok := keys[k]; !ok {
			return r, fmt.Errorf("%s: envelope has no %q: %.300s", resp.Status, k, b)
		}
	}
	if err := json.Unmarshal(b, &r.env); err != nil {
		return r, fmt.Errorf("%s: envelope: %v; body %.300s", resp.Status, err, b)
	}
	return r, nil
}

// ok calls a JSON route, requires 200 with code OK, and decodes data into out unless out is
// nil. It returns the raw data.
func (c *client) ok(t *testing.T, method, route string, q url.Values, in, out any) json.RawMessage {
	t.Helper()
	r, err := c.call(t.Context(), method, route, q, in)
	require.NoError(t, err, "%s %s", method, route)
	require.Equal(t, http.StatusOK, r.status, "%s %s: %s", method, route, r.body)
	require.Equal(t, "OK", r.env.Code, "%s %s: %s", method, route, r.body)
	if out != nil {
		require.NoError(t, json.Unmarshal(r.env.Data, out), "%s %s: data %s", method, route, r.env.Data)
	}
	return r.env.Data
}

// fails calls a JSON route and requires the given status and code, with a message and null
// data.
func (c *client) fails(t *testing.T, status int, code, method, route string, q url.Values, in any) reply {
	t.Helper()
	r, err := c.call(t.Context(), method, route, q, in)
	require.NoError(t, err, "%s %s", method, route)
	requireError(t, r, status, code)
	return r
}

func requireError(t *testing.T, r reply, status int, code string) {
	t.Helper()
	require.Equal(t, status, r.status, "body: %s", r.body)
	require.Equal(t, code, r.env.Code, "body: %s", r.body)
	require.NotEmpty(t, r.env.Message, "an error needs a message: %s", r.body)
	require.Equal(t, "null", string(r.env.Data), "an error carries null data: %s", r.body)
}

// The /v1 DTOs, as the seed document shows them.

type bucketJSON struct {
	BucketID int64  `json:"bucketID"`
	Name     string `json:"name"`
}

type packageJSON struct {
	PackageID  int64     `json:"packageID"`
	Name       string    `json:"name"`
	BucketID   int64     `json:"bucketID"`
	CreateTime time.Time `json:"createTime"` // RFC 3339 with offset, or decoding fails
}

type redundancyJSON struct {
	Type      string `json:"type"`
	RepCount  int    `json:"repCount"`
	K         int    `json:"k"`
	N         int    `json:"n"`
	ChunkSize int    `json:"chunkSize"`
}

type objectJSON struct {
	ObjectID   int64          `json:"objectID"`
	PackageID  int64          `json:"packageID"`
	Path       string         `json:"path"`
	Size       string         `json:"size"` // a JSON string, or decoding fails
	FileHash   string         `json:"fileHash"`
	Redundancy redundancyJSON `json:"redundancy"`
	CreateTime time.Time      `json:"createTime"`
	UpdateTime time.Time      `json:"updateTime"`
}

type listJSON struct {
	NextContinuationToken string       `json:"nextContinuationToken"`
	IsTruncated           bool         `json:"isTruncated"`
	CommonPrefixes        []string     `json:"commonPrefixes"`
	Objects               []objectJSON `json:"objects"`
}

// Resource helpers; each requires success.

func (c *client) createBucket(t *testing.T, name string) bucketJSON {
	t.Helper()
	var d struct{ Bucket bucketJSON }
	c.ok(t, "POST", "/v1/bucket/create", nil, map[string]any{"userID": 1, "name": name}, &d)
	require.Equal(t, name, d.Bucket.Name)
	require.Positive(t, d.Bucket.BucketID)
	return d.Bucket
}

func (c *client) createPackage(t *testing.T, bucket int64, name string) packageJSON {
	t.Helper()
	var d struct{ Package packageJSON }
	c.ok(t, "POST", "/v1/package/create", nil, map[string]any{"bucketID": bucket, "name": name}, &d)
	require.Equal(t, name, d.Package.Name)
	require.Equal(t, bucket, d.Package.BucketID)
	require.Positive(t, d.Package.PackageID)
	require.False(t, d.Package.CreateTime.IsZero())
	return d.Package
}

// newPackage creates a bucket and a package in it and returns the package ID.
func (c *client) newPackage(t *testing.T, name string) int64 {
	t.Helper()
	return c.createPackage(t, c.createBucket(t, name).BucketID, name).PackageID
}

// formPart is one file part of a multipart/form-data body.
type formPart struct {
	field    string // "files" for upload, "file" for uploadPart
	filename string // sent as is: the caller URL-encodes object paths
	body     io.Reader
}

// postForm streams a multipart/form-data request: an "info" part (info marshalled, or sent as
// is if it is a []byte), then parts. The body goes through a pipe and is never held whole.
func (c *client) postForm(ctx context.Context, route string, info any, parts []formPart) (*http.Response, error) {
	infoJSON, ok := info.([]byte)
	if !ok {
		var err error
		if infoJSON, err = json.Marshal(info); err != nil {
			return nil, err
		}
	}
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		pw.CloseWithError(writeForm(mw, infoJSON, parts))
	}()
	hdr := http.Header{"Content-Type": {mw.FormDataContentType()}}
	resp, err := c.send(ctx, "POST", route, nil, hdr, io.Reader(pr))
	if err != nil {
		pr.CloseWithError(err) // stops the writer if the transport did not close the body
	}
	return resp, err
}

func writeForm(mw *multipart.Writer, info []byte, parts []formPart) error {
	w, err := mw.CreateFormField("info")
	if err != nil {
		return err
	}
	if _, err := w.Write(info); err != nil {
		return err
	}
	for _, p := range parts {
		w, err := mw.CreateFormFile(p.field, p.filename)
		if err != nil {
			return err
		}
		if _, err := io.Copy(w, p.body); err != nil {
			return err
		}
	}
	return mw.Close()
}

// filesOf returns the upload parts of objs: their paths URL-encoded, their content streamed.
func filesOf(objs ...object) []formPart {
	parts := make([]formPart, len(objs))
	for i, o := range objs {
		parts[i] = formPart{field: "files", filename: url.PathEscape(o.path), body: o.reader()}
	}
	return parts
}

// uploadCtx uploads objs to a package in one request and returns the JSON answer.
func (c *client) uploadCtx(ctx context.Context, pkg int64, parts []formPart) (reply, error) {
	resp, err := c.postForm(ctx, "/v1/object/upload", map[string]any{"userID": 1, "packageID": pkg}, parts)
	if err != nil {
		return reply{}, err
	}
	return readReply(resp)
}

// upload uploads objs to a package in one request, requires success and checks each object
// the server reports against what was sent.
func (c *client) upload(t *testing.T, pkg int64, objs ...object) []objectJSON {
	t.Helper()
	r, err := c.uploadCtx(t.Context(), pkg, filesOf(objs...))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, r.status, "upload: %s", r.body)
	require.Equal(t, "OK", r.env.Code, "upload: %s", r.body)
	var d struct{ Uploadeds []objectJSON }
	require.NoError(t, json.Unmarshal(r.env.Data, &d), "upload: %s", r.body)
	require.Len(t, d.Uploadeds, len(objs), "upload: %s", r.body)
	for i, o := range objs {
		requireObject(t, o, pkg, d.Uploadeds[i])
	}
	return d.Uploadeds
}

// requireObject checks the /v1 view of an object against what was uploaded.
func requireObject(t *testing.T, want object, pkg int64, got objectJSON) {
	t.Helper()
	require.Equal(t, want.path, got.Path)
	require.Equal(t, pkg, got.PackageID, "object %q", got.Path)
	require.Positive(t, got.ObjectID, "object %q", got.Path)
	require.Equal(t, strconv.FormatInt(want.size, 10), got.Size, "object %q", got.Path)
	require.Equal(t, want.fileHash(), got.FileHash, "object %q", got.Path)
	require.Equal(t, expectedRedundancy(want.size), got.Redundancy, "object %q", got.Path)
	require.False(t, got.CreateTime.IsZero(), "object %q", got.Path)
	require.False(t, got.UpdateTime.Before(got.CreateTime), "object %q: updateTime before createTime", got.Path)
}

// The server's embedded default policy (DESIGN.md §3, engine defaults).
const (
	smallObjectSize = 256 << 10
	chunkSize       = 1 << 20
	dataShards      = 4
	totalShards     = 6
	stripeSize      = dataShards * chunkSize
)

// expectedRedundancy is the redundancy the default policy gives an object of size bytes:
// nothing for empty, 3 replicas up to 256 KiB, else EC 4+2 with 1 MiB chunks.
func expectedRedundancy(size int64) redundancyJSON {
	switch {
	case size == 0:
		return redundancyJSON{Type: "none"}
	case size <= smallObjectSize:
		return redundancyJSON{Type: "rep", RepCount: totalShards - dataShards + 1}
	}
	return redundancyJSON{Type: "ec", K: dataShards, N: totalShards, ChunkSize: chunkSize}
}

// shardFiles is how many shard files an uploaded object of size bytes needs.
func shardFiles(size int64) int {
	switch {
	case size == 0:
		return 0
	case size <= smallObjectSize:
		return totalShards - dataShards + 1
	}
	return totalShards
}

// get sends a signed GET (or HEAD) and returns the response for the caller to read.
func (c *client) get(ctx context.Context, route string, q url.Values, hdr http.Header) (*http.Response, error) {
	return c.send(ctx, "GET", route, q, hdr, nil)
}

// fetch downloads with a GET, requires wantStatus and application/octet-stream, and returns
// the body.
func (c *client) fetch(t *testing.T, route string, q url.Values, hdr http.Header, wantStatus int) ([]byte, http.Header) {
	t.Helper()
	resp, err := c.get(t.Context(), route, q, hdr)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err, "reading %s %v", route, q)
	require.Equal(t, wantStatus, resp.StatusCode, "%s %v: %.300s", route, q, b)
	require.Equal(t, "application/octet-stream", resp.Header.Get("Content-Type"), "%s %v", route, q)
	require.Equal(t, strconv.Itoa(len(b)), resp.Header.Get("Content-Length"), "%s %v", route, q)
	return b, resp.Header
}

// downloadSum streams an object's download through SHA-256 and returns the hash and length.
func (c *client) downloadSum(ctx context.Context, id int64) ([32]byte, int64, error) {
	resp, err := c.get(ctx, "/v1/object/download", url.Values{"objectID": {itoa(id)}}, nil)
	if err != nil {
		return [32]byte{}, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
		return [32]byte{}, 0, fmt.Errorf("download %d: %s: %s", id, resp.Status, b)
	}
	h := sha256.New()
	n, err := io.Copy(h, resp.Body)
	if err != nil {
		return [32]byte{}, n, fmt.Errorf("download %d: after %d bytes: %w", id, n, err)
	}
	var sum [32]byte
	h.Sum(sum[:0])
	return sum, n, nil
}

// requireContent downloads object id and requires it to be exactly want's content.
func (c *client) requireContent(t *testing.T, id int64, want object) {
	t.Helper()
	sum, n, err := c.downloadSum(t.Context(), id)
	require.NoError(t, err, "object %q", want.path)
	require.Equal(t, want.size, n, "object %q: length", want.path)
	require.Equal(t, want.sum(), sum, "object %q: content differs", want.path)
}

// packageObjects returns every object of a package, from getPackageObjects.
func (c *client) packageObjects(t *testing.T, pkg int64) []objectJSON {
	t.Helper()
	var d struct{ Objects []objectJSON }
	raw := c.ok(t, "GET", "/v1/object/getPackageObjects", url.Values{"packageID": {itoa(pkg)}}, nil, &d)
	require.NotNil(t, d.Objects, "objects must be a list, even empty: %s", raw)
	return d.Objects
}

// listAll pages through listByPath with maxKeys and returns every object and common prefix,
// checking the paging fields on the way.
func (c *client) listAll(t *testing.T, q url.Values, maxKeys int) ([]objectJSON, []string) {
	t.Helper()
	var objs []objectJSON
	var prefixes []string
	q.Set("maxKeys", strconv.Itoa(maxKeys))
	q.Del("continuationToken")
	for page := 0; ; page++ {
		require.Less(t, page, 10_000, "listByPath does not end")
		var d listJSON
		raw := c.ok(t, "GET", "/v1/object/listByPath", q, nil, &d)
		require.NotNil(t, d.Objects, "objects must be a list: %s", raw)
		require.NotNil(t, d.CommonPrefixes, "commonPrefixes must be a list: %s", raw)
		require.LessOrEqual(t, len(d.Objects)+len(d.CommonPrefixes), maxKeys, "page over maxKeys: %s", raw)
		objs = append(objs, d.Objects...)
		prefixes = append(prefixes, d.CommonPrefixes...)
		if !d.IsTruncated {
			return objs, prefixes
		}
		require.NotEmpty(t, d.NextContinuationToken, "a truncated page needs a token: %s", raw)
		require.NotZero(t, len(d.Objects)+len(d.CommonPrefixes), "a truncated page must make progress: %s", raw)
		q.Set("continuationToken", d.NextContinuationToken)
	}
}

// byPath returns a copy of objs sorted by path, the order of listings.
func byPath(objs []objectJSON) []objectJSON {
	out := slices.Clone(objs)
	slices.SortFunc(out, func(a, b objectJSON) int { return strings.Compare(a.Path, b.Path) })
	return out
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
