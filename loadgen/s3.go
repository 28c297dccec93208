package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// DefaultS3Region is the signing region when S3Options.Region is empty: the one S3 servers
// other than AWS (MinIO, gofakes3, jcs) accept by default.
const DefaultS3Region = "us-east-1"

// unsignedPayload is the SigV4 payload hash that leaves the body out of the signature.
const unsignedPayload = "UNSIGNED-PAYLOAD"

// S3Options configures an S3 target.
type S3Options struct {
	// Endpoint is the server's base URL, e.g. "http://127.0.0.1:7891". Required. Requests are
	// path-style: ENDPOINT/BUCKET/KEY.
	Endpoint string
	// Bucket is the bucket the run writes to and reads from; Setup creates it if it is
	// missing. Required.
	Bucket string
	// Prefix is prepended to every object key, e.g. "bench/"; empty means none.
	Prefix string
	// Region is the SigV4 signing region; empty means DefaultS3Region. Setup also names it as
	// the location of a bucket it creates, unless it is DefaultS3Region.
	Region string
	// AccessKey and SecretKey sign every request with SigV4 (service "s3", UNSIGNED-PAYLOAD);
	// SessionToken, if set, goes in X-Amz-Security-Token. Empty keys mean unsigned
	// (anonymous) requests, for servers without authentication.
	AccessKey, SecretKey, SessionToken string
	// Conns is how many keep-alive connections the client keeps open: set it to the run's
	// concurrency, which is how many requests are in flight at once. 0 means 1. Ignored if
	// Client is set.
	Conns int
	// Client sends the requests; nil means a client tuned for bulk transfers with Conns
	// connections.
	Client *http.Client
}

// S3 is the Target of any S3-compatible server: jcs's S3 front end, MinIO, gofakes3, AWS.
// Put is one PutObject, Get one GetObject of the whole object; Setup makes sure the bucket
// exists. Objects stay on the server after the run.
//
// Nothing on the wire is specific to jcs: plain HTTP/1.1 requests, path-style URLs with keys
// URI-encoded as SigV4 encodes them, SigV4 headers from aws-sdk-go-v2's signer. The body is
// not hashed: every request declares X-Amz-Content-Sha256: UNSIGNED-PAYLOAD, which S3 and its
// imitators accept, so that the client spends no CPU on SHA-256 (about 1.7 GB/s per core)
// on a machine it shares with the server under test. Bodies are sent with a Content-Length
// and never chunk-encoded.
//
// S3 is safe for concurrent use.
type S3 struct {
	base     *url.URL // endpoint, Path without a trailing "/"
	endpoint string   // as given, for String
	bucket   string
	prefix   string
	region   string
	client   *http.Client
	creds    aws.Credentials
	signer   *v4.Signer // nil: requests are sent unsigned
}

var _ Target = (*S3)(nil)

// NewS3 returns an S3 target; it contacts the server only from Setup on.
func NewS3(o S3Options) (*S3, error) {
	u, err := url.Parse(o.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("loadgen: endpoint %q is not an http(s) URL", o.Endpoint)
	}
	if err := checkBucketName(o.Bucket); err != nil {
		return nil, err
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	t := &S3{
		base: u, endpoint: strings.TrimSuffix(o.Endpoint, "/"),
		bucket: o.Bucket, prefix: o.Prefix, region: o.Region, client: o.Client,
	}
	if t.region == "" {
		t.region = DefaultS3Region
	}
	if t.client == nil {
		t.client = newHTTPClient(max(o.Conns, 1))
	}
	switch {
	case o.AccessKey != "" && o.SecretKey != "":
		t.creds = aws.Credentials{AccessKeyID: o.AccessKey, SecretAccessKey: o.SecretKey, SessionToken: o.SessionToken}
		// S3 signs the path as sent, encoded once: the signer must not encode it again.
		t.signer = v4.NewSigner(func(so *v4.SignerOptions) { so.DisableURIPathEscaping = true })
	case o.AccessKey != "" || o.SecretKey != "":
		return nil, errors.New("loadgen: s3: set both the access key and the secret key, or neither")
	}
	return t, nil
}

// checkBucketName rejects names that cannot be one segment of a path-style URL. Anything else
// is the server's to judge.
func checkBucketName(b string) error {
	if b == "" || strings.ContainsAny(b, "/?#") {
		return fmt.Errorf("loadgen: s3: bucket name %q is empty or holds '/', '?' or '#'", b)
	}
	return nil
}

// String names the target in results.
func (t *S3) String() string { return "s3 " + t.endpoint + "/" + t.bucket }

// Setup makes sure the bucket exists: HeadBucket, then CreateBucket if the server says 404. A
// bucket created meanwhile by someone else with the same credentials
// (BucketAlreadyOwnedByYou) is fine.
func (t *S3) Setup(ctx context.Context) error {
	err := t.headBucket(ctx)
	var se *S3Error
	switch {
	case err == nil:
		return nil
	case !errors.As(err, &se) || se.StatusCode != http.StatusNotFound:
		return fmt.Errorf("s3: checking bucket %s: %w", t.bucket, err)
	}
	var body io.Reader
	if t.region != DefaultS3Region {
		body = strings.NewReader(`<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>` +
			t.region + `</LocationConstraint></CreateBucketConfiguration>`)
	}
	err = t.roundTrip(ctx, http.MethodPut, "", "", body)
	if errors.As(err, &se) && se.Code == "BucketAlreadyOwnedByYou" {
		return nil
	}
	if err != nil {
		return fmt.Errorf("s3: creating bucket %s: %w", t.bucket, err)
	}
	return nil
}

// headBucket sends HeadBucket. An answer to HEAD has no body, so on a failure other than 404
// it asks again with GetBucketLocation, whose error document names the cause
// (SignatureDoesNotMatch, AccessDenied, ...).
func (t *S3) headBucket(ctx context.Context) error {
	err := t.roundTrip(ctx, http.MethodHead, "", "", nil)
	var se *S3Error
	if errors.As(err, &se) && se.StatusCode != http.StatusNotFound && se.Code == "" {
		if gerr := t.roundTrip(ctx, http.MethodGet, "", "location", nil); gerr != nil {
			return gerr
		}
	}
	return err
}

// roundTrip sends a request with a small body, or none, for the bucket (key "") or an object,
// and checks for a 2xx answer, discarding its body.
func (t *S3) roundTrip(ctx context.Context, method, key, query string, body io.Reader) error {
	req, err := t.newRequest(ctx, method, key, query, body)
	if err != nil {
		return err
	}
	resp, err := t.do(req)
	if err != nil {
		return err
	}
	return drain(resp)
}

// Put uploads body with one PutObject of exactly size bytes.
func (t *S3) Put(ctx context.Context, key string, body io.Reader, size int64) error {
	req, err := t.newRequest(ctx, http.MethodPut, t.prefix+key, "", nil)
	if err != nil {
		return err
	}
	if size > 0 {
		// NopCloser keeps body's io.WriterTo, so the transport is handed the source buffer's
		// own slices; the explicit length keeps the request from being chunk-encoded.
		req.Body = io.NopCloser(body)
		req.ContentLength = size
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := t.do(req)
	if err != nil {
		return fmt.Errorf("s3: put: %w", err)
	}
	if err := drain(resp); err != nil {
		return fmt.Errorf("s3: put: %w", err)
	}
	return nil
}

// Get downloads the whole object with one GetObject and copies it to w.
func (t *S3) Get(ctx context.Context, key string, w io.Writer) error {
	req, err := t.newRequest(ctx, http.MethodGet, t.prefix+key, "", nil)
	if err != nil {
		return err
	}
	resp, err := t.do(req)
	if err != nil {
		return fmt.Errorf("s3: get: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("s3: get: %w", responseError(resp))
	}
	buf := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(buf)
	// The transport fails the read with io.ErrUnexpectedEOF if the body ends before its
	// Content-Length; the runner checks the length against what was put.
	if _, err := io.CopyBuffer(w, resp.Body, *buf); err != nil {
		return fmt.Errorf("s3: get: reading the body: %w", err)
	}
	return nil
}

// newRequest builds a request for ENDPOINT/BUCKET/KEY, or ENDPOINT/BUCKET if key is "", with
// the given raw query. The path on the wire is the one SigV4 signs for S3: each byte outside
// the unreserved set percent-encoded, '/' kept.
func (t *S3) newRequest(ctx context.Context, method, key, query string, body io.Reader) (*http.Request, error) {
	u := *t.base
	u.Path = t.base.Path + "/" + t.bucket
	u.RawPath = uriEncode(t.base.Path, true) + "/" + uriEncode(t.bucket, false)
	if key != "" {
		u.Path += "/" + key
		u.RawPath += "/" + uriEncode(key, true)
	}
	u.RawQuery = query
	return http.NewRequestWithContext(ctx, method, u.String(), body)
}

// do signs req, if the target has credentials, and sends it.
func (t *S3) do(req *http.Request) (*http.Response, error) {
	req.Header.Set("X-Amz-Content-Sha256", unsignedPayload)
	if t.signer != nil {
		if err := t.signer.SignHTTP(req.Context(), t.creds, req, unsignedPayload, "s3", t.region, time.Now()); err != nil {
			return nil, err
		}
	}
	return t.client.Do(req)
}

// newHTTPClient returns a client for bulk transfers to one host that keeps conns idle
// connections open between requests.
func newHTTPClient(conns int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true, // object bytes are incompressible; don't ask for gzip
		WriteBufferSize:     copyBufferSize,
		ReadBufferSize:      copyBufferSize,
	}}
}
