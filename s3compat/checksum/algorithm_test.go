package checksum

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Known digests, base64 as on the wire, computed with Python: zlib.crc32,
// hashlib, and a bit-by-bit reflected CRC for CRC32C and CRC64NVME that
// reproduces the catalogue check values (CRC-32C("123456789") = e3069283,
// CRC-64/NVME("123456789") = ae8b14860a799888). botocore's Crc32Checksum,
// Sha1Checksum and Sha256Checksum agree on "hello world". The 66560 'a's are
// the AWS chunked-upload example, whose CRC32C trailer AWS documents as
// sOO8/Q==.
var vectors = []struct {
	name string
	data string
	want map[Algorithm]string
}{
	{"empty", "", map[Algorithm]string{
		CRC32: "AAAAAA==", CRC32C: "AAAAAA==", CRC64NVME: "AAAAAAAAAAA=",
		SHA1: "2jmj7l5rSw0yVb/vlWAYkK/YBwk=", SHA256: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
	}},
	{"hello world", "hello world", map[Algorithm]string{
		CRC32: "DUoRhQ==", CRC32C: "yZRlqg==", CRC64NVME: "jSnVw/bqjr4=",
		SHA1: "Kq5sNclPz7QV2+lfQIuc6R7oRu0=", SHA256: "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=",
	}},
	{"check string", "123456789", map[Algorithm]string{
		CRC32: "y/Q5Jg==", CRC32C: "4waSgw==", CRC64NVME: "rosUhgp5mIg=",
		SHA1: "98O8HYCOBHMq32eZZczDTKeuNEE=", SHA256: "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU=",
	}},
	{"AWS chunked example", strings.Repeat("a", 66560), map[Algorithm]string{
		CRC32: "sK4Y7A==", CRC32C: "sOO8/Q==", CRC64NVME: "pRf+emrnL+A=",
		SHA1: "qOlv5ixdz2jRNhlSLmgH6iaTKRI=", SHA256: "zWnTiHxq+SZLEA17dgIzEzXZqn4718MM3G1vS/uzyIg=",
	}},
}

// md5Vectors are base64 MD5s (Content-MD5) of the vectors' data.
var md5Vectors = map[string]string{
	"":            "1B2M2Y8AsgTpgAmY7PhCfg==",
	"hello world": "XrY7u+Ae7tCTyyK7j1rNww==",
	"123456789":   "JfnnlDI7RTiF9RgfG2JNCw==",
}

func TestAlgorithmVectors(t *testing.T) {
	for _, v := range vectors {
		for _, a := range all {
			t.Run(v.name+"/"+string(a), func(t *testing.T) {
				h := a.New()
				h.Write([]byte(v.data))
				sum := h.Sum(nil)
				require.Len(t, sum, a.Size())
				require.Equal(t, v.want[a], Encode(sum))
				got, err := a.Decode(v.want[a])
				require.NoError(t, err)
				require.Equal(t, sum, got)
			})
		}
	}
}

func TestParseAlgorithm(t *testing.T) {
	tests := []struct {
		in      string
		want    Algorithm
		wantErr bool
	}{
		{in: "CRC32", want: CRC32},
		{in: "crc32c", want: CRC32C},
		{in: " Crc64Nvme ", want: CRC64NVME},
		{in: "sha1", want: SHA1},
		{in: "SHA256", want: SHA256},
		{in: "SHA512", wantErr: true},
		{in: "MD5", wantErr: true},
		{in: "CRC", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseAlgorithm(tc.in)
			if tc.wantErr {
				require.ErrorIs(t, err, ErrInvalid)
				var e *Error
				require.True(t, errors.As(err, &e))
				require.Contains(t, e.Message, "[CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
			require.True(t, got.Valid())
		})
	}
}

func TestHeaderName(t *testing.T) {
	want := map[Algorithm]string{
		CRC32: "x-amz-checksum-crc32", CRC32C: "x-amz-checksum-crc32c", CRC64NVME: "x-amz-checksum-crc64nvme",
		SHA1: "x-amz-checksum-sha1", SHA256: "x-amz-checksum-sha256",
	}
	for _, a := range all {
		require.Equal(t, want[a], a.HeaderName())
		got, ok := algorithmFromHeader(strings.ToUpper(want[a]))
		require.True(t, ok)
		require.Equal(t, a, got)
	}
	_, ok := algorithmFromHeader("x-amz-checksum-type")
	require.False(t, ok)
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name    string
		a       Algorithm
		value   string
		wantErr bool
	}{
		{name: "crc32", a: CRC32, value: "DUoRhQ=="},
		{name: "surrounding blanks", a: CRC32, value: " DUoRhQ==\t"},
		{name: "missing padding", a: CRC32, value: "DUoRhQ", wantErr: true},
		{name: "url alphabet", a: SHA1, value: "Kq5sNclPz7QV2-lfQIuc6R7oRu0=", wantErr: true},
		{name: "non-zero padding bits", a: CRC32, value: "DUoRhR==", wantErr: true},
		{name: "too short", a: CRC64NVME, value: "DUoRhQ==", wantErr: true},
		{name: "too long", a: CRC32, value: "jSnVw/bqjr4=", wantErr: true},
		{name: "empty", a: SHA256, value: "", wantErr: true},
		{name: "hex", a: CRC32, value: "0d4a1185", wantErr: true},
		{name: "invalid algorithm", a: "MD5", value: "XrY7u+Ae7tCTyyK7j1rNww==", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.a.Decode(tc.value)
			if !tc.wantErr {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrInvalid)
			var e *Error
			require.True(t, errors.As(err, &e))
			require.Equal(t, "Value for "+tc.a.HeaderName()+" header is invalid.", e.Message)
		})
	}
}

func TestNewPanicsOnInvalid(t *testing.T) {
	require.Panics(t, func() { Algorithm("MD5").New() })
	require.Zero(t, Algorithm("").Size())
	require.False(t, Algorithm("").Valid())
}

// Content-MD5 values decode to the MD5 a Reader computes.
func TestMD5Vectors(t *testing.T) {
	for data, b64 := range md5Vectors {
		d, err := ParseHeader(http.Header{"Content-Md5": {b64}})
		require.NoError(t, err)
		r := NewReader(strings.NewReader(data), d, nil)
		_, err = io.ReadAll(r)
		require.NoError(t, err)
		require.Equal(t, b64, Encode(r.MD5()))
	}
}
