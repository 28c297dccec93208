package sigv4

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The examples from the Amazon S3 and IAM documentation, with their published
// signatures: an independent check of the canonical request, the string to
// sign and the key derivation.
func TestAWSDocumentedExamples(t *testing.T) {
	const (
		s3AK = "AKIAIOSFODNN7EXAMPLE"
		s3SK = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	)
	s3Time := time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		service string
		creds   StaticCredentials
		now     time.Time
		method  string
		url     string
		body    string
		header  map[string]string
	}{
		{
			name: "s3 GET object", service: "s3", creds: StaticCredentials{s3AK: s3SK}, now: s3Time,
			method: "GET", url: "https://examplebucket.s3.amazonaws.com/test.txt",
			header: map[string]string{
				"Range":                "bytes=0-9",
				"X-Amz-Content-Sha256": emptySHA256,
				"X-Amz-Date":           "20130524T000000Z",
				"Authorization": "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request," +
					"SignedHeaders=host;range;x-amz-content-sha256;x-amz-date," +
					"Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
			},
		},
		{
			name: "s3 PUT object with $ in the key", service: "s3", creds: StaticCredentials{s3AK: s3SK}, now: s3Time,
			method: "PUT", url: "https://examplebucket.s3.amazonaws.com/test$file.text", body: "Welcome to Amazon S3.",
			header: map[string]string{
				"Date":                 "Fri, 24 May 2013 00:00:00 GMT",
				"X-Amz-Storage-Class":  "REDUCED_REDUNDANCY",
				"X-Amz-Content-Sha256": "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072",
				"X-Amz-Date":           "20130524T000000Z",
				"Authorization": "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request," +
					"SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class," +
					"Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
			},
		},
		{
			name: "s3 presigned GET", service: "s3", creds: StaticCredentials{s3AK: s3SK}, now: s3Time.Add(time.Hour),
			method: "GET", url: "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256" +
				"&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z" +
				"&X-Amz-Expires=86400&X-Amz-SignedHeaders=host" +
				"&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
		},
		{
			name: "iam ListUsers", service: "iam", creds: StaticCredentials{testAK: testSK},
			now:    time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC),
			method: "GET", url: "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08",
			header: map[string]string{
				"Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
				"X-Amz-Date":   "20150830T123600Z",
				"Authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, " +
					"SignedHeaders=content-type;host;x-amz-date, " +
					"Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := &Verifier{Service: tc.service, Region: "us-east-1", Credentials: tc.creds, Now: func() time.Time { return tc.now }}
			r := httptest.NewRequestWithContext(t.Context(), tc.method, tc.url, strings.NewReader(tc.body))
			for k, val := range tc.header {
				r.Header.Set(k, val)
			}
			id, err := v.Verify(r)
			require.NoError(t, err)
			got, err := io.ReadAll(r.Body)
			require.NoError(t, err)
			require.Equal(t, tc.body, string(got))
			require.Equal(t, "us-east-1", id.Region)

			// Another host must fail, at Verify or, when the payload hash
			// was not declared, at the body's EOF.
			r = httptest.NewRequestWithContext(t.Context(), tc.method, tc.url, strings.NewReader(tc.body))
			for k, val := range tc.header {
				r.Header.Set(k, val)
			}
			r.Host = "other.s3.amazonaws.com"
			if _, err = v.Verify(r); err == nil {
				_, err = io.ReadAll(r.Body)
			}
			require.ErrorIs(t, err, ErrSignatureMismatch)
		})
	}
}
