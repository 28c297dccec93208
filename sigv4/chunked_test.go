package sigv4

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/stretchr/testify/require"
)

// The two aws-chunked examples of the Amazon S3 API reference ("Transferring
// payload in multiple chunks" and "Signature calculations for trailing
// headers"), with their published seed, chunk and trailer signatures: 66560
// bytes of 'a' in a 64 KiB and a 1 KiB chunk.
func TestChunkedAWSExamples(t *testing.T) {
	const (
		ak = "AKIAIOSFODNN7EXAMPLE"
		sk = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	)
	tests := []struct {
		name          string
		form          string
		signedHeaders string
		seed          string
		chunkSigs     [3]string
		trailer       string // trailer lines as sent, signature included
		contentLength string
	}{
		{
			name:          "signed chunks",
			form:          StreamingPayload,
			signedHeaders: "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class",
			seed:          "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
			chunkSigs: [3]string{
				"ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
				"0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
				"b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
			},
			contentLength: "66824",
		},
		{
			name:          "signed chunks and trailer",
			form:          StreamingPayloadTrailer,
			signedHeaders: "content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer",
			seed:          "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e",
			chunkSigs: [3]string{
				"b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
				"1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
				"2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
			},
			trailer: "x-amz-checksum-crc32c:sOO8/Q==\r\n" +
				"x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n",
			contentLength: "66946",
		},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			for i, size := range []int{65536, 1024, 0} {
				fmt.Fprintf(&b, "%x;chunk-signature=%s\r\n", size, tc.chunkSigs[i])
				if size > 0 {
					b.WriteString(strings.Repeat("a", size) + "\r\n")
				}
			}
			b.WriteString(tc.trailer + "\r\n")
			require.Equal(t, tc.contentLength, fmt.Sprint(b.Len()), "the documented Content-Length")

			r := httptest.NewRequestWithContext(t.Context(), http.MethodPut, "https://s3.amazonaws.com/examplebucket/chunkObject.txt", strings.NewReader(b.String()))
			r.Header.Set("Content-Encoding", "aws-chunked")
			r.Header.Set("Content-Length", tc.contentLength)
			r.Header.Set("X-Amz-Content-Sha256", tc.form)
			r.Header.Set("X-Amz-Date", "20130524T000000Z")
			r.Header.Set("X-Amz-Decoded-Content-Length", "66560")
			r.Header.Set("X-Amz-Storage-Class", "REDUCED_REDUNDANCY")
			if tc.trailer != "" {
				r.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32c")
			}
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+ak+"/20130524/us-east-1/s3/aws4_request,SignedHeaders="+
				tc.signedHeaders+",Signature="+tc.seed)
			v := &Verifier{Service: "s3", Region: "us-east-1", Credentials: StaticCredentials{ak: sk},
				Now: func() time.Time { return time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC) }}
			id, err := v.Verify(r)
			require.NoError(t, err)
			require.True(t, id.Streaming())

			cr, err := ChunkedBody(r, id)
			require.NoError(t, err)
			got, err := io.ReadAll(cr)
			require.NoError(t, err)
			require.Equal(t, strings.Repeat("a", 66560), string(got))
			if tc.trailer != "" {
				require.Equal(t, http.Header{"X-Amz-Checksum-Crc32c": {"sOO8/Q=="}}, cr.Trailer())
			}

			// The last chunk signature of the other example must fail.
			other := strings.Replace(b.String(), tc.chunkSigs[2], tests[1-i].chunkSigs[2], 1)
			cr, err = NewChunkedReader(strings.NewReader(other), id, 66560, cr.names)
			require.NoError(t, err)
			_, err = io.ReadAll(cr)
			require.ErrorIs(t, err, ErrSignatureMismatch)
		})
	}
}

// testData returns n bytes in which every 8 KiB chunk differs from the next.
func testData(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + (i/8192)%26 + i%3)
	}
	return b
}

// crc32Trailer is the trailer line an SDK sends for data.
func crc32Trailer(data []byte) trailerLine {
	var sum [4]byte
	v := crc32.ChecksumIEEE(data)
	sum[0], sum[1], sum[2], sum[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
	return trailerLine{"x-amz-checksum-crc32", base64.StdEncoding.EncodeToString(sum[:])}
}

var streamingForms = []string{StreamingPayload, StreamingPayloadTrailer, StreamingUnsignedPayloadTrailer}

// trailerFor returns the X-Amz-Trailer value and trailer lines the form takes.
func trailerFor(form string, data []byte) (string, []trailerLine) {
	if form == StreamingPayload {
		return "", nil
	}
	return "x-amz-checksum-crc32", []trailerLine{crc32Trailer(data)}
}

// Bodies built by the test encoder decode to the data, for every form, chunk
// size and read pattern.
func TestChunkedRoundTrip(t *testing.T) {
	readers := map[string]func(io.Reader) io.Reader{
		"whole":    func(r io.Reader) io.Reader { return r },
		"one byte": iotest.OneByteReader,
		"half":     iotest.HalfReader,
	}
	for _, form := range streamingForms {
		for _, size := range []int{0, 1, 8192, 8192*3 + 5, 200 << 10} {
			for _, chunk := range []int{8192, 64 << 10, 1 << 20} {
				for rname, wrap := range readers {
					name := fmt.Sprintf("%s/%d bytes/%d chunks/%s", form, size, chunk, rname)
					t.Run(name, func(t *testing.T) {
						data := testData(size)
						decl, trailers := trailerFor(form, data)
						id := streamingIdentity(t, form, size, decl)
						body := encodeChunked(t, id, data, chunk, trailers)
						cr, err := NewChunkedReader(wrap(bytes.NewReader(body)), id, int64(size), names(decl))
						require.NoError(t, err)
						got, err := io.ReadAll(wrap(cr))
						require.NoError(t, err)
						require.Equal(t, data, got)
						for _, tl := range trailers {
							require.Equal(t, tl.value, cr.Trailer().Get(tl.name))
						}
						n, err := cr.Read(make([]byte, 1))
						require.Zero(t, n)
						require.Equal(t, io.EOF, err, "EOF is sticky")
					})
				}
			}
		}
	}
}

// names splits an X-Amz-Trailer value.
func names(decl string) []string {
	if decl == "" {
		return nil
	}
	return strings.Split(decl, ",")
}

// NewChunkedReader refuses arguments that do not fit the payload form.
func TestNewChunkedReaderArgs(t *testing.T) {
	signedID := streamingIdentity(t, StreamingPayload, 0, "")
	trailerID := streamingIdentity(t, StreamingPayloadTrailer, 0, "x-amz-checksum-crc32")
	unsignedID := streamingIdentity(t, StreamingUnsignedPayloadTrailer, 0, "x-amz-checksum-crc32")
	presigned := &Identity{AccessKeyID: testAK, Service: "s3", Presigned: true, PayloadHash: StreamingUnsignedPayloadTrailer}
	keyless := *signedID
	keyless.signingKey = nil
	tests := []struct {
		name     string
		id       *Identity
		trailers []string
		wantErr  error // nil: accepted
	}{
		{name: "signed", id: signedID},
		{name: "signed trailer", id: trailerID, trailers: []string{"x-amz-checksum-crc32"}},
		{name: "unsigned trailer", id: unsignedID, trailers: []string{"X-Amz-Checksum-CRC32 "}},
		{name: "unsigned trailer, presigned identity", id: presigned, trailers: []string{"x-amz-checksum-sha256"}},
		{name: "two trailers", id: unsignedID, trailers: []string{"x-amz-checksum-crc32", "x-amz-meta-a"}},
		{name: "not streaming", id: &Identity{PayloadHash: UnsignedPayload}, wantErr: ErrMalformed},
		{name: "hex payload", id: &Identity{PayloadHash: emptySHA256}, wantErr: ErrMalformed},
		{name: "signed without key", id: &keyless, wantErr: ErrMalformed},
		{name: "signed trailer, presigned", id: &Identity{Presigned: true, PayloadHash: StreamingPayloadTrailer}, trailers: []string{"x-amz-checksum-crc32"}, wantErr: ErrMalformed},
		{name: "trailer form without names", id: unsignedID, wantErr: ErrMalformed},
		{name: "names without trailer form", id: signedID, trailers: []string{"x-amz-checksum-crc32"}, wantErr: ErrMalformed},
		{name: "duplicate name", id: unsignedID, trailers: []string{"x-amz-checksum-crc32", "X-Amz-Checksum-Crc32"}, wantErr: ErrMalformed},
		{name: "signature name", id: trailerID, trailers: []string{"x-amz-trailer-signature"}, wantErr: ErrMalformed},
		{name: "bad name", id: unsignedID, trailers: []string{"x amz"}, wantErr: ErrMalformed},
		{name: "too many names", id: unsignedID, trailers: strings.Split("a,b,c,d,e,f,g,h,i", ","), wantErr: ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewChunkedReader(strings.NewReader(""), tc.id, -1, tc.trailers)
			if tc.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.wantErr)
		})
	}
	_, err := NewChunkedReader(strings.NewReader(""), nil, -1, nil)
	require.Error(t, err)
}

// ChunkedBody reads the decoded length and trailer names from the headers.
func TestChunkedBody(t *testing.T) {
	data := testData(1000)
	decl, trailers := trailerFor(StreamingUnsignedPayloadTrailer, data)
	id := streamingIdentity(t, StreamingUnsignedPayloadTrailer, len(data), decl)
	body := encodeChunked(t, id, data, 300, trailers)
	tests := []struct {
		name    string
		header  http.Header
		wantErr bool
	}{
		{name: "both", header: http.Header{"X-Amz-Decoded-Content-Length": {"1000"}, "X-Amz-Trailer": {"x-amz-checksum-crc32"}}},
		{name: "no decoded length", header: http.Header{"X-Amz-Trailer": {" x-amz-checksum-crc32 ,"}}},
		{name: "wrong decoded length", header: http.Header{"X-Amz-Decoded-Content-Length": {"999"}, "X-Amz-Trailer": {"x-amz-checksum-crc32"}}, wantErr: true},
		{name: "signed decoded length", header: http.Header{"X-Amz-Decoded-Content-Length": {"+1000"}, "X-Amz-Trailer": {"x-amz-checksum-crc32"}}, wantErr: true},
		{name: "negative decoded length", header: http.Header{"X-Amz-Decoded-Content-Length": {"-1"}, "X-Amz-Trailer": {"x-amz-checksum-crc32"}}, wantErr: true},
		{name: "two decoded lengths", header: http.Header{"X-Amz-Decoded-Content-Length": {"1000", "1000"}, "X-Amz-Trailer": {"x-amz-checksum-crc32"}}, wantErr: true},
		{name: "no trailer names", header: http.Header{"X-Amz-Decoded-Content-Length": {"1000"}}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequestWithContext(t.Context(), http.MethodPut, "http://s3.test/b/k", bytes.NewReader(body))
			r.Header = tc.header
			cr, err := ChunkedBody(r, id)
			if err == nil {
				var got []byte
				got, err = io.ReadAll(cr)
				if err == nil {
					require.Equal(t, data, got)
				}
			}
			if tc.wantErr {
				require.ErrorIs(t, err, ErrMalformed)
				return
			}
			require.NoError(t, err)
		})
	}
}

// A large chunk streams through: the decoder allocates a small, fixed amount
// however long the chunk is, so it never holds a chunk in memory.
func TestChunkedBoundedMemory(t *testing.T) {
	const size = 32 << 20
	for _, form := range streamingForms {
		t.Run(form, func(t *testing.T) {
			data := testData(size)
			decl, trailers := trailerFor(form, data)
			id := streamingIdentity(t, form, size, decl)
			body := encodeChunked(t, id, data, size, trailers)
			buf := make([]byte, 32<<10)

			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			cr, err := NewChunkedReader(bytes.NewReader(body), id, size, names(decl))
			require.NoError(t, err)
			n, err := io.CopyBuffer(io.Discard, onlyReader{cr}, buf)
			runtime.ReadMemStats(&after)
			require.NoError(t, err)
			require.EqualValues(t, size, n)
			require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(256<<10))
		})
	}
}

// onlyReader hides any WriterTo, so that CopyBuffer uses the given buffer.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// A failing underlying reader's error comes through unchanged.
func TestChunkedReadError(t *testing.T) {
	boom := errors.New("connection reset")
	id := streamingIdentity(t, StreamingUnsignedPayloadTrailer, 10, "x-amz-checksum-crc32")
	cr, err := NewChunkedReader(io.MultiReader(strings.NewReader("a\r\n01234"), iotest.ErrReader(boom)), id, 10, []string{"x-amz-checksum-crc32"})
	require.NoError(t, err)
	_, err = io.ReadAll(cr)
	require.Equal(t, boom, err)
}

// Verify accepts exactly the three aws-chunked forms, for s3, and a presigned
// URL only the unsigned one.
func TestVerifyStreamingForms(t *testing.T) {
	tests := []struct {
		name      string
		declared  string
		presigned bool
		service   string // default s3
		wantHash  string // Identity.PayloadHash
		wantErr   error
	}{
		{name: "signed", declared: StreamingPayload, wantHash: StreamingPayload},
		{name: "signed trailer", declared: StreamingPayloadTrailer, wantHash: StreamingPayloadTrailer},
		{name: "unsigned trailer", declared: StreamingUnsignedPayloadTrailer, wantHash: StreamingUnsignedPayloadTrailer},
		{name: "SigV4a chunks", declared: "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD", wantErr: ErrMalformed},
		{name: "event stream", declared: "STREAMING-AWS4-HMAC-SHA256-EVENTS", wantErr: ErrMalformed},
		{name: "unsigned without trailer", declared: "STREAMING-UNSIGNED-PAYLOAD", wantErr: ErrMalformed},
		{name: "not for jcs", declared: StreamingUnsignedPayloadTrailer, service: "jcs", wantErr: ErrMalformed},
		{name: "presigned, unsigned trailer", declared: StreamingUnsignedPayloadTrailer, presigned: true, wantHash: StreamingUnsignedPayloadTrailer},
		{name: "presigned, signed chunks", declared: StreamingPayload, presigned: true, wantErr: ErrMalformed},
		{name: "presigned, signed trailer", declared: StreamingPayloadTrailer, presigned: true, wantErr: ErrMalformed},
		{name: "presigned, no declaration", presigned: true, wantHash: UnsignedPayload},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			service := orDefault(tc.service, "s3")
			r := httptest.NewRequestWithContext(t.Context(), http.MethodPut, "http://s3.test/bucket/key", nil)
			creds := aws.Credentials{AccessKeyID: testAK, SecretAccessKey: testSK}
			if tc.presigned {
				r.URL.RawQuery = "X-Amz-Expires=900"
				u, _, err := v4.NewSigner().PresignHTTP(t.Context(), creds, r, UnsignedPayload, service, "us-east-1", testNow)
				require.NoError(t, err)
				r = httptest.NewRequestWithContext(t.Context(), http.MethodPut, u, nil)
				if tc.declared != "" {
					r.Header.Set("X-Amz-Content-Sha256", tc.declared)
				}
			} else {
				r.Header.Set("X-Amz-Content-Sha256", tc.declared)
				require.NoError(t, v4.NewSigner().SignHTTP(t.Context(), creds, r, tc.declared, service, "us-east-1", testNow))
			}
			id, err := testVerifier(service).Verify(r)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.wantHash, id.PayloadHash)
			require.Equal(t, tc.presigned, id.Presigned)
			if !id.Streaming() {
				return
			}
			// The unsigned form decodes with a presigned identity too.
			data := testData(100)
			decl, trailers := trailerFor(id.PayloadHash, data)
			body := encodeChunked(t, id, data, 64, trailers)
			cr, err := NewChunkedReader(bytes.NewReader(body), id, 100, names(decl))
			require.NoError(t, err)
			got, err := io.ReadAll(cr)
			require.NoError(t, err)
			require.Equal(t, data, got)
		})
	}
}
