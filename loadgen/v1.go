package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// V1Options configures a V1 target.
type V1Options struct {
	// Endpoint is the server's base URL, e.g. "http://127.0.0.1:7890". Required.
	Endpoint string
	// AccessKey and SecretKey sign every request with SigV4 (service "jcs", region "any",
	// UNSIGNED-PAYLOAD). Empty means unsigned requests, for a server run with --no-auth.
	AccessKey, SecretKey string
	// Client sends the requests; nil means a client tuned for bulk transfers.
	Client *http.Client
}

// V1 is the Target of the JCS /v1 API. Setup creates a bucket ("bench-" and a random suffix)
// and a package in it; Put uploads one file per request to /v1/object/upload with the key as
// its path; Get downloads it with /v1/object/downloadByPath. The bucket and its objects stay on
// the server after the run.
type V1 struct {
	endpoint string
	client   *http.Client
	creds    *aws.Credentials
	signer   *v4.Signer
	pkg      int64 // package ID, set by Setup
}

var _ Target = (*V1)(nil)

// copyBufferSize is the buffer downloads are copied through: larger than io.Copy's 32 KiB to
// cost fewer read calls.
const copyBufferSize = 256 << 10

var copyBuffers = sync.Pool{New: func() any { b := make([]byte, copyBufferSize); return &b }}

// NewV1 returns a V1 target; it contacts the server only from Setup on.
func NewV1(o V1Options) (*V1, error) {
	u, err := url.Parse(o.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("loadgen: endpoint %q is not an http(s) URL", o.Endpoint)
	}
	t := &V1{endpoint: strings.TrimSuffix(o.Endpoint, "/"), client: o.Client}
	if t.client == nil {
		t.client = newHTTPClient(1024)
	}
	if o.AccessKey != "" || o.SecretKey != "" {
		t.creds = &aws.Credentials{AccessKeyID: o.AccessKey, SecretAccessKey: o.SecretKey}
		t.signer = v4.NewSigner()
	}
	return t, nil
}

// String names the target in results.
func (t *V1) String() string { return "v1 " + t.endpoint }

// Setup creates the bucket and the package the run writes to.
func (t *V1) Setup(ctx context.Context) error {
	var b struct {
		Bucket struct {
			BucketID int64 `json:"bucketID"`
		} `json:"bucket"`
	}
	name := fmt.Sprintf("bench-%d-%08x", time.Now().Unix(), rand.Uint32())
	if err := t.call(ctx, "/v1/bucket/create", map[string]any{"name": name}, &b); err != nil {
		return fmt.Errorf("v1: creating bucket %s: %w", name, err)
	}
	var p struct {
		Package struct {
			PackageID int64 `json:"packageID"`
		} `json:"package"`
	}
	if err := t.call(ctx, "/v1/package/create", map[string]any{"bucketID": b.Bucket.BucketID, "name": "bench"}, &p); err != nil {
		return fmt.Errorf("v1: creating a package in bucket %s: %w", name, err)
	}
	t.pkg = p.Package.PackageID
	return nil
}

// call POSTs a JSON request and decodes the envelope's data into out.
func (t *V1) call(ctx context.Context, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.endpoint+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := t.do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return decodeEnvelope(resp, out)
}

// Put uploads body as the single file of a multipart/form-data request. The multipart framing
// is built up front, so the request is one stream (framing, object, closing boundary) with a
// known Content-Length: no pipe, no goroutine, no copy of the object besides the transport's.
func (t *V1) Put(ctx context.Context, key string, body io.Reader, size int64) error {
	var frame bytes.Buffer
	mw := multipart.NewWriter(&frame)
	info, err := mw.CreateFormField("info")
	if err != nil {
		return err
	}
	fmt.Fprintf(info, `{"packageID":%d}`, t.pkg)
	h := textproto.MIMEHeader{}
	// The filename is the URL-encoded object path; PathEscape leaves no quote or backslash.
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="files"; filename="%s"`, url.PathEscape(key)))
	h.Set("Content-Type", "application/octet-stream")
	if _, err := mw.CreatePart(h); err != nil {
		return err
	}
	head := frame.Len()
	if err := mw.Close(); err != nil {
		return err
	}
	b := frame.Bytes()
	stream := io.MultiReader(bytes.NewReader(b[:head]), body, bytes.NewReader(b[head:]))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.endpoint+"/v1/object/upload", io.NopCloser(stream))
	if err != nil {
		return err
	}
	req.ContentLength = int64(len(b)) + size
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := t.do(req)
	if err != nil {
		return fmt.Errorf("v1: upload: %w", err)
	}
	defer resp.Body.Close()
	var out struct {
		Uploadeds []struct {
			Path string `json:"path"`
			Size string `json:"size"`
		} `json:"uploadeds"`
	}
	if err := decodeEnvelope(resp, &out); err != nil {
		return fmt.Errorf("v1: upload: %w", err)
	}
	if len(out.Uploadeds) != 1 || out.Uploadeds[0].Path != key || out.Uploadeds[0].Size != strconv.FormatInt(size, 10) {
		return fmt.Errorf("v1: upload: the server reported %+v, want one object %q of %d bytes", out.Uploadeds, key, size)
	}
	return nil
}

// Get downloads the object by path and copies it to w.
func (t *V1) Get(ctx context.Context, key string, w io.Writer) error {
	q := url.Values{"packageID": {strconv.FormatInt(t.pkg, 10)}, "path": {key}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.endpoint+"/v1/object/downloadByPath?"+q.Encode(), nil)
	if err != nil {
		return err
	}
	resp, err := t.do(req)
	if err != nil {
		return fmt.Errorf("v1: download: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("v1: download: %w", decodeEnvelope(resp, nil))
	}
	buf := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(buf)
	// w is not an io.ReaderFrom and the body no io.WriterTo, so the pooled buffer is used.
	if _, err := io.CopyBuffer(w, resp.Body, *buf); err != nil {
		return fmt.Errorf("v1: download: reading the body: %w", err)
	}
	return nil
}

// do signs req, if the target has credentials, and sends it.
func (t *V1) do(req *http.Request) (*http.Response, error) {
	if t.signer != nil {
		// UNSIGNED-PAYLOAD: the client never hashes a body, which would cost a core per
		// few hundred MiB/s on a machine shared with the server.
		req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
		if err := t.signer.SignHTTP(req.Context(), *t.creds, req, "UNSIGNED-PAYLOAD", "jcs", "any", time.Now()); err != nil {
			return nil, err
		}
	}
	return t.client.Do(req)
}

// maxErrorBody bounds how much of an error response is read.
const maxErrorBody = 64 << 10

// decodeEnvelope checks a /v1 JSON response, {"code","message","data"}, and decodes its data
// into out (if not nil). Anything but a 200 with code "OK" is an error naming the status, the
// code and the message.
func decodeEnvelope(resp *http.Response, out any) error {
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	if err != nil {
		return fmt.Errorf("%s: reading the response: %w", resp.Status, err)
	}
	var env struct {
		Code      string          `json:"code"`
		Message   string          `json:"message"`
		Data      json.RawMessage `json:"data"`
		RequestID string          `json:"requestId"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return fmt.Errorf("%s: not a JSON envelope: %q", resp.Status, clip(raw))
	}
	if resp.StatusCode != http.StatusOK || env.Code != "OK" {
		return fmt.Errorf("%s: %s: %s (request %s)", resp.Status, env.Code, env.Message, env.RequestID)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(env.Data, out); err != nil {
		return fmt.Errorf("decoding the response data: %w", err)
	}
	return nil
}

func clip(b []byte) string {
	const n = 200
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}
