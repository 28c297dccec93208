package s3compat_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/sigv4"
)

// An aws-chunked encoder of our own, written from the S3 documentation ("Signature
// calculations for the Authorization header: transferring payload in multiple chunks"), so
// that the server's decoder is checked against code it shares nothing with.

// chunked describes an aws-chunked request body.
type chunked struct {
	form      string // one of the sigv4 STREAMING constants
	data      []byte
	chunkSize int
	// trailer is the trailer header's name ("x-amz-checksum-crc32"), "" for none; value is
	// what the trailer line carries.
	trailer, value string
	// badChunk, from 1, is a chunk whose signature is corrupted; 0 for none.
	badChunk int
	// badTrailerSig corrupts the trailer signature.
	badTrailerSig bool
	// noLength sends the body with Transfer-Encoding: chunked and no Content-Length.
	noLength bool
	// declared overrides X-Amz-Decoded-Content-Length (0: the data's length); -1 leaves it out.
	declared int
}

func hmacSHA256(key []byte, s string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return m.Sum(nil)
}

// signingKey derives the SigV4 signing key.
func signingKey(secret string, at time.Time) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), at.UTC().Format("20060102"))
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, "s3")
	return hmacSHA256(k, "aws4_request")
}

// encode frames c.data with the given seed signature.
func (c chunked) encode(creds aws.Credentials, at time.Time, seed string) []byte {
	signed := c.form != sigv4.StreamingUnsignedPayloadTrailer
	key := signingKey(creds.SecretAccessKey, at)
	amzDate := at.UTC().Format("20060102T150405Z")
	scope := at.UTC().Format("20060102") + "/" + region + "/s3/aws4_request"
	prev := seed
	var b bytes.Buffer
	n := 0
	writeChunk := func(p []byte) {
		n++
		fmt.Fprintf(&b, "%x", len(p))
		if signed {
			sts := "AWS4-HMAC-SHA256-PAYLOAD\n" + amzDate + "\n" + scope + "\n" + prev + "\n" + emptySHA256 + "\n" + hexSHA256(p)
			sig := hex.EncodeToString(hmacSHA256(key, sts))
			prev = sig
			if n == c.badChunk {
				sig = hex.EncodeToString(hmacSHA256(key, sts+"x"))
			}
			b.WriteString(";chunk-signature=" + sig)
		}
		b.WriteString("\r\n")
		if len(p) > 0 {
			b.Write(p)
			b.WriteString("\r\n")
		}
	}
	for off := 0; off < len(c.data); off += c.chunkSize {
		writeChunk(c.data[off:min(off+c.chunkSize, len(c.data))])
	}
	writeChunk(nil)
	if c.trailer != "" {
		line := c.trailer + ":" + c.value
		b.WriteString(line + "\r\n")
		if signed {
			sts := "AWS4-HMAC-SHA256-TRAILER\n" + amzDate + "\n" + scope + "\n" + prev + "\n" + hexSHA256([]byte(line+"\n"))
			sig := hex.EncodeToString(hmacSHA256(key, sts))
			if c.badTrailerSig {
				sig = strings.Repeat("0", 64)
			}
			b.WriteString("x-amz-trailer-signature:" + sig + "\r\n")
		}
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

// put sends c as the body of a PUT of target on srv, signed by creds, and returns the answer.
func (v *env) putChunked(srv *httptest.Server, target string, creds aws.Credentials, c chunked) response {
	v.t.Helper()
	if c.chunkSize == 0 {
		c.chunkSize = 64 << 10
	}
	at := time.Now()
	req := v.newRequest(srv, "PUT", target, nil)
	req.Header.Set("Content-Encoding", "aws-chunked")
	switch c.declared {
	case -1:
	case 0:
		req.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(len(c.data)))
	default:
		req.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(c.declared))
	}
	if c.trailer != "" {
		req.Header.Set("X-Amz-Trailer", c.trailer)
	}
	// Signatures have a fixed length, so a first encoding gives the length to sign.
	n := len(c.encode(creds, at, strings.Repeat("0", 64)))
	req.ContentLength = int64(n)
	if c.noLength {
		req.ContentLength = -1
	}
	v.sign(req, creds, c.form, at)
	auth := req.Header.Get("Authorization")
	seed := auth[strings.LastIndex(auth, "Signature=")+len("Signature="):]
	body := c.encode(creds, at, seed)
	require.Len(v.t, body, n)
	req.Body = io.NopCloser(bytes.NewReader(body))
	resp, err := srv.Client().Do(req)
	require.NoError(v.t, err)
	defer resp.Body.Close()
	rb, err := io.ReadAll(resp.Body)
	require.NoError(v.t, err)
	return response{status: resp.StatusCode, header: resp.Header, body: rb}
}

func TestAWSChunked(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	v.bucket("chunks")
	payload := data(30, 200<<10+3)
	crc := sum64(checksumAlgorithms[0].new, payload)
	sha := sha256b64(payload)

	good := []struct {
		name string
		c    chunked
	}{
		{"signed", chunked{form: sigv4.StreamingPayload, data: payload}},
		{"signed, small chunks", chunked{form: sigv4.StreamingPayload, data: payload[:1000], chunkSize: 7}},
		{"signed, empty", chunked{form: sigv4.StreamingPayload}},
		{"signed trailer", chunked{form: sigv4.StreamingPayloadTrailer, data: payload, trailer: "x-amz-checksum-crc32", value: crc}},
		{"unsigned trailer", chunked{form: sigv4.StreamingUnsignedPayloadTrailer, data: payload, trailer: "x-amz-checksum-sha256", value: sha}},
		{"unsigned trailer, no Content-Length", chunked{form: sigv4.StreamingUnsignedPayloadTrailer, data: payload, trailer: "x-amz-checksum-crc32", value: crc, noLength: true}},
		{"signed, no Content-Length", chunked{form: sigv4.StreamingPayload, data: payload, noLength: true}},
		{"no decoded length", chunked{form: sigv4.StreamingPayload, data: payload, declared: -1}},
	}
	for _, tc := range good {
		for _, srv := range []*httptest.Server{v.tls, v.plain} {
			t.Run(tc.name, func(t *testing.T) {
				key := "good/" + strings.ReplaceAll(tc.name, " ", "_")
				v.forget()
				r := v.putChunked(srv, "/chunks/"+key, v.root, tc.c)
				require.Equal(t, http.StatusOK, r.status, "%s", r.body)
				seen := v.requests("PUT", "")
				require.Len(t, seen, 1)
				if tc.c.noLength {
					require.Equal(t, []string{"chunked"}, seen[0].transfer)
					require.Equal(t, int64(-1), seen[0].length)
				} else {
					require.Positive(t, seen[0].length)
				}
				o := v.stat("chunks", key)
				require.Empty(t, o.Attrs.ContentEncoding, "aws-chunked is never stored")
				got := v.get("chunks", key)
				if len(tc.c.data) == 0 {
					require.Empty(t, got)
				} else {
					require.Equal(t, tc.c.data, got, "the framing is decoded, not stored")
				}
				if tc.c.trailer != "" {
					alg := strings.ToUpper(strings.TrimPrefix(tc.c.trailer, "x-amz-checksum-"))
					require.Equal(t, alg, o.Checksum.Algorithm)
					require.Equal(t, tc.c.value, o.Checksum.Value)
				}
			})
		}
	}

	bad := []struct {
		name   string
		c      chunked
		status int
		code   string
	}{
		{"wrong chunk signature", chunked{form: sigv4.StreamingPayload, data: payload, badChunk: 2}, 403, "SignatureDoesNotMatch"},
		{"wrong final chunk signature", chunked{form: sigv4.StreamingPayload, data: payload, badChunk: 5}, 403, "SignatureDoesNotMatch"},
		{"wrong first chunk signature", chunked{form: sigv4.StreamingPayload, data: payload, badChunk: 1}, 403, "SignatureDoesNotMatch"},
		{"wrong trailer signature", chunked{form: sigv4.StreamingPayloadTrailer, data: payload, trailer: "x-amz-checksum-crc32", value: crc, badTrailerSig: true}, 403, "SignatureDoesNotMatch"},
		{"wrong signed trailer checksum", chunked{form: sigv4.StreamingPayloadTrailer, data: payload, trailer: "x-amz-checksum-crc32", value: sum64(checksumAlgorithms[0].new, []byte("x"))}, 400, "BadDigest"},
		{"wrong unsigned trailer checksum", chunked{form: sigv4.StreamingUnsignedPayloadTrailer, data: payload, trailer: "x-amz-checksum-sha256", value: sha256b64([]byte("x"))}, 400, "BadDigest"},
		{"wrong unsigned trailer checksum, no Content-Length", chunked{form: sigv4.StreamingUnsignedPayloadTrailer, data: payload, trailer: "x-amz-checksum-crc32", value: sum64(checksumAlgorithms[0].new, []byte("x")), noLength: true}, 400, "BadDigest"},
		{"decoded length too long", chunked{form: sigv4.StreamingPayload, data: payload, declared: len(payload) + 1}, 400, ""},
		{"decoded length too short", chunked{form: sigv4.StreamingPayload, data: payload, declared: len(payload) - 1}, 400, ""},
	}
	for _, tc := range bad {
		for _, srv := range []*httptest.Server{v.tls, v.plain} {
			t.Run(tc.name, func(t *testing.T) {
				key := "bad/" + strings.ReplaceAll(tc.name, " ", "_")
				r := v.putChunked(srv, "/chunks/"+key, v.root, tc.c)
				require.Equal(t, tc.status, r.status, "%s", r.body)
				if tc.code != "" {
					require.Equal(t, tc.code, r.errDoc(t).Code)
				}
				require.False(t, v.exists("chunks", key), "nothing is stored")
			})
		}
	}

	t.Run("the trailer form on UploadPart", func(t *testing.T) {
		up := v.raw("POST", "/chunks/part?uploads", nil, nil)
		require.Equal(t, http.StatusOK, up.status)
		id := between(string(up.body), "<UploadId>", "</UploadId>")
		r := v.putChunked(v.tls, "/chunks/part?partNumber=1&uploadId="+id, v.root,
			chunked{form: sigv4.StreamingUnsignedPayloadTrailer, data: payload, trailer: "x-amz-checksum-crc32", value: sum64(checksumAlgorithms[0].new, []byte("x"))})
		r.requireError(t, http.StatusBadRequest, "BadDigest")
		r = v.putChunked(v.tls, "/chunks/part?partNumber=1&uploadId="+id, v.root,
			chunked{form: sigv4.StreamingPayload, data: payload, badChunk: 3})
		r.requireError(t, http.StatusForbidden, "SignatureDoesNotMatch")
		l := v.raw("GET", "/chunks/part?uploadId="+id, nil, nil)
		require.Equal(t, http.StatusOK, l.status)
		require.NotContains(t, string(l.body), "<Part>", "no part is stored")
		r = v.putChunked(v.tls, "/chunks/part?partNumber=1&uploadId="+id, v.root,
			chunked{form: sigv4.StreamingUnsignedPayloadTrailer, data: payload, trailer: "x-amz-checksum-crc32", value: crc, noLength: true})
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		require.Equal(t, `"`+md5hex(payload)+`"`, r.header.Get("ETag"))
	})
}

// between returns the text of s between the first open and the close after it.
func between(s, open, close string) string {
	_, rest, _ := strings.Cut(s, open)
	in, _, _ := strings.Cut(rest, close)
	return in
}
