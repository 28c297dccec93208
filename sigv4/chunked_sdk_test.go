package sigv4

import (
	"bytes"
	"context"
	"encoding/base64"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/require"
)

// sdkUpload is what the test server saw of one upload.
type sdkUpload struct {
	id      *Identity
	header  http.Header
	body    []byte
	trailer http.Header
	err     error
}

// The aws-sdk-go-v2 S3 client, over HTTPS, sends uploads as
// STREAMING-UNSIGNED-PAYLOAD-TRAILER with a CRC32 trailer: an independent
// encoder for that form. The server verifies, decodes and compares.
func TestChunkedGoSDK(t *testing.T) {
	uploads := make(chan sdkUpload, 1)
	v := &Verifier{Service: "s3", Credentials: StaticCredentials{testAK: testSK}}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u := sdkUpload{header: r.Header.Clone()}
		defer func() { uploads <- u }()
		if u.id, u.err = v.Verify(r); u.err != nil {
			http.Error(w, u.err.Error(), http.StatusForbidden)
			return
		}
		body := io.Reader(r.Body)
		if u.id.Streaming() {
			cr, err := ChunkedBody(r, u.id)
			if u.err = err; err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body, u.trailer = cr, cr.Trailer()
		}
		if u.body, u.err = io.ReadAll(body); u.err != nil {
			http.Error(w, u.err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("ETag", `"x"`)
	}))
	t.Cleanup(srv.Close)
	client := s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		UsePathStyle: true,
		HTTPClient:   srv.Client(),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: testAK, SecretAccessKey: testSK}, nil
		}),
	})
	data := testData(300 << 10)
	tests := []struct {
		name    string
		alg     types.ChecksumAlgorithm
		trailer string
		body    func() io.Reader
		put     bool // PutObject instead of UploadPart
	}{
		{name: "UploadPart CRC32", alg: types.ChecksumAlgorithmCrc32, trailer: "x-amz-checksum-crc32",
			body: func() io.Reader { return bytes.NewReader(data) }},
		{name: "UploadPart SHA256", alg: types.ChecksumAlgorithmSha256, trailer: "x-amz-checksum-sha256",
			body: func() io.Reader { return bytes.NewReader(data) }},
		{name: "PutObject CRC32C, unseekable body, no decoded length", alg: types.ChecksumAlgorithmCrc32c, trailer: "x-amz-checksum-crc32c",
			body: func() io.Reader { return onlyReader{bytes.NewReader(data)} }, put: true},
		{name: "PutObject CRC64NVME, unseekable body, no decoded length", alg: types.ChecksumAlgorithmCrc64nvme, trailer: "x-amz-checksum-crc64nvme",
			body: func() io.Reader { return onlyReader{bytes.NewReader(data)} }, put: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.put {
				_, err = client.PutObject(t.Context(), &s3.PutObjectInput{
					Bucket: aws.String("bucket"), Key: aws.String("dir/key"), Body: tc.body(), ChecksumAlgorithm: tc.alg,
				})
			} else {
				_, err = client.UploadPart(t.Context(), &s3.UploadPartInput{
					Bucket: aws.String("bucket"), Key: aws.String("dir/key"), UploadId: aws.String("u1"),
					PartNumber: aws.Int32(1), Body: tc.body(), ChecksumAlgorithm: tc.alg,
				})
			}
			require.NoError(t, err)
			got := <-uploads
			require.NoError(t, got.err)
			require.Equal(t, StreamingUnsignedPayloadTrailer, got.id.PayloadHash, "headers: %v", got.header)
			require.Equal(t, "aws-chunked", got.header.Get("Content-Encoding"))
			require.Equal(t, tc.trailer, got.header.Get("X-Amz-Trailer"))
			require.Equal(t, data, got.body)
			require.Len(t, got.trailer, 1)
			if tc.alg == types.ChecksumAlgorithmCrc32 {
				sum := crc32.ChecksumIEEE(data)
				want := base64.StdEncoding.EncodeToString([]byte{byte(sum >> 24), byte(sum >> 16), byte(sum >> 8), byte(sum)})
				require.Equal(t, want, got.trailer.Get(tc.trailer))
			}
		})
	}
}
