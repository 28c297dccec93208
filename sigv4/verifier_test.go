package sigv4

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/stretchr/testify/require"
)

// payloadMode says how an SDK-signed request declares its payload.
type payloadMode int

const (
	undeclared payloadMode = iota // body hash signed, no header (bare SignHTTP)
	declared                      // X-Amz-Content-Sha256: <hex>, signed
	unsigned                      // X-Amz-Content-Sha256: UNSIGNED-PAYLOAD
	streaming                     // X-Amz-Content-Sha256: STREAMING-UNSIGNED-PAYLOAD-TRAILER
)

// sdkCase is one request signed by the aws-sdk-go-v2 SigV4 signer, sent over
// HTTP to a server that calls Verify.
type sdkCase struct {
	name     string
	method   string // default GET
	target   string // path and query; default the download route
	body     string
	payload  payloadMode
	header   http.Header
	service  string // signing service; default "jcs"
	region   string // signing region; default "any"
	secret   string // default testSK
	at       time.Time
	opts     func(*v4.SignerOptions)
	verifier func(*Verifier)
	tamper   func(*http.Request)

	wantErr          error // from Verify
	wantReadErr      error // from reading the body to EOF
	wantBodyUnsigned bool  // Identity.PayloadSigned is false
}

func TestSDKSignHTTP(t *testing.T) {
	json := http.Header{"Content-Type": {"application/json"}}
	withRegion := func(r string) func(*Verifier) { return func(v *Verifier) { v.Region = r } }
	replaceBody := func(s string) func(*http.Request) {
		return func(r *http.Request) {
			r.Body, r.GetBody = io.NopCloser(strings.NewReader(s)), nil
		}
	}
	tests := []sdkCase{
		{name: "GET declared empty hash", payload: declared},
		{name: "GET undeclared"},
		{name: "GET unsigned payload", payload: unsigned, wantBodyUnsigned: true},
		{name: "POST JSON declared", method: "POST", target: "/v1/bucket/create", body: `{"name":"b1"}`, header: json, payload: declared},
		{name: "POST JSON undeclared", method: "POST", target: "/v1/bucket/create", body: `{"name":"b1"}`, header: json},
		{name: "PUT unsigned payload body", method: "PUT", target: "/v1/object/upload", body: "data", payload: unsigned, wantBodyUnsigned: true},
		{name: "query needing encoding", target: "/v1/object/downloadByPath?packageID=3&path=a%2Fb%20c.txt&x=~t&plus=a+b&k=2&k=1&empty="},
		{name: "path with space and %2F", target: "/v1/object/a%20b/c%2Fd.txt?x=1"},
		{name: "path with sub-delims", target: "/v1/object/a+b=c,d!e$f&g@h:i"},
		{name: "repeated header with inner spaces", header: http.Header{"X-Amz-Meta-Tag": {"a   b  c", " d"}}},
		{name: "unsigned header added later", tamper: func(r *http.Request) { r.Header.Set("X-Extra", "1") }},
		{name: "region us-east-1 with any region", region: "us-east-1"},
		{name: "region cn-north-1 with any region", region: "cn-north-1"},
		{name: "region matches configured", region: "us-east-1", verifier: withRegion("us-east-1")},
		{name: "skew 14 minutes behind", at: testNow.Add(-14 * time.Minute)},
		{name: "skew 14 minutes ahead", at: testNow.Add(14 * time.Minute)},
		{name: "s3 path with space, SDK s3 style", service: "s3", target: "/bucket/a%20b/c%24d.txt", payload: declared,
			opts: func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }, verifier: func(v *Verifier) { v.Service = "s3" }},
		{name: "s3 streaming seed signature", service: "s3", method: "PUT", target: "/bucket/key", body: "chunked", payload: streaming, wantBodyUnsigned: true,
			verifier: func(v *Verifier) { v.Service = "s3" }},

		{name: "altered method", tamper: func(r *http.Request) { r.Method = "DELETE" }, wantErr: ErrSignatureMismatch},
		{name: "altered path", tamper: func(r *http.Request) { r.URL.Path = "/v1/object/upload" }, wantErr: ErrSignatureMismatch},
		{name: "altered query value", tamper: func(r *http.Request) {
			r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "offset=0", "offset=5", 1)
		}, wantErr: ErrSignatureMismatch},
		{name: "path re-encoded to reuse the double encoding", target: "/v1/object/a%20b", tamper: func(r *http.Request) {
			r.URL.RawPath = "/v1/object/a%2520b"
			r.URL.Path = "/v1/object/a%20b"
		}, wantErr: ErrSignatureMismatch},
		{name: "added query param", tamper: func(r *http.Request) { r.URL.RawQuery += "&admin=1" }, wantErr: ErrSignatureMismatch},
		{name: "altered signed header", method: "POST", target: "/v1/bucket/create", body: `{}`, header: json, payload: declared,
			tamper: func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }, wantErr: ErrSignatureMismatch},
		{name: "altered body, hash declared", method: "POST", target: "/v1/bucket/create", body: `{"name":"b1"}`, header: json, payload: declared,
			tamper: replaceBody(`{"name":"b2"}`), wantReadErr: ErrPayloadMismatch},
		{name: "altered body, hash undeclared", method: "POST", target: "/v1/bucket/create", body: `{"name":"b1"}`, header: json,
			tamper: replaceBody(`{"name":"b2"}`), wantReadErr: ErrSignatureMismatch},
		{name: "wrong secret", secret: "not-the-secret", wantErr: ErrSignatureMismatch},
		{name: "wrong secret with body", method: "POST", target: "/v1/bucket/create", body: `{}`, secret: "nope", wantReadErr: ErrSignatureMismatch},
		{name: "unknown key", verifier: func(v *Verifier) { v.Credentials = StaticCredentials{"OTHER": testSK} }, wantErr: ErrUnknownAccessKey},
		{name: "skew 16 minutes behind", at: testNow.Add(-16 * time.Minute), wantErr: ErrSkew},
		{name: "skew 16 minutes ahead", at: testNow.Add(16 * time.Minute), wantErr: ErrSkew},
		{name: "custom MaxSkew", at: testNow.Add(-2 * time.Minute), verifier: func(v *Verifier) { v.MaxSkew = time.Minute }, wantErr: ErrSkew},
		{name: "wrong service in scope", service: "s3", wantErr: ErrScope},
		{name: "wrong region in scope", region: "eu-west-1", verifier: withRegion("us-east-1"), wantErr: ErrScope},
		{name: "streaming refused for jcs", method: "PUT", target: "/v1/object/upload", body: "x", payload: streaming, wantErr: ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			runSDKCase(t, tc)
		})
	}
}

// runSDKCase signs tc with the SDK, sends it and checks the outcome.
func runSDKCase(t *testing.T, tc sdkCase) {
	v := testVerifier("jcs")
	if tc.verifier != nil {
		tc.verifier(v)
	}
	srv, results := startServer(t, v)
	req := newSDKRequest(t, srv.URL, tc)
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	got := <-results

	if tc.wantErr != nil {
		require.ErrorIs(t, got.err, tc.wantErr)
		require.Nil(t, got.id)
		var e *Error
		require.ErrorAs(t, got.err, &e)
		require.NotContains(t, got.err.Error(), testSK)
		return
	}
	require.NoError(t, got.err)
	if tc.wantReadErr != nil {
		require.ErrorIs(t, got.readErr, tc.wantReadErr)
		require.NotErrorIs(t, got.readErr, io.EOF)
		return
	}
	require.NoError(t, got.readErr)
	require.Equal(t, tc.body, string(got.body))
	require.Equal(t, testAK, got.id.AccessKeyID)
	require.Equal(t, orDefault(tc.service, "jcs"), got.id.Service)
	require.Equal(t, orDefault(tc.region, "any"), got.id.Region)
	require.Equal(t, signTime(tc).Truncate(time.Second), got.id.SignedAt)
	require.False(t, got.id.Presigned)
	require.Equal(t, !tc.wantBodyUnsigned, got.id.PayloadSigned)
	if sum, ok := got.id.PayloadSHA256(); ok {
		require.Equal(t, sha256.Sum256(got.body), sum, "PayloadSHA256 of a body read to its end")
	}
	require.Equal(t, got.id.SignedAt.Format("20060102")+"/"+got.id.Region+"/"+got.id.Service+"/aws4_request", got.id.Scope)
	require.Contains(t, req.Header.Get("Authorization"), "Signature="+got.id.Signature)
	require.Equal(t, deriveKey(testSK, got.id.SignedAt.Format("20060102"), got.id.Region, got.id.Service), got.id.signingKey)
}

// newSDKRequest builds tc's request against base and signs it with the SDK.
func newSDKRequest(t *testing.T, base string, tc sdkCase) *http.Request {
	var body io.Reader
	if tc.body != "" {
		body = strings.NewReader(tc.body)
	}
	req, err := http.NewRequestWithContext(t.Context(), orDefault(tc.method, "GET"),
		base+orDefault(tc.target, downloadTarget), body)
	require.NoError(t, err)
	for k, vs := range tc.header {
		req.Header[k] = vs
	}
	hash := sha256Hex(tc.body)
	switch tc.payload {
	case declared:
		req.Header.Set("X-Amz-Content-Sha256", hash)
	case unsigned:
		hash = "UNSIGNED-PAYLOAD"
		req.Header.Set("X-Amz-Content-Sha256", hash)
	case streaming:
		hash = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
		req.Header.Set("X-Amz-Content-Sha256", hash)
	}
	creds := aws.Credentials{AccessKeyID: testAK, SecretAccessKey: orDefault(tc.secret, testSK)}
	var opts []func(*v4.SignerOptions)
	if tc.opts != nil {
		opts = append(opts, tc.opts)
	}
	err = v4.NewSigner().SignHTTP(t.Context(), creds, req, hash,
		orDefault(tc.service, "jcs"), orDefault(tc.region, "any"), signTime(tc), opts...)
	require.NoError(t, err)
	if tc.tamper != nil {
		tc.tamper(req)
	}
	return req
}

func signTime(tc sdkCase) time.Time {
	if tc.at.IsZero() {
		return testNow
	}
	return tc.at
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// presignCase is one URL presigned by the SDK's PresignHTTP.
type presignCase struct {
	name     string
	method   string // default GET
	target   string // default the download route
	body     string // sent with the request, not signed
	expires  string // X-Amz-Expires; default "900"
	at       time.Time
	service  string // default "jcs"
	token    string
	opts     func(*v4.SignerOptions)
	verifier func(*Verifier)
	tamper   func(*http.Request)
	wantErr  error
}

func TestSDKPresignHTTP(t *testing.T) {
	tests := []presignCase{
		{name: "GET"},
		{name: "PUT with body", method: "PUT", target: "/v1/object/upload?packageID=1&path=a%20b.txt", body: "hello"},
		{name: "session token is signed and ignored", token: "FQoGZXIvYXdzEXAMPLE"},
		{name: "expires exactly 7 days", expires: "604800", at: testNow.Add(-6 * 24 * time.Hour)},
		{name: "s3", service: "s3", target: "/bucket/dir/a%20b.txt", verifier: func(v *Verifier) { v.Service = "s3" },
			opts: func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }},
		{name: "dated 14 minutes ahead", at: testNow.Add(14 * time.Minute)},

		{name: "expired", at: testNow.Add(-16 * time.Minute), wantErr: ErrExpired},
		{name: "expires over 7 days", expires: "604801", wantErr: ErrExpired},
		{name: "expires over custom max", expires: "3601", verifier: func(v *Verifier) { v.MaxExpires = time.Hour }, wantErr: ErrExpired},
		{name: "dated in the future", at: testNow.Add(20 * time.Minute), wantErr: ErrExpired},
		{name: "expires zero", expires: "0", wantErr: ErrMalformed},
		{name: "altered query param", tamper: func(r *http.Request) {
			r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "objectID=1", "objectID=2", 1)
		}, wantErr: ErrSignatureMismatch},
		{name: "altered expiry", tamper: func(r *http.Request) {
			r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "X-Amz-Expires=900", "X-Amz-Expires=9000", 1)
		}, wantErr: ErrSignatureMismatch},
		{name: "altered method", tamper: func(r *http.Request) { r.Method = "DELETE" }, wantErr: ErrSignatureMismatch},
		{name: "wrong service", service: "s3", wantErr: ErrScope},
		{name: "also an Authorization header", tamper: func(r *http.Request) { r.Header.Set("Authorization", "AWS4-HMAC-SHA256 x") }, wantErr: ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := testVerifier("jcs")
			if tc.verifier != nil {
				tc.verifier(v)
			}
			srv, results := startServer(t, v)
			req := newPresignedRequest(t, srv.URL, tc)
			resp, err := srv.Client().Do(req)
			require.NoError(t, err)
			require.NoError(t, resp.Body.Close())
			got := <-results
			if tc.wantErr != nil {
				require.ErrorIs(t, got.err, tc.wantErr)
				return
			}
			require.NoError(t, got.err)
			require.NoError(t, got.readErr)
			require.Equal(t, tc.body, string(got.body))
			require.True(t, got.id.Presigned)
			require.False(t, got.id.PayloadSigned)
			require.Equal(t, "UNSIGNED-PAYLOAD", got.id.PayloadHash)
			require.Equal(t, testAK, got.id.AccessKeyID)
		})
	}
}

// newPresignedRequest presigns tc's URL with the SDK and builds the request a
// holder of that URL would send.
func newPresignedRequest(t *testing.T, base string, tc presignCase) *http.Request {
	method := orDefault(tc.method, "GET")
	unsignedReq, err := http.NewRequestWithContext(t.Context(), method,
		base+orDefault(tc.target, downloadTarget), nil)
	require.NoError(t, err)
	q := unsignedReq.URL.Query()
	q.Set("X-Amz-Expires", orDefault(tc.expires, "900"))
	unsignedReq.URL.RawQuery = q.Encode()
	at := tc.at
	if at.IsZero() {
		at = testNow.Add(-time.Minute)
	}
	creds := aws.Credentials{AccessKeyID: testAK, SecretAccessKey: testSK, SessionToken: tc.token}
	var opts []func(*v4.SignerOptions)
	if tc.opts != nil {
		opts = append(opts, tc.opts)
	}
	uri, headers, err := v4.NewSigner().PresignHTTP(t.Context(), creds, unsignedReq, "UNSIGNED-PAYLOAD",
		orDefault(tc.service, "jcs"), "any", at, opts...)
	require.NoError(t, err)
	if tc.token != "" {
		require.Contains(t, uri, "X-Amz-Security-Token=")
	}
	var body io.Reader
	if tc.body != "" {
		body = strings.NewReader(tc.body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, uri, body)
	require.NoError(t, err)
	for k, vs := range headers {
		if k != "Host" {
			req.Header[k] = vs
		}
	}
	if tc.tamper != nil {
		tc.tamper(req)
	}
	return req
}

// Requests assembled by hand, for failures that real signers never produce.
func TestVerifyRejectsMalformed(t *testing.T) {
	const (
		cred = "Credential=" + testAK + "/20261121/any/jcs/aws4_request"
		sig  = "Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
		date = "20261121T120000Z"
	)
	good := "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;x-amz-date, " + sig
	tests := []struct {
		name   string
		target string
		header map[string]string
		want   error
	}{
		{name: "no authentication", want: ErrMissingAuth},
		{name: "other scheme", header: map[string]string{"Authorization": "Basic QUs6U0s=", "X-Amz-Date": date}, want: ErrMalformed},
		{name: "SigV4a", header: map[string]string{"Authorization": "AWS4-ECDSA-P256-SHA256 " + cred, "X-Amz-Date": date}, want: ErrMalformed},
		{name: "host not signed", header: map[string]string{
			"Authorization": "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=x-amz-date, " + sig, "X-Amz-Date": date}, want: ErrMalformed},
		{name: "no X-Amz-Date", header: map[string]string{"Authorization": good}, want: ErrMalformed},
		{name: "bad X-Amz-Date", header: map[string]string{"Authorization": good, "X-Amz-Date": "2026-11-21T12:00:00Z"}, want: ErrMalformed},
		{name: "scope date differs from X-Amz-Date", header: map[string]string{"Authorization": good, "X-Amz-Date": "20261122T000000Z"}, want: ErrScope},
		{name: "bad payload hash", header: map[string]string{"Authorization": good, "X-Amz-Date": date, "X-Amz-Content-Sha256": "abc"}, want: ErrMalformed},
		{name: "bad query escape", target: "/v1/x?a=%zz", header: map[string]string{"Authorization": good, "X-Amz-Date": date}, want: ErrMalformed},
		{name: "presigned without signature", target: "/v1/x?X-Amz-Algorithm=AWS4-HMAC-SHA256", want: ErrMalformed},
		{name: "presigned with duplicate date", target: "/v1/x?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=1&X-Amz-Date=2", want: ErrMalformed},
		{name: "well formed, wrong signature", header: map[string]string{"Authorization": good, "X-Amz-Date": date}, want: ErrSignatureMismatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequestWithContext(t.Context(), "GET", "http://127.0.0.1:7890"+orDefault(tc.target, "/v1/x"), nil)
			for k, val := range tc.header {
				r.Header.Set(k, val)
			}
			id, err := testVerifier("jcs").Verify(r)
			require.ErrorIs(t, err, tc.want)
			require.Nil(t, id)
		})
	}
}

func TestVerifierNeedsConfiguration(t *testing.T) {
	r := httptest.NewRequestWithContext(t.Context(), "GET", "/", nil)
	_, err := (&Verifier{Service: "jcs"}).Verify(r)
	require.Error(t, err)
	require.Equal(t, "Other", kindOf(err))
}

// A signature mismatch carries the server's canonical request for debugging,
// but its message holds neither the secret nor the signature the server
// computed.
func TestMismatchErrorHoldsNoSecrets(t *testing.T) {
	r := httptest.NewRequestWithContext(t.Context(), "GET", "http://127.0.0.1:7890/v1/x?b=2&a=1", nil)
	r.Header.Set("X-Amz-Date", "20261121T120000Z")
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+testAK+"/20261121/any/jcs/aws4_request, "+
		"SignedHeaders=host;x-amz-date, Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
	_, err := testVerifier("jcs").Verify(r)
	var e *Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, ErrSignatureMismatch, e.Err)
	require.Equal(t, "GET\n/v1/x\na=1&b=2\nhost:127.0.0.1:7890\nx-amz-date:20261121T120000Z\n\nhost;x-amz-date\n"+emptySHA256, e.CanonicalRequest)
	computed := hmacSHA256(deriveKey(testSK, "20261121", "any", "jcs"), e.StringToSign)
	require.NotContains(t, e.Error(), testSK)
	require.NotContains(t, e.Error(), string(hexBytes(computed)))
	require.NotContains(t, e.Error(), e.CanonicalRequest)
}

func hexBytes(b []byte) []byte {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return out
}

// BenchmarkVerify measures a small header-signed GET, the common case of the
// native API.
func BenchmarkVerify(b *testing.B) {
	v := testVerifier("jcs")
	r := httptest.NewRequest("GET", "http://127.0.0.1:7890"+downloadTarget, nil)
	r.Body = http.NoBody
	creds := aws.Credentials{AccessKeyID: testAK, SecretAccessKey: testSK}
	require.NoError(b, v4.NewSigner().SignHTTP(b.Context(), creds, r, emptySHA256, "jcs", "any", testNow))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(r); err != nil {
			b.Fatal(err)
		}
	}
}

// TestPending pins that Identity.Pending is set exactly when the signature itself waits for
// the body: no payload hash declared and a non-empty body signed with its real hash.
func TestPending(t *testing.T) {
	post := func(p payloadMode) sdkCase {
		return sdkCase{method: "POST", target: "/v1/bucket/create", body: `{"name":"b1"}`, payload: p}
	}
	for _, tc := range []struct {
		name string
		sc   sdkCase
		want bool
	}{
		{"GET undeclared", sdkCase{}, false},
		{"POST undeclared", post(undeclared), true},
		{"POST declared", post(declared), false},
		{"POST unsigned payload", post(unsigned), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, results := startServer(t, testVerifier("jcs"))
			resp, err := srv.Client().Do(newSDKRequest(t, srv.URL, tc.sc))
			require.NoError(t, err)
			require.NoError(t, resp.Body.Close())
			got := <-results
			require.NoError(t, got.err)
			require.NoError(t, got.readErr)
			require.Equal(t, tc.want, got.id.Pending)
		})
	}
}

// TestEmptyStringPayloadHash: JCS's own clients sign uploads with "" as the payload hash. The
// verifier accepts that as an unsigned payload for service "jcs", and never for "s3".
func TestEmptyStringPayloadHash(t *testing.T) {
	for _, tc := range []struct {
		service string
		wantErr error
	}{
		{"jcs", nil},
		{"s3", ErrSignatureMismatch},
	} {
		t.Run(tc.service, func(t *testing.T) {
			v := testVerifier(tc.service)
			req, err := http.NewRequest("POST", "http://example.com/v1/object/upload", strings.NewReader("form body"))
			require.NoError(t, err)
			creds := aws.Credentials{AccessKeyID: testAK, SecretAccessKey: testSK}
			require.NoError(t, v4.NewSigner().SignHTTP(t.Context(), creds, req, "", tc.service, "any", testNow))
			id, err := v.Verify(req)
			if tc.wantErr != nil {
				if err == nil {
					_, err = io.ReadAll(req.Body)
				}
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.False(t, id.PayloadSigned, "an empty payload hash covers no body")
			require.False(t, id.Pending)
			b, err := io.ReadAll(req.Body)
			require.NoError(t, err)
			require.Equal(t, "form body", string(b))
		})
	}
}

func TestPayloadSHA256(t *testing.T) {
	sum := sha256.Sum256([]byte("body"))
	declared := hex.EncodeToString(sum[:])
	for _, tc := range []struct {
		name string
		id   Identity
		ok   bool
	}{
		{"declared and checked", Identity{PayloadHash: declared, PayloadSigned: true}, true},
		{"declared in upper case", Identity{PayloadHash: strings.ToUpper(declared), PayloadSigned: true}, true},
		{"not checked", Identity{PayloadHash: declared}, false},
		{"signature pending", Identity{PayloadHash: declared, PayloadSigned: true, Pending: true}, false},
		{"unsigned", Identity{PayloadHash: UnsignedPayload}, false},
		{"undeclared", Identity{PayloadSigned: true}, false},
		{"streaming", Identity{PayloadHash: StreamingPayload}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := tc.id.PayloadSHA256()
			require.Equal(t, tc.ok, ok)
			if ok {
				require.Equal(t, sum, got)
			}
		})
	}
}
