package loadgen

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space/faultspace"
	"github.com/jointcloud/jcs/s3compat"
	"github.com/jointcloud/jcs/sigv4"
)

// newJCSS3Server serves jcs's own S3 API over a real engine on six in-memory spaces, with
// testAK as root key.
func newJCSS3Server(t *testing.T) *testServer {
	t.Helper()
	ts := &testServer{}
	h, err := s3compat.New(ts.newEngine(t), s3compat.Options{
		Root: sigv4.StaticCredentials{testAK: testSK}, Logger: slog.New(slog.DiscardHandler),
	})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	ts.url = srv.URL
	return ts
}

func TestRunS3AgainstJCS(t *testing.T) {
	ts := newJCSS3Server(t)
	for _, tc := range []struct {
		workload Workload
		size     int64
	}{
		{WorkloadPut, 4 << 10}, // replicated
		{WorkloadGet, 4 << 10},
		{WorkloadPut, 300 << 10}, // erasure-coded
		{WorkloadGet, 2*MiB + 3},
		{WorkloadMixed, 300 << 10},
	} {
		t.Run(fmt.Sprintf("%s %d", tc.workload, tc.size), func(t *testing.T) {
			s, err := NewS3(S3Options{Endpoint: ts.url, Bucket: testBucket, AccessKey: testAK, SecretKey: testSK, Conns: 3})
			require.NoError(t, err)
			res, err := Run(t.Context(), Config{
				Target: s, Workload: tc.workload, ReadFraction: 0.5,
				Size: tc.size, Concurrency: 3, Count: 9, Verify: true,
			})
			require.NoError(t, err)
			require.Zero(t, res.Errors, "errors: %v", res.ErrorSamples)
			require.EqualValues(t, 9, res.Ops)
			require.Equal(t, 9*tc.size, res.Bytes)
		})
	}
}

func TestS3RoundTripJCS(t *testing.T) {
	ts := newJCSS3Server(t)
	s, err := NewS3(S3Options{Endpoint: ts.url, Bucket: testBucket, Prefix: "pkg/", AccessKey: testAK, SecretKey: testSK})
	require.NoError(t, err)
	require.NoError(t, s.Setup(t.Context()))
	key := "a/b c+d%e=f&g;h:i@j$k,l(m)n!o*p'ü.bin"
	want := randomBytes(7, 1000)
	require.NoError(t, s.Put(t.Context(), key, bytes.NewReader(want), int64(len(want))))
	var got bytes.Buffer
	require.NoError(t, s.Get(t.Context(), key, &got))
	require.True(t, bytes.Equal(want, got.Bytes()))

	var se *S3Error
	require.True(t, errors.As(s.Get(t.Context(), "missing", &got), &se))
	require.Equal(t, "NoSuchKey", se.Code)

	// A server-side failure is an error of the operation, with the S3 code. (The body is
	// larger than the engine defers, so the upload writes to the failing spaces.)
	ts.fail(faultspace.OpPut, errors.New("injected: space is down"))
	big := randomBytes(8, 100<<10)
	err = s.Put(t.Context(), "k", bytes.NewReader(big), int64(len(big)))
	require.ErrorAs(t, err, &se)
	require.Equal(t, 503, se.StatusCode, "%v", err)

	bad, err := NewS3(S3Options{Endpoint: ts.url, Bucket: testBucket, AccessKey: testAK, SecretKey: "wrong"})
	require.NoError(t, err)
	require.ErrorContains(t, bad.Setup(t.Context()), "s3: checking bucket bench: 403 Forbidden: SignatureDoesNotMatch")
}
