package checksum

import (
	"crypto/md5"
	"encoding/base64"
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// mustDecode decodes a base64 test value.
func mustDecode(s string) []byte {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func TestParseHeader(t *testing.T) {
	const (
		crc32Hello = "DUoRhQ=="
		md5Hello   = "XrY7u+Ae7tCTyyK7j1rNww=="
	)
	tests := []struct {
		name    string
		header  http.Header
		want    Declaration
		wantErr error
		wantMsg string
	}{
		{name: "nothing", header: http.Header{}},
		{name: "Content-MD5", header: http.Header{"Content-Md5": {md5Hello}}, want: Declaration{MD5: mustDecode(md5Hello)}},
		{name: "checksum header", header: http.Header{"X-Amz-Checksum-Crc32": {crc32Hello}},
			want: Declaration{Algorithm: CRC32, Value: mustDecode(crc32Hello)}},
		{name: "checksum header, non-canonical key", header: http.Header{"x-amz-checksum-sha1": {"Kq5sNclPz7QV2+lfQIuc6R7oRu0="}},
			want: Declaration{Algorithm: SHA1, Value: mustDecode("Kq5sNclPz7QV2+lfQIuc6R7oRu0=")}},
		{name: "checksum header and MD5 and SDK algorithm", header: http.Header{
			"X-Amz-Checksum-Crc32": {crc32Hello}, "Content-Md5": {md5Hello}, "X-Amz-Sdk-Checksum-Algorithm": {"crc32"},
		}, want: Declaration{MD5: mustDecode(md5Hello), Algorithm: CRC32, Value: mustDecode(crc32Hello)}},
		{name: "trailer", header: http.Header{"X-Amz-Trailer": {"x-amz-checksum-crc64nvme"}, "X-Amz-Sdk-Checksum-Algorithm": {"CRC64NVME"}},
			want: Declaration{Algorithm: CRC64NVME, Trailer: true}},
		{name: "trailer with blanks and case", header: http.Header{"X-Amz-Trailer": {" X-Amz-Checksum-SHA256 ,"}},
			want: Declaration{Algorithm: SHA256, Trailer: true}},
		{name: "value-less checksum headers ignored", header: http.Header{
			"X-Amz-Checksum-Type": {"FULL_OBJECT"}, "X-Amz-Checksum-Algorithm": {"CRC32"}, "X-Amz-Checksum-Mode": {"ENABLED"},
		}},

		{name: "Content-MD5 not base64", header: http.Header{"Content-Md5": {"not base64!"}}, wantErr: ErrInvalidMD5,
			wantMsg: "The Content-MD5 you specified is not valid."},
		{name: "Content-MD5 of 11 bytes", header: http.Header{"Content-Md5": {"YWJyYWNhZGFicmE="}}, wantErr: ErrInvalidMD5},
		{name: "Content-MD5 in hex", header: http.Header{"Content-Md5": {"5eb63bbbe01eeed093cb22bb8f5acdc3"}}, wantErr: ErrInvalidMD5},
		{name: "Content-MD5 empty", header: http.Header{"Content-Md5": {""}}, wantErr: ErrInvalidMD5},
		{name: "Content-MD5 twice", header: http.Header{"Content-Md5": {md5Hello, md5Hello}}, wantErr: ErrInvalidMD5},
		{name: "checksum value malformed", header: http.Header{"X-Amz-Checksum-Sha256": {"BAD"}}, wantErr: ErrInvalid,
			wantMsg: "Value for x-amz-checksum-sha256 header is invalid."},
		{name: "checksum value of another algorithm's size", header: http.Header{"X-Amz-Checksum-Crc64nvme": {crc32Hello}}, wantErr: ErrInvalid},
		{name: "two algorithms", header: http.Header{"X-Amz-Checksum-Crc32": {crc32Hello}, "X-Amz-Checksum-Crc32c": {"yZRlqg=="}},
			wantErr: ErrInvalid, wantMsg: "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."},
		{name: "one header twice", header: http.Header{"X-Amz-Checksum-Crc32": {crc32Hello, crc32Hello}}, wantErr: ErrInvalid},
		{name: "unsupported algorithm header", header: http.Header{"X-Amz-Checksum-Sha512": {"x"}}, wantErr: ErrInvalid},
		{name: "header and trailer", header: http.Header{"X-Amz-Checksum-Crc32": {crc32Hello}, "X-Amz-Trailer": {"x-amz-checksum-crc32c"}},
			wantErr: ErrInvalid, wantMsg: "Expecting a single x-amz-checksum- header"},
		{name: "header and trailer of the same algorithm", header: http.Header{"X-Amz-Checksum-Crc32": {crc32Hello}, "X-Amz-Trailer": {"x-amz-checksum-crc32"}},
			wantErr: ErrInvalid},
		{name: "two trailers", header: http.Header{"X-Amz-Trailer": {"x-amz-checksum-crc32,x-amz-checksum-crc32c"}}, wantErr: ErrInvalid,
			wantMsg: "The value specified in the x-amz-trailer header is not supported"},
		{name: "non-checksum trailer", header: http.Header{"X-Amz-Trailer": {"x-amz-meta-a"}}, wantErr: ErrInvalid},
		{name: "SDK algorithm alone", header: http.Header{"X-Amz-Sdk-Checksum-Algorithm": {"CRC32"}}, wantErr: ErrInvalid,
			wantMsg: "x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found."},
		{name: "SDK algorithm differs from header", header: http.Header{"X-Amz-Checksum-Crc32": {crc32Hello}, "X-Amz-Sdk-Checksum-Algorithm": {"SHA256"}},
			wantErr: ErrInvalid, wantMsg: "Value for x-amz-sdk-checksum-algorithm header is invalid."},
		{name: "SDK algorithm differs from trailer", header: http.Header{"X-Amz-Trailer": {"x-amz-checksum-crc32"}, "X-Amz-Sdk-Checksum-Algorithm": {"CRC32C"}},
			wantErr: ErrInvalid},
		{name: "SDK algorithm unknown", header: http.Header{"X-Amz-Checksum-Crc32": {crc32Hello}, "X-Amz-Sdk-Checksum-Algorithm": {"MD4"}},
			wantErr: ErrInvalid, wantMsg: unsupportedMessage},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseHeader(tc.header)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				if tc.wantMsg != "" {
					var e *Error
					require.True(t, errors.As(err, &e))
					require.Equal(t, tc.wantMsg, e.Message)
				}
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestDeclarationCheck(t *testing.T) {
	helloMD5 := md5.Sum([]byte("hello world"))
	crc := mustDecode("DUoRhQ==")
	tests := []struct {
		name    string
		d       Declaration
		md5     []byte
		sum     []byte
		trailer http.Header
		wantErr error
		wantMsg string
	}{
		{name: "nothing declared", md5: helloMD5[:]},
		{name: "MD5 matches", d: Declaration{MD5: helloMD5[:]}, md5: helloMD5[:]},
		{name: "MD5 differs", d: Declaration{MD5: helloMD5[:]}, md5: make([]byte, 16), wantErr: ErrMD5Mismatch,
			wantMsg: "The Content-MD5 you specified did not match what we received."},
		{name: "header value matches", d: Declaration{Algorithm: CRC32, Value: crc}, sum: crc},
		{name: "header value differs", d: Declaration{Algorithm: CRC32, Value: crc}, sum: []byte{0, 0, 0, 1}, wantErr: ErrMismatch,
			wantMsg: "The CRC32 you specified did not match the calculated checksum."},
		{name: "compute only", d: Declaration{Algorithm: SHA256}, sum: make([]byte, 32)},
		{name: "trailer matches", d: Declaration{Algorithm: CRC32, Trailer: true}, sum: crc,
			trailer: http.Header{"X-Amz-Checksum-Crc32": {"DUoRhQ=="}}},
		{name: "trailer differs", d: Declaration{Algorithm: CRC32C, Trailer: true}, sum: []byte{1, 2, 3, 4},
			trailer: http.Header{"X-Amz-Checksum-Crc32c": {"DUoRhQ=="}}, wantErr: ErrMismatch,
			wantMsg: "The CRC32C you specified did not match the calculated checksum."},
		{name: "trailer malformed", d: Declaration{Algorithm: CRC32, Trailer: true}, sum: crc,
			trailer: http.Header{"X-Amz-Checksum-Crc32": {"DUoRhQ"}}, wantErr: ErrInvalid,
			wantMsg: "Value for x-amz-checksum-crc32 trailing header is invalid."},
		{name: "trailer missing", d: Declaration{Algorithm: CRC32, Trailer: true}, sum: crc, wantErr: ErrInvalid},
		{name: "trailer of another algorithm", d: Declaration{Algorithm: CRC32, Trailer: true}, sum: crc,
			trailer: http.Header{"X-Amz-Checksum-Crc32c": {"DUoRhQ=="}}, wantErr: ErrInvalid},
		{name: "MD5 checked first", d: Declaration{MD5: helloMD5[:], Algorithm: CRC32, Value: crc}, md5: make([]byte, 16),
			sum: make([]byte, 4), wantErr: ErrMD5Mismatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.d.Check(tc.md5, tc.sum, tc.trailer)
			if tc.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.wantErr)
			var e *Error
			require.True(t, errors.As(err, &e))
			if tc.wantMsg != "" {
				require.Equal(t, tc.wantMsg, e.Message)
			}
		})
	}
}
