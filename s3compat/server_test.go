package s3compat_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/minio/minio-go/v7"
	miniocreds "github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine"
	"github.com/jointcloud/jcs/s3compat"
	"github.com/jointcloud/jcs/sigv4"
)

func TestNewOptions(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	_, err := s3compat.New(v.e, s3compat.Options{})
	require.Error(t, err, "root credentials or NoAuth are required")

	h, err := s3compat.New(v.e, s3compat.Options{Root: sigv4.StaticCredentials{rootKey: rootSecret}, Region: "eu-central-1",
		Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()
	c := v.client(srv, v.root, func(o *s3.Options) { o.Region = "eu-central-1" })
	_, err = c.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String("regional")})
	require.NoError(t, err)
	loc, err := c.GetBucketLocation(t.Context(), &s3.GetBucketLocationInput{Bucket: aws.String("regional")})
	require.NoError(t, err)
	require.Equal(t, "eu-central-1", string(loc.LocationConstraint))
	hb, err := c.HeadBucket(t.Context(), &s3.HeadBucketInput{Bucket: aws.String("regional")})
	require.NoError(t, err)
	require.Equal(t, "eu-central-1", aws.ToString(hb.BucketRegion))
}

func TestNoAuth(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	h, err := s3compat.New(v.e, s3compat.Options{NoAuth: true, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	srv := httptest.NewTLSServer(h)
	defer srv.Close()
	cl := srv.Client()
	do := func(method, target string, body io.Reader, hdr http.Header) (int, []byte) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+target, body)
		require.NoError(t, err)
		for k, vs := range hdr {
			req.Header[k] = vs
		}
		resp, err := cl.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, b
	}

	status, _ := do("PUT", "/open", nil, nil)
	require.Equal(t, http.StatusOK, status)
	b, err := v.e.GetBucketByName(t.Context(), "open")
	require.NoError(t, err)
	require.Equal(t, engine.RootUserID, b.Owner, "everything is root's")
	status, _ = do("PUT", "/open/k", strings.NewReader("plain"), nil)
	require.Equal(t, http.StatusOK, status)
	status, got := do("GET", "/open/k", nil, nil)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "plain", string(got))

	// Nothing checks a declared payload hash here, so the object's SHA-256 (its fileHash, and
	// the key of deduplication) is never taken from it: the engine hashes the body.
	status, _ = do("PUT", "/open/declared", strings.NewReader("declared"),
		http.Header{"X-Amz-Content-Sha256": {hex.EncodeToString(make([]byte, 32))}})
	require.Equal(t, http.StatusOK, status)
	o, err := v.e.StatObject(t.Context(), b.ID, "declared")
	require.NoError(t, err)
	require.Equal(t, sha256.Sum256([]byte("declared")), o.SHA256)

	// Any client's signature is accepted unchecked; the SDK works as it is.
	c := v.client(srv, aws.Credentials{AccessKeyID: "anyone", SecretAccessKey: "anything"})
	_, err = c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String("open"), Key: aws.String("sdk"), Body: bytes.NewReader(data(1, 100<<10))})
	require.NoError(t, err)
	require.Equal(t, data(1, 100<<10), v.get("open", "sdk"))

	// Every aws-chunked form decodes; the signatures of the signed ones go unchecked, as the
	// request's own signature does.
	payload := []byte("chunked without auth")
	framed := strconv.FormatInt(int64(len(payload)), 16) + "\r\n" + string(payload) + "\r\n0\r\nx-amz-checksum-crc32:" +
		sum64(checksumAlgorithms[0].new, payload) + "\r\n\r\n"
	hdr := http.Header{"Content-Encoding": {"aws-chunked"}, "X-Amz-Content-Sha256": {sigv4.StreamingUnsignedPayloadTrailer},
		"X-Amz-Decoded-Content-Length": {strconv.Itoa(len(payload))}, "X-Amz-Trailer": {"x-amz-checksum-crc32"}}
	status, body := do("PUT", "/open/chunked", strings.NewReader(framed), hdr)
	require.Equal(t, http.StatusOK, status, "%s", body)
	require.Equal(t, payload, v.get("open", "chunked"))

	signedFramed := strconv.FormatInt(int64(len(payload)), 16) + ";chunk-signature=" + strings.Repeat("0", 64) + "\r\n" + string(payload) +
		"\r\n0;chunk-signature=" + strings.Repeat("0", 64) + "\r\n\r\n"
	hdr = http.Header{"Content-Encoding": {"aws-chunked"}, "X-Amz-Content-Sha256": {sigv4.StreamingPayload},
		"X-Amz-Decoded-Content-Length": {strconv.Itoa(len(payload))}}
	status, body = do("PUT", "/open/signed-chunked", strings.NewReader(signedFramed), hdr)
	require.Equal(t, http.StatusOK, status, "%s", body)
	require.Equal(t, payload, v.get("open", "signed-chunked"), "the framing is never stored as data")

	// Framing is still checked: a signed form whose chunks carry no signature is refused.
	status, body = do("PUT", "/open/bad-chunked", strings.NewReader(framed), hdr)
	require.Equal(t, http.StatusBadRequest, status, "%s", body)
	require.False(t, v.exists("open", "bad-chunked"))

	// minio-go over plain HTTP signs every chunk (STREAMING-AWS4-HMAC-SHA256-PAYLOAD): with
	// any key, it works.
	plain := httptest.NewServer(h)
	defer plain.Close()
	mc, err := minio.New(strings.TrimPrefix(plain.URL, "http://"), &minio.Options{
		Creds: miniocreds.NewStaticV4("anyone", "anything", ""), Region: "us-east-1", BucketLookup: minio.BucketLookupPath})
	require.NoError(t, err)
	_, err = mc.PutObject(t.Context(), "open", "minio-http", bytes.NewReader(data(2, 300<<10)), 300<<10, minio.PutObjectOptions{})
	require.NoError(t, err)
	require.Equal(t, data(2, 300<<10), v.get("open", "minio-http"))
}
