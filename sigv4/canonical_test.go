package sigv4

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestURIEncode(t *testing.T) {
	tests := []struct {
		in, wantPath, wantComponent string
	}{
		{"/v1/object/download", "/v1/object/download", "%2Fv1%2Fobject%2Fdownload"},
		{"a b+c", "a%20b%2Bc", "a%20b%2Bc"},
		{"~-._AZaz09", "~-._AZaz09", "~-._AZaz09"},
		{"a/b%2F", "a/b%252F", "a%2Fb%252F"},
		{"é*$", "%C3%A9%2A%24", "%C3%A9%2A%24"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			require.Equal(t, tc.wantPath, uriEncode(tc.in, true))
			require.Equal(t, tc.wantComponent, uriEncode(tc.in, false))
		})
	}
}

func TestCanonicalQuery(t *testing.T) {
	tests := []struct {
		name, raw, want string
	}{
		{"empty", "", ""},
		{"download route", "objectID=1&offset=0&length=10", "length=10&objectID=1&offset=0"},
		{"sorted by key then value", "b=2&a=2&a=1", "a=1&a=2&b=2"},
		{"encoded, space as %20, tilde kept", "path=a%2Fb%20c.txt&t=~x&p=a+b", "p=a%20b&path=a%2Fb%20c.txt&t=~x"},
		{"bare key gets =", "k&e=", "e=&k="},
		{"sorted after encoding", "v=a-b&v=a%2Fb", "v=a%2Fb&v=a-b"},
		{"semicolon is data", "a=1;b=2", "a=1%3Bb%3D2"},
		{"signature left out", "X-Amz-Signature=abc&X-Amz-Date=1", "X-Amz-Date=1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ps, err := parseQuery(tc.raw)
			require.NoError(t, err)
			require.Equal(t, tc.want, canonicalQuery(ps, querySignature))
		})
	}
}

// Each service gets its specification form first and the path as sent
// second, the latter only when it differs.
func TestCanonicalURIs(t *testing.T) {
	tests := []struct {
		service, target string
		want            []string
	}{
		{"jcs", "/v1/object/download", []string{"/v1/object/download"}},
		{"jcs", "", []string{"/"}},
		{"jcs", "/v1/a%20b/c%2Fd", []string{"/v1/a%2520b/c%252Fd", "/v1/a%20b/c%2Fd"}},
		{"jcs", "/v1/a+b", []string{"/v1/a%2Bb", "/v1/a+b"}},
		{"jcs", "/v1/a%2520b", []string{"/v1/a%252520b"}},
		{"s3", "/bucket/a%2520b", []string{"/bucket/a%2520b"}},
		{"s3", "/bucket/a%20b", []string{"/bucket/a%20b"}},
		{"s3", "/bucket/test$file.text", []string{"/bucket/test%24file.text", "/bucket/test$file.text"}},
		{"s3", "/bucket/a%2Fb", []string{"/bucket/a/b", "/bucket/a%2Fb"}},
	}
	for _, tc := range tests {
		t.Run(tc.service+tc.target, func(t *testing.T) {
			r := httptest.NewRequestWithContext(t.Context(), "GET", "http://h"+tc.target, nil)
			require.Equal(t, tc.want, canonicalURIs(r, tc.service))
		})
	}
}

func TestCanonicalHeaders(t *testing.T) {
	r := httptest.NewRequestWithContext(t.Context(), "PUT", "http://127.0.0.1:7890/v1/x", nil)
	r.Header = http.Header{
		"X-Amz-Meta-A":   {"  a   b  c ", "d\t"},
		"Content-Type":   {"application/json"},
		"Content-Length": {"5"},
	}
	r.TransferEncoding = []string{"chunked"}
	got, list := canonicalHeaders(r, []string{"content-length", "content-type", "host", "transfer-encoding", "x-amz-meta-a", "x-absent"})
	require.Equal(t, "content-length:5\ncontent-type:application/json\nhost:127.0.0.1:7890\n"+
		"transfer-encoding:chunked\nx-amz-meta-a:a b c,d\nx-absent:\n", got)
	require.Equal(t, "content-length;content-type;host;transfer-encoding;x-amz-meta-a;x-absent", list)
}

// Requests built in code rather than parsed by net/http: a nil body, a
// header under a non-canonical key, and a signed Content-Length that lives
// only in r.ContentLength.
func TestCanonicalHeadersClientSideRequest(t *testing.T) {
	r, err := http.NewRequestWithContext(t.Context(), "GET", "http://127.0.0.1:7890/v1/x", nil)
	require.NoError(t, err)
	r.Header["x-amz-meta-lower"] = []string{"v"}
	r.Header.Set("X-Amz-Date", "20261121T120000Z")
	headers, list := canonicalHeaders(r, []string{"content-length", "host", "x-amz-date", "x-amz-meta-lower"})
	require.Equal(t, "content-length:0\nhost:127.0.0.1:7890\nx-amz-date:20261121T120000Z\nx-amz-meta-lower:v\n", headers)
	require.Equal(t, "content-length;host;x-amz-date;x-amz-meta-lower", list)
}
