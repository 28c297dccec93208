package sigv4

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// SigV2 presigned URLs made by boto3 1.43.11 (generate_presigned_url with its
// default signature version, path-style addressing, endpoint
// http://s3.test:9000, testAK/testSK) with time.time() fixed at
// testNow - 60s. They are independent vectors: this package computed none of
// them.
const (
	v2Get        = "http://s3.test:9000/bucket/dir/a%20b%2Bc~%C3%A9.txt?AWSAccessKeyId=AKIDEXAMPLE&Signature=m7%2FjO8atf2MqWUBHKS8Oy%2FLcJRc%3D&Expires=1795265940"
	v2Put        = "http://s3.test:9000/bucket/k?AWSAccessKeyId=AKIDEXAMPLE&Signature=Pc%2Bj%2BRgT%2BrFbPlOjC5wL5oc%2BI2Q%3D&content-type=text%2Fplain&x-amz-acl=public-read&x-amz-meta-m=v&Expires=1795265940"
	v2UploadPart = "http://s3.test:9000/bucket/k?uploadId=up%2F1&partNumber=3&AWSAccessKeyId=AKIDEXAMPLE&Signature=%2F40eCpSXBM2SXqCCz0cLo1zZDdU%3D&Expires=1795265940"
	v2Overrides  = "http://s3.test:9000/bucket/k?response-content-disposition=attachment%3B%20filename%3D%22x%20y%22&versionId=v1&AWSAccessKeyId=AKIDEXAMPLE&Signature=jlnD1NXiABzqZrHwyX4gUC87unA%3D&Expires=1795265940"
	v2ACL        = "http://s3.test:9000/bucket/k?acl&AWSAccessKeyId=AKIDEXAMPLE&Signature=o45EaHZk3Z2d7KghANhKLsPgRfM%3D&Expires=1795265940"
	v2Tagging    = "http://s3.test:9000/bucket/k?tagging&AWSAccessKeyId=AKIDEXAMPLE&Signature=0TVcQV6%2FGUG3fMjW8rHBzHCyMkQ%3D&Expires=1795265940"
	v2List       = "http://s3.test:9000/bucket?list-type=2&prefix=a%2F&max-keys=5&encoding-type=url&AWSAccessKeyId=AKIDEXAMPLE&Signature=Ohk6%2Be7rSr8pUPJRFfo7R5BHxpQ%3D&Expires=1795265940"
	v2SevenDays  = "http://s3.test:9000/bucket/k?AWSAccessKeyId=AKIDEXAMPLE&Signature=84morbgpvFBEXXeme11RDHJQhBc%3D&Expires=1795867140"
	v2EightDays  = "http://s3.test:9000/bucket/k?AWSAccessKeyId=AKIDEXAMPLE&Signature=9bOy93GRjCfuGQVl39kKweRODx8%3D&Expires=1795953540"
	v2Expired    = "http://s3.test:9000/bucket/k?AWSAccessKeyId=AKIDEXAMPLE&Signature=Lz%2BTlUuLyIwcFMtUJnn1i58PdiQ%3D&Expires=1795262370"
	v2Delete     = "http://s3.test:9000/bucket/k?AWSAccessKeyId=AKIDEXAMPLE&Signature=gmXP7MRQ9ysjMzMKjADdxzL8c5c%3D&Expires=1795265940"
	v2PutPlain   = "http://s3.test:9000/bucket/k?AWSAccessKeyId=AKIDEXAMPLE&Signature=cR0YT%2FF6Xdpjp24IVOOK64LYk0I%3D&Expires=1795265940"
	v2Service    = "http://s3.test:9000/?AWSAccessKeyId=AKIDEXAMPLE&Signature=IBdCQeKrlP3kerF6CpHUL%2F6vdWM%3D&Expires=1795265940"
	v2PutMD5     = "http://s3.test:9000/bucket/k?AWSAccessKeyId=AKIDEXAMPLE&Signature=c9njlN5PHSDpzjAfVmI%2Bs8nGpn4%3D&content-md5=1B2M2Y8AsgTpgAmY7PhCfg%3D%3D&Expires=1795265940"
)

func TestVerifySigV2Presigned(t *testing.T) {
	tests := []struct {
		name     string
		method   string // default GET
		url      string
		header   http.Header
		now      time.Time // default testNow
		service  string    // default s3
		verifier func(*Verifier)
		wantErr  error
	}{
		{name: "GET, key needing encoding", url: v2Get},
		{name: "PUT, content-type and x-amz-* from the query", method: "PUT", url: v2Put},
		{name: "PUT, the same sent as headers", method: "PUT", url: v2Put,
			header: http.Header{"Content-Type": {"text/plain"}, "X-Amz-Acl": {"public-read"}, "X-Amz-Meta-M": {" v"}}},
		{name: "PUT, Content-MD5 from the query", method: "PUT", url: v2PutMD5},
		{name: "PUT, Content-MD5 header", method: "PUT", url: v2PutMD5, header: http.Header{"Content-Md5": {"1B2M2Y8AsgTpgAmY7PhCfg=="}}},
		{name: "UploadPart sub-resources", method: "PUT", url: v2UploadPart},
		{name: "response overrides and versionId", url: v2Overrides},
		{name: "acl", url: v2ACL},
		{name: "tagging", url: v2Tagging},
		{name: "bucket listing, non-sub-resource parameters", url: v2List},
		{name: "DELETE", method: "DELETE", url: v2Delete},
		{name: "expires in just under 7 days", url: v2SevenDays},
		{name: "PUT, no parameters", method: "PUT", url: v2PutPlain},
		{name: "X-Amz-Content-Sha256 is an unsigned x-amz header", method: "PUT", url: v2PutPlain,
			header: http.Header{"X-Amz-Content-Sha256": {StreamingUnsignedPayloadTrailer}}, wantErr: ErrSignatureMismatch},
		{name: "list buckets", url: v2Service},
		{name: "bucket signed as /bucket/, sent as /bucket/", url: strings.Replace(v2List, "/bucket?", "/bucket/?", 1)},
		{name: "bucket signature does not cover a key", url: strings.Replace(v2List, "/bucket?", "/bucket/k?", 1), wantErr: ErrSignatureMismatch},
		{name: "bucket signature does not cover the service", url: strings.Replace(v2List, "/bucket?", "/?", 1), wantErr: ErrSignatureMismatch},

		{name: "expired", url: v2Expired, wantErr: ErrExpired},
		{name: "still valid a second before expiry", url: v2Get, now: time.Unix(1795265940, 0)},
		{name: "expired a second after", url: v2Get, now: time.Unix(1795265941, 0), wantErr: ErrExpired},
		{name: "expires more than 7 days away", url: v2EightDays, wantErr: ErrExpired},
		{name: "custom MaxExpires", url: v2Get, verifier: func(v *Verifier) { v.MaxExpires = 30 * time.Minute }, wantErr: ErrExpired},
		{name: "unknown key", url: v2Get, verifier: func(v *Verifier) { v.Credentials = StaticCredentials{"OTHER": testSK} }, wantErr: ErrUnknownAccessKey},
		{name: "wrong secret", url: v2Get, verifier: func(v *Verifier) { v.Credentials = StaticCredentials{testAK: "other"} }, wantErr: ErrSignatureMismatch},
		{name: "other method", method: "PUT", url: v2Get, wantErr: ErrSignatureMismatch},
		{name: "other path", url: strings.Replace(v2Get, "dir/", "dir2/", 1), wantErr: ErrSignatureMismatch},
		{name: "path decoded", url: strings.Replace(v2Get, "%2B", "+", 1), wantErr: ErrSignatureMismatch},
		{name: "sub-resource added", url: v2Get + "&acl", wantErr: ErrSignatureMismatch},
		{name: "sub-resource changed", method: "PUT", url: strings.Replace(v2UploadPart, "partNumber=3", "partNumber=4", 1), wantErr: ErrSignatureMismatch},
		{name: "sub-resource dropped", url: strings.Replace(v2ACL, "acl&", "", 1), wantErr: ErrSignatureMismatch},
		{name: "override changed", url: strings.Replace(v2Overrides, "x%20y", "x%20z", 1), wantErr: ErrSignatureMismatch},
		{name: "other non-sub-resource parameter is not signed", url: strings.Replace(v2List, "max-keys=5", "max-keys=6", 1)},
		{name: "content-type header differs from the signed one", method: "PUT", url: v2Put, header: http.Header{"Content-Type": {"text/html"}}, wantErr: ErrSignatureMismatch},
		{name: "x-amz header added", url: v2Get, header: http.Header{"X-Amz-Meta-A": {"b"}}, wantErr: ErrSignatureMismatch},
		{name: "x-amz header overrides the query", method: "PUT", url: v2Put, header: http.Header{"X-Amz-Acl": {"private"}}, wantErr: ErrSignatureMismatch},
		{name: "Expires changed", url: strings.Replace(v2Get, "1795265940", "1795265941", 1), wantErr: ErrSignatureMismatch},
		{name: "Expires not a number", url: strings.Replace(v2Get, "1795265940", "17952659x0", 1), wantErr: ErrMalformed},
		{name: "Expires negative", url: strings.Replace(v2Get, "1795265940", "-1", 1), wantErr: ErrMalformed},
		{name: "Expires missing", url: strings.Replace(v2Get, "&Expires=1795265940", "", 1), wantErr: ErrMalformed},
		{name: "signature missing", url: strings.Replace(v2Get, "Signature=", "Sig=", 1), wantErr: ErrMalformed},
		{name: "signature not base64", url: strings.Replace(v2Get, "m7%2FjO8", "m7*jO8", 1), wantErr: ErrMalformed},
		{name: "signature given twice", url: v2Get + "&Signature=m7%2FjO8atf2MqWUBHKS8Oy%2FLcJRc%3D", wantErr: ErrMalformed},
		{name: "signature with unescaped plus", method: "PUT", url: strings.ReplaceAll(v2Put, "%2B", "+")},
		{name: "not for other services", url: v2Get, service: "jcs", wantErr: ErrMissingAuth},
		{name: "Authorization header wins", url: v2Get, header: http.Header{"Authorization": {"AWS AKIDEXAMPLE:abc"}}, wantErr: ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := testVerifier(orDefault(tc.service, "s3"))
			if !tc.now.IsZero() {
				v.Now = func() time.Time { return tc.now }
			}
			if tc.verifier != nil {
				tc.verifier(v)
			}
			r := httptest.NewRequestWithContext(t.Context(), orDefault(tc.method, "GET"), tc.url, strings.NewReader("body"))
			for k, vs := range tc.header {
				r.Header[k] = vs
			}
			id, err := v.Verify(r)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				require.Nil(t, id)
				return
			}
			require.NoError(t, err)
			want := &Identity{AccessKeyID: testAK, Service: "s3", Presigned: true, SigV2: true, PayloadHash: UnsignedPayload}
			require.Equal(t, want, id)
			got, err := io.ReadAll(r.Body)
			require.NoError(t, err)
			require.Equal(t, "body", string(got))
		})
	}
}
