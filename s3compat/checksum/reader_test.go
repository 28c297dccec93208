package checksum

import (
	"crypto/md5"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/sigv4"
)

func TestReader(t *testing.T) {
	const body = "hello world"
	helloMD5 := md5.Sum([]byte(body))
	tests := []struct {
		name    string
		header  http.Header
		compute Algorithm // set Algorithm with no value
		wantErr error
		wantSum string // base64 of Checksum's digest
	}{
		{name: "nothing declared"},
		{name: "Content-MD5", header: http.Header{"Content-Md5": {"XrY7u+Ae7tCTyyK7j1rNww=="}}},
		{name: "Content-MD5 wrong", header: http.Header{"Content-Md5": {"1B2M2Y8AsgTpgAmY7PhCfg=="}}, wantErr: ErrMD5Mismatch},
		{name: "CRC32", header: http.Header{"X-Amz-Checksum-Crc32": {"DUoRhQ=="}}, wantSum: "DUoRhQ=="},
		{name: "CRC32C", header: http.Header{"X-Amz-Checksum-Crc32c": {"yZRlqg=="}}, wantSum: "yZRlqg=="},
		{name: "CRC64NVME", header: http.Header{"X-Amz-Checksum-Crc64nvme": {"jSnVw/bqjr4="}}, wantSum: "jSnVw/bqjr4="},
		{name: "SHA1", header: http.Header{"X-Amz-Checksum-Sha1": {"Kq5sNclPz7QV2+lfQIuc6R7oRu0="}}, wantSum: "Kq5sNclPz7QV2+lfQIuc6R7oRu0="},
		{name: "SHA256 and MD5", header: http.Header{"X-Amz-Checksum-Sha256": {"uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="},
			"Content-Md5": {"XrY7u+Ae7tCTyyK7j1rNww=="}}, wantSum: "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="},
		{name: "CRC32 of other data", header: http.Header{"X-Amz-Checksum-Crc32": {"y/Q5Jg=="}}, wantErr: ErrMismatch},
		{name: "SHA256 of other data", header: http.Header{"X-Amz-Checksum-Sha256": {"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}}, wantErr: ErrMismatch},
		{name: "computed, not declared", compute: CRC64NVME, wantSum: "jSnVw/bqjr4="},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := ParseHeader(tc.header)
			require.NoError(t, err)
			if tc.compute != "" {
				d.Algorithm = tc.compute
			}
			r := NewReader(iotest.OneByteReader(strings.NewReader(body)), d, nil)
			got, err := io.ReadAll(r)
			require.Equal(t, body, string(got), "the bytes pass through whatever the verdict")
			require.EqualValues(t, len(body), r.Size())
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				_, again := r.Read(make([]byte, 1))
				require.Equal(t, err, again, "errors are sticky")
				return
			}
			require.NoError(t, err)
			require.Equal(t, helloMD5[:], r.MD5())
			alg, sum := r.Checksum()
			require.Equal(t, d.Algorithm, alg)
			if tc.wantSum != "" {
				require.Equal(t, tc.wantSum, Encode(sum))
			}
			_, again := r.Read(make([]byte, 1))
			require.Equal(t, io.EOF, again)
		})
	}
}

// A trailer is fetched only once the body has ended, so it can come from the
// aws-chunked decoder that reads it last.
func TestReaderTrailer(t *testing.T) {
	tests := []struct {
		name    string
		trailer string // the trailer line of the aws-chunked body
		wantErr error
	}{
		{name: "matches", trailer: "x-amz-checksum-crc32:DUoRhQ=="},
		{name: "differs", trailer: "x-amz-checksum-crc32:y/Q5Jg==", wantErr: ErrMismatch},
		{name: "malformed", trailer: "x-amz-checksum-crc32:DUoRhQ", wantErr: ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{"X-Amz-Trailer": {"x-amz-checksum-crc32"}, "X-Amz-Sdk-Checksum-Algorithm": {"CRC32"}}
			d, err := ParseHeader(h)
			require.NoError(t, err)
			body := "6\r\nhello \r\n5\r\nworld\r\n0\r\n" + tc.trailer + "\r\n\r\n"
			id := &sigv4.Identity{PayloadHash: sigv4.StreamingUnsignedPayloadTrailer}
			cr, err := sigv4.NewChunkedReader(strings.NewReader(body), id, 11, []string{"x-amz-checksum-crc32"})
			require.NoError(t, err)
			calls := 0
			r := NewReader(cr, d, func() http.Header {
				calls++
				return cr.Trailer()
			})
			got, err := io.ReadAll(r)
			require.Equal(t, "hello world", string(got))
			require.Equal(t, 1, calls)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
		})
	}
}

// Errors of the underlying reader pass through, and no check runs.
func TestReaderPassesErrors(t *testing.T) {
	boom := errors.New("boom")
	d := Declaration{Algorithm: CRC32, Trailer: true}
	r := NewReader(io.MultiReader(strings.NewReader("abc"), iotest.ErrReader(boom)), d, func() http.Header {
		t.Fatal("trailer fetched before the end")
		return nil
	})
	_, err := io.ReadAll(r)
	require.Equal(t, boom, err)
	require.Nil(t, r.MD5())
}
