package sigv4

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/stretchr/testify/require"
)

// trailerLine is one line of an aws-chunked trailer, sent as name:value.
type trailerLine struct{ name, value string }

// streamingIdentity signs a PUT that declares the payload form with the
// aws-sdk-go-v2 signer, verifies it for "s3" and returns the Identity the
// decoder needs. trailer is the X-Amz-Trailer value, "" for none.
func streamingIdentity(t testing.TB, form string, decodedLength int, trailer string) *Identity {
	t.Helper()
	r := httptest.NewRequestWithContext(context.Background(), http.MethodPut, "http://s3.test/bucket/key", nil)
	r.Header.Set("Content-Encoding", "aws-chunked")
	r.Header.Set("X-Amz-Content-Sha256", form)
	r.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(decodedLength))
	if trailer != "" {
		r.Header.Set("X-Amz-Trailer", trailer)
	}
	creds := aws.Credentials{AccessKeyID: testAK, SecretAccessKey: testSK}
	require.NoError(t, v4.NewSigner().SignHTTP(context.Background(), creds, r, form, "s3", "us-east-1", testNow))
	id, err := testVerifier("s3").Verify(r)
	require.NoError(t, err)
	require.Equal(t, form, id.PayloadHash)
	require.True(t, id.Streaming())
	require.False(t, id.PayloadSigned)
	return id
}

// encodeChunked frames data in id's aws-chunked form, in chunks of chunkSize
// bytes (the last may be shorter), followed by the trailer lines.
//
// Chunk signatures come from aws-sdk-go-v2's event-stream StreamSigner: its
// string to sign with empty headers is exactly the aws-chunked one, so the
// decoder is checked against code it shares nothing with. The trailer
// signature is computed here from the specification; TestChunkedAWSExamples
// checks the decoder's against AWS's published value.
func encodeChunked(t testing.TB, id *Identity, data []byte, chunkSize int, trailers []trailerLine) []byte {
	t.Helper()
	var b bytes.Buffer
	var ss *v4.StreamSigner
	signed := id.PayloadHash != StreamingUnsignedPayloadTrailer
	if signed {
		seed, err := hex.DecodeString(id.Signature)
		require.NoError(t, err)
		creds := aws.Credentials{AccessKeyID: testAK, SecretAccessKey: testSK}
		ss = v4.NewStreamSigner(creds, id.Service, id.Region, seed)
	}
	var prev []byte
	writeChunk := func(p []byte) {
		fmt.Fprintf(&b, "%x", len(p))
		if signed {
			sig, err := ss.GetSignature(context.Background(), nil, p, id.SignedAt)
			require.NoError(t, err)
			prev = sig
			fmt.Fprintf(&b, ";chunk-signature=%x", sig)
		}
		b.WriteString("\r\n")
		if len(p) > 0 {
			b.Write(p)
			b.WriteString("\r\n")
		}
	}
	for off := 0; off < len(data); off += chunkSize {
		writeChunk(data[off:min(off+chunkSize, len(data))])
	}
	writeChunk(nil)
	var canon bytes.Buffer
	for _, tl := range trailers {
		fmt.Fprintf(&b, "%s:%s\r\n", tl.name, tl.value)
		fmt.Fprintf(&canon, "%s:%s\n", tl.name, tl.value)
	}
	if signed && id.PayloadHash == StreamingPayloadTrailer {
		fmt.Fprintf(&b, "x-amz-trailer-signature:%s\r\n", testTrailerSignature(id, prev, canon.Bytes()))
	}
	b.WriteString("\r\n")
	return b.Bytes()
}

// testTrailerSignature computes a trailer signature from the specification.
func testTrailerSignature(id *Identity, prev, canon []byte) string {
	sum := sha256.Sum256(canon)
	key := deriveKey(testSK, id.SignedAt.Format("20060102"), id.Region, id.Service)
	sts := "AWS4-HMAC-SHA256-TRAILER\n" + id.SignedAt.UTC().Format("20060102T150405Z") + "\n" + id.Scope + "\n" +
		hex.EncodeToString(prev) + "\n" + hex.EncodeToString(sum[:])
	return hex.EncodeToString(hmacSHA256(key, sts))
}
