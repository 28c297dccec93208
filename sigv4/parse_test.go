package sigv4

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const (
	sdkAuth  = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261121/any/jcs/aws4_request, SignedHeaders=content-length;host;x-amz-date, Signature=6f1d9cf2c2a0b6c5f1e9d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6e5f4a3b2c"
	curlAuth = "AWS4-HMAC-SHA256 Credential=AK/20261121/any/jcs/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=6c4edff1570634025f661145db4e32568db17bda33fd28856b9f622061437116"
)

func TestParseAuthorization(t *testing.T) {
	tests := []struct {
		name       string
		header     string
		wantKey    string
		wantScope  string
		wantSigned []string
		wantErr    bool
	}{
		{name: "SDK", header: sdkAuth, wantKey: "AKIDEXAMPLE", wantScope: "20261121/any/jcs/aws4_request",
			wantSigned: []string{"content-length", "host", "x-amz-date"}},
		{name: "curl", header: curlAuth, wantKey: "AK", wantScope: "20261121/any/jcs/aws4_request",
			wantSigned: []string{"content-type", "host", "x-amz-date"}},
		{name: "no spaces, other order",
			header:  "AWS4-HMAC-SHA256 Signature=" + strings.Repeat("ab", 32) + ",SignedHeaders=host,Credential=K/20130524/us-east-1/s3/aws4_request",
			wantKey: "K", wantScope: "20130524/us-east-1/s3/aws4_request", wantSigned: []string{"host"}},
		{name: "slash in access key", header: "AWS4-HMAC-SHA256 Credential=a/b/20130524/r/s/aws4_request, SignedHeaders=host, Signature=" + strings.Repeat("0", 64),
			wantKey: "a/b", wantScope: "20130524/r/s/aws4_request", wantSigned: []string{"host"}},
		{name: "empty", header: "", wantErr: true},
		{name: "algorithm only", header: "AWS4-HMAC-SHA256", wantErr: true},
		{name: "lower-case algorithm", header: strings.Replace(sdkAuth, "AWS4-HMAC-SHA256", "aws4-hmac-sha256", 1), wantErr: true},
		{name: "missing signature", header: "AWS4-HMAC-SHA256 Credential=AK/20261121/any/jcs/aws4_request, SignedHeaders=host", wantErr: true},
		{name: "duplicate credential", header: sdkAuth + ", Credential=AK/20261121/any/jcs/aws4_request", wantErr: true},
		{name: "unknown component", header: sdkAuth + ", Foo=bar", wantErr: true},
		{name: "component without =", header: sdkAuth + ", Foo", wantErr: true},
		{name: "upper-case signature", header: strings.Replace(sdkAuth, "6f1d9cf2c2a0", "6F1D9CF2C2A0", 1), wantErr: true},
		{name: "short signature", header: strings.Replace(sdkAuth, "3b2c", "", 1), wantErr: true},
		{name: "non-hex signature", header: strings.Replace(sdkAuth, "3b2c", "3b2z", 1), wantErr: true},
		{name: "short credential", header: strings.Replace(sdkAuth, "AKIDEXAMPLE/", "", 1), wantErr: true},
		{name: "empty access key", header: strings.Replace(sdkAuth, "AKIDEXAMPLE", "", 1), wantErr: true},
		{name: "bad scope date", header: strings.Replace(sdkAuth, "20261121", "2026-11-21", 1), wantErr: true},
		{name: "empty region", header: strings.Replace(sdkAuth, "/any/", "//", 1), wantErr: true},
		{name: "bad terminal", header: strings.Replace(sdkAuth, "aws4_request", "aws4_reques", 1), wantErr: true},
		{name: "host not signed", header: strings.Replace(sdkAuth, ";host;", ";", 1), wantErr: true},
		{name: "upper-case header name", header: strings.Replace(sdkAuth, "x-amz-date", "X-Amz-Date", 1), wantErr: true},
		{name: "empty header name", header: strings.Replace(sdkAuth, "host;", "host;;", 1), wantErr: true},
		{name: "duplicate header name", header: strings.Replace(sdkAuth, "host;", "host;host;", 1), wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseAuthorization(tc.header)
			if tc.wantErr {
				require.ErrorIs(t, err, ErrMalformed)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.wantKey, got.cred.accessKeyID)
			require.Equal(t, tc.wantScope, got.cred.scope())
			require.Equal(t, tc.wantSigned, got.signedHeaders)
			require.Len(t, got.signature, 32)
		})
	}
}

func TestParseExpires(t *testing.T) {
	tests := []struct {
		in      string
		wantErr error
	}{
		{"1", nil}, {"604800", nil},
		{"0", ErrMalformed}, {"-5", ErrMalformed}, {"+5", ErrMalformed}, {"", ErrMalformed}, {"1.5", ErrMalformed},
		{"99999999999999999999", ErrMalformed}, {"604801", ErrExpired},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			_, err := parseExpires(tc.in, DefaultMaxExpires)
			if tc.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.wantErr)
		})
	}
}

// FuzzAuthorization feeds arbitrary Authorization headers to the parser and
// to Verify: neither may panic, and whatever parses is well formed.
func FuzzAuthorization(f *testing.F) {
	for _, s := range []string{
		sdkAuth, curlAuth, "", "AWS4-HMAC-SHA256", "AWS4-HMAC-SHA256 ,,,", "AWS4-HMAC-SHA256 Credential=/////",
		"AWS4-HMAC-SHA256 Credential=a/20261121/any/jcs/aws4_request,SignedHeaders=host,Signature=" + strings.Repeat("f", 64),
		"AWS4-HMAC-SHA256 SignedHeaders=;;;host", "Basic QUs6U0s=", "AWS4-HMAC-SHA256 Credential==",
	} {
		f.Add(s)
	}
	v := testVerifier("jcs")
	f.Fuzz(func(t *testing.T, header string) {
		a, err := parseAuthorization(header)
		if err == nil {
			require.Len(t, a.signature, 32)
			require.Contains(t, a.signedHeaders, "host")
			require.NotEmpty(t, a.cred.accessKeyID)
			require.NotEmpty(t, a.cred.region)
			require.NotEmpty(t, a.cred.service)
		} else {
			require.ErrorIs(t, err, ErrMalformed)
		}
		r := httptest.NewRequest("POST", "http://127.0.0.1:7890/v1/x?a=1", strings.NewReader("body"))
		r.Header.Set("Authorization", header)
		r.Header.Set("X-Amz-Date", "20261121T120000Z")
		if _, err := v.Verify(r); err == nil {
			buf := make([]byte, 16)
			for err == nil {
				_, err = r.Body.Read(buf)
			}
		}
	})
}
