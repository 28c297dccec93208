package s3space_test

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space/s3space"
)

// Test credentials. gofakes3 does not check signatures, but sending signed requests keeps
// the signing path under test; secretKey is distinctive so tests can look for leaks.
const (
	accessKey = "jcs-test-access"
	secretKey = "jcs-test-SECRET-do-not-print"
)

// fakeS3 is a gofakes3 server with an in-memory backend on 127.0.0.1, shared by the subtests
// of one test, each of which gets a fresh bucket.
type fakeS3 struct {
	srv     *httptest.Server
	backend *s3mem.Backend
	clock   *clock
	buckets atomic.Int64
}

// newFakeS3 starts a server that stops when the test ends. wraps, if any, wrap gofakes3's
// handler, first one outermost.
func newFakeS3(t *testing.T, wraps ...func(http.Handler) http.Handler) *fakeS3 {
	t.Helper()
	f := &fakeS3{backend: s3mem.New(), clock: &clock{}}
	faker := gofakes3.New(f.backend,
		gofakes3.WithTimeSource(f.clock),
		gofakes3.WithTimeSkewLimit(0), // the clock may be moved to the past
	)
	h := faker.Server()
	for _, wrap := range slices.Backward(wraps) {
		h = wrap(h)
	}
	f.srv = httptest.NewServer(h)
	t.Cleanup(f.srv.Close)
	return f
}

// newBucket creates a bucket with a fresh name and returns the name.
func (f *fakeS3) newBucket(t *testing.T) string {
	t.Helper()
	name := fmt.Sprintf("bucket-%04d", f.buckets.Add(1))
	require.NoError(t, f.backend.CreateBucket(name))
	return name
}

// config returns the configuration of a Space over bucket.
func (f *fakeS3) config(bucket, prefix string) s3space.Config {
	return s3space.Config{
		Endpoint:        f.srv.URL,
		Bucket:          bucket,
		PathStyle:       true,
		AccessKeyID:     accessKey,
		SecretAccessKey: secretKey,
		Prefix:          prefix,
	}
}

// newSpace returns a Space over a fresh bucket, with the given prefix.
func (f *fakeS3) newSpace(t *testing.T, prefix string) *s3space.Space {
	t.Helper()
	s, err := s3space.New(t.Context(), f.config(f.newBucket(t), prefix))
	require.NoError(t, err)
	return s
}

// putRaw stores an object in bucket behind the Space's back, as another tool would.
func (f *fakeS3) putRaw(t *testing.T, bucket, key string, data []byte) {
	t.Helper()
	_, err := f.backend.PutObject(bucket, key, map[string]string{}, bytes.NewReader(data), int64(len(data)), nil)
	require.NoError(t, err)
}

// keys returns every key in bucket, in order.
func (f *fakeS3) keys(t *testing.T, bucket string) []string {
	t.Helper()
	list, err := f.backend.ListBucket(bucket, nil, gofakes3.ListBucketPage{})
	require.NoError(t, err)
	var keys []string
	for _, c := range list.Contents {
		keys = append(keys, c.Key)
	}
	return keys
}

// ignoreRange makes the server ignore Range headers, as some S3 imitations do, so that every
// GET answers with the whole object.
func ignoreRange(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Del("Range")
		h.ServeHTTP(w, r)
	})
}

// recorder records the S3 operation of every request, by the shape of the request.
type recorder struct {
	mu  sync.Mutex
	ops []string
}

func (r *recorder) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.ops = append(r.ops, operation(req))
		r.mu.Unlock()
		h.ServeHTTP(w, req)
	})
}

// take returns the operations recorded since the last call.
func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	ops := r.ops
	r.ops = nil
	return ops
}

// operation names the S3 operation of a request to an object.
func operation(r *http.Request) string {
	q := r.URL.Query()
	switch {
	case r.Method == http.MethodPost && q.Has("uploads"):
		return "CreateMultipartUpload"
	case r.Method == http.MethodPut && q.Has("partNumber"):
		return "UploadPart"
	case r.Method == http.MethodPost && q.Has("uploadId"):
		return "CompleteMultipartUpload"
	case r.Method == http.MethodDelete && q.Has("uploadId"):
		return "AbortMultipartUpload"
	case r.Method == http.MethodGet && q.Has("uploads"):
		return "ListMultipartUploads"
	case r.Method == http.MethodGet && q.Get("list-type") == "2":
		return "ListObjectsV2"
	}
	return map[string]string{
		http.MethodPut: "PutObject", http.MethodGet: "GetObject", http.MethodHead: "HeadObject",
		http.MethodDelete: "DeleteObject",
	}[r.Method]
}

// clock is gofakes3's time source: the real time, shifted by an offset that tests set.
type clock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *clock) set(offset time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset = offset
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset).UTC()
}

func (c *clock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }

// client returns a plain S3 client of the server, for what a Space does not do itself.
func (f *fakeS3) client() *s3.Client {
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(f.srv.URL),
		UsePathStyle: true,
		Credentials:  aws.AnonymousCredentials{},
	})
}

// uploads returns the keys of the incomplete multipart uploads in bucket, in order.
func (f *fakeS3) uploads(t *testing.T, bucket string) []string {
	t.Helper()
	out, err := f.client().ListMultipartUploads(t.Context(), &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode() == "NoSuchUpload" {
		return nil // gofakes3: the bucket never had an upload
	}
	require.NoError(t, err)
	var keys []string
	for _, u := range out.Uploads {
		keys = append(keys, aws.ToString(u.Key))
	}
	return keys
}
