package sigv4

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
)

// Payload forms: the values of X-Amz-Content-Sha256 other than a hex SHA-256.
// The three STREAMING forms mean the body is aws-chunked (Content-Encoding:
// aws-chunked) and must be decoded with a ChunkedReader; Verify accepts them
// for the "s3" service only.
const (
	// UnsignedPayload: the body is sent as is and not covered by the signature.
	UnsignedPayload = "UNSIGNED-PAYLOAD"
	// StreamingPayload: aws-chunked with a signature on every chunk, chained
	// from the request's seed signature, and no trailer.
	StreamingPayload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	// StreamingPayloadTrailer: StreamingPayload followed by trailer lines and
	// a trailer signature that continues the chain.
	StreamingPayloadTrailer = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	// StreamingUnsignedPayloadTrailer: aws-chunked without signatures, followed
	// by trailer lines (usually a checksum). What boto3, the aws cli v2 and the
	// Go and JS SDKs send over HTTPS.
	StreamingUnsignedPayloadTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
)

// Request headers that describe an aws-chunked body.
const (
	headerDecodedLength = "X-Amz-Decoded-Content-Length"
	headerTrailer       = "X-Amz-Trailer"
)

// isStreaming reports whether payloadHash is one of the aws-chunked forms.
func isStreaming(payloadHash string) bool {
	switch payloadHash {
	case StreamingPayload, StreamingPayloadTrailer, StreamingUnsignedPayloadTrailer:
		return true
	}
	return false
}

// Streaming reports whether the request's body is aws-chunked, that is,
// PayloadHash is one of the STREAMING forms. The caller must then read the
// body through a ChunkedReader.
func (id *Identity) Streaming() bool { return isStreaming(id.PayloadHash) }

// PayloadSHA256 returns the body's SHA-256 when the client declared it in
// X-Amz-Content-Sha256 and Verify installed the check: reading r.Body to
// io.EOF without error then proves the body has this hash, so a caller that
// reads it so may use the sum rather than hash the body again.
func (id *Identity) PayloadSHA256() (sum [32]byte, ok bool) {
	if !id.PayloadSigned || id.Pending || !isHexSHA256(id.PayloadHash) {
		return sum, false
	}
	_, err := hex.Decode(sum[:], []byte(id.PayloadHash))
	return sum, err == nil
}

// ChunkedReader decodes an aws-chunked request body, verifying chunk and
// trailer signatures as the bytes pass, with memory bounded by a small read
// buffer whatever the chunk sizes.
//
// Read returns the decoded data. A chunk's signature is checked when the
// chunk ends, so Read may already have returned some bytes of a chunk whose
// signature turns out to be wrong: like the bodies Verify installs, the caller
// must read to io.EOF, and treat every other error as fatal, before it commits
// anything. io.EOF comes only after the final chunk, the trailer and every
// signature have been checked and nothing follows the body.
//
// Errors: framing faults (bad sizes, missing CRLF, over-long lines, a decoded
// length other than declared, undeclared, repeated or missing trailers, bytes
// after the end) are *Error wrapping ErrMalformed; a wrong chunk or trailer
// signature is an *Error wrapping ErrSignatureMismatch. Errors from the
// underlying reader other than io.EOF are returned unchanged. Every error is
// sticky.
//
// A ChunkedReader is not safe for concurrent use, and does not close the
// underlying body: the caller closes r.Body as usual.
type ChunkedReader struct {
	br      *bufio.Reader
	signed  bool         // chunk headers carry signatures (the STREAMING-AWS4-HMAC-SHA256 forms)
	signer  *chunkSigner // verifies them; nil for the unsigned form and when unverified
	trailed bool         // the form has a trailer
	names   []string     // declared trailer names, lower-case
	want    int64        // declared decoded length, or -1

	chunk     int       // number of the current chunk, from 1
	remaining int64     // data bytes left in the current chunk
	inChunk   bool      // the current chunk's end is not yet checked
	claimed   []byte    // the current chunk's claimed signature
	h         hash.Hash // SHA-256 of the current chunk's data, signed forms
	decoded   int64     // data bytes returned so far

	trailer http.Header
	err     error // sticky: io.EOF at the end, or the failure
}

// NewChunkedReader returns a reader that decodes the aws-chunked body, whose
// form is id.PayloadHash (one of the STREAMING constants). id is the Identity
// Verify returned for the request; the signed forms need one from SigV4
// header authentication, because the chunk signatures chain from its seed
// signature and use its signing key. decodedLength is the
// X-Amz-Decoded-Content-Length, or -1 if the request has none. trailers are the
// names declared in X-Amz-Trailer: the trailer forms need at least one, and
// the trailer must then carry each exactly once and nothing else; the form
// without a trailer takes none.
//
// It fails with an *Error wrapping ErrMalformed if id's payload form is not
// aws-chunked or does not fit the arguments. ChunkedBody reads decodedLength
// and trailers from the request's headers.
func NewChunkedReader(body io.Reader, id *Identity, decodedLength int64, trailers []string) (*ChunkedReader, error) {
	if id == nil {
		return nil, errors.New("sigv4: NewChunkedReader needs the request's Identity")
	}
	if !id.Streaming() {
		return nil, newError(ErrMalformed, fmt.Sprintf("X-Amz-Content-Sha256 %q is not an aws-chunked payload form", clip(id.PayloadHash)))
	}
	names, err := parseTrailerNames(trailers)
	if err != nil {
		return nil, err
	}
	c := &ChunkedReader{
		br:      bufio.NewReaderSize(body, chunkedBufSize),
		trailed: id.PayloadHash != StreamingPayload,
		names:   names,
		want:    max(decodedLength, -1),
		trailer: http.Header{},
	}
	switch {
	case c.trailed && len(names) == 0:
		return nil, malformedChunk("%s needs X-Amz-Trailer", id.PayloadHash)
	case !c.trailed && len(names) > 0:
		return nil, malformedChunk("%s has no trailer, but X-Amz-Trailer is set", id.PayloadHash)
	}
	c.signed = id.PayloadHash != StreamingUnsignedPayloadTrailer
	if c.signed && !id.unverified {
		if c.signer, err = newChunkSigner(id); err != nil {
			return nil, err
		}
		c.h = sha256.New()
	}
	return c, nil
}

// newChunkSigner returns the signature chain for id, which must come from
// SigV4 header authentication.
func newChunkSigner(id *Identity) (*chunkSigner, error) {
	if id.signingKey == nil || id.Presigned || !isHexSHA256(id.Signature) {
		return nil, newError(ErrMalformed, "signed aws-chunked payloads need SigV4 Authorization header authentication")
	}
	return &chunkSigner{
		key:     id.signingKey,
		amzDate: id.SignedAt.UTC().Format(amzDateFormat),
		scope:   id.Scope,
		prev:    id.Signature,
	}, nil
}

// ChunkedBody returns a ChunkedReader for r.Body, taking the decoded length
// from X-Amz-Decoded-Content-Length (optional; it must be a decimal number)
// and the trailer names from X-Amz-Trailer (comma-separated). id is what
// Verify returned for r. Header faults are *Error wrapping ErrMalformed.
func ChunkedBody(r *http.Request, id *Identity) (*ChunkedReader, error) {
	n, err := decodedLength(r.Header)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, v := range r.Header.Values(headerTrailer) {
		for name := range strings.SplitSeq(v, ",") {
			if name = strings.TrimSpace(name); name != "" {
				names = append(names, name)
			}
		}
	}
	body := io.Reader(r.Body)
	if r.Body == nil {
		body = http.NoBody
	}
	return NewChunkedReader(body, id, n, names)
}

// UnverifiedChunkedBody is ChunkedBody for a server that authenticates nothing
// (authentication turned off by its operator): it decodes every aws-chunked
// form, payloadHash being the request's X-Amz-Content-Sha256, and checks the
// framing, the decoded length and the trailers, but not the chunk and trailer
// signatures, which it has no key to check. A client that signs with any key
// then works as it would against a server that checks.
func UnverifiedChunkedBody(r *http.Request, payloadHash string) (*ChunkedReader, error) {
	return ChunkedBody(r, &Identity{PayloadHash: payloadHash, unverified: true})
}

// decodedLength parses X-Amz-Decoded-Content-Length, -1 if absent.
func decodedLength(h http.Header) (int64, error) {
	vs := h.Values(headerDecodedLength)
	switch len(vs) {
	case 0:
		return -1, nil
	case 1:
		n, err := strconv.ParseInt(vs[0], 10, 64)
		if err == nil && n >= 0 && vs[0][0] != '+' {
			return n, nil
		}
	}
	return 0, newError(ErrMalformed, fmt.Sprintf("X-Amz-Decoded-Content-Length %q is not one decimal number", clip(strings.Join(vs, ","))))
}

// Read reads decoded data. See ChunkedReader for its errors.
func (c *ChunkedReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if c.remaining == 0 {
		if err := c.advance(); err != nil {
			c.err = err
			return 0, err
		}
	}
	p = p[:min(int64(len(p)), c.remaining)]
	n, err := c.br.Read(p)
	if c.h != nil {
		c.h.Write(p[:n])
	}
	c.remaining -= int64(n)
	c.decoded += int64(n)
	if err == io.EOF {
		err = malformedChunk("body ends inside chunk %d", c.chunk)
	}
	c.err = err
	return n, err
}

// Trailer returns the trailer lines, keyed by canonical header name, without
// x-amz-trailer-signature. It is complete and verified only once Read has
// returned io.EOF; before that it may be empty. The caller must not modify it.
func (c *ChunkedReader) Trailer() http.Header { return c.trailer }

// advance finishes the current chunk and starts the next. At the final chunk
// it reads and checks the trailer and returns io.EOF.
func (c *ChunkedReader) advance() error {
	if c.inChunk {
		if err := c.endChunk(); err != nil {
			return err
		}
	}
	c.chunk++
	line, err := readFrameLine(c.br, fmt.Sprintf("chunk %d header", c.chunk))
	if err != nil {
		return err
	}
	size, claimed, err := parseChunkHeader(line, c.signed)
	if err != nil {
		return err
	}
	if size > math.MaxInt64-c.decoded || (c.want >= 0 && c.decoded+size > c.want) {
		return malformedChunk("chunks exceed X-Amz-Decoded-Content-Length %d", c.want)
	}
	if size == 0 {
		return c.finish(claimed)
	}
	c.remaining, c.claimed, c.inChunk = size, claimed, true
	if c.h != nil {
		c.h.Reset()
	}
	return nil
}

// endChunk checks the CRLF after a chunk's data and the chunk's signature.
func (c *ChunkedReader) endChunk() error {
	c.inChunk = false
	what := fmt.Sprintf("chunk %d", c.chunk)
	if err := expectCRLF(c.br, what); err != nil {
		return err
	}
	if c.signer == nil {
		return nil
	}
	return c.signer.verify(what, c.signer.chunkStringToSign(c.h.Sum(nil)), c.claimed)
}

// finish handles the final, empty chunk: its signature, the decoded length,
// the trailer and the end of the body. It returns io.EOF if all is well.
func (c *ChunkedReader) finish(claimed []byte) error {
	if c.signer != nil {
		sum := sha256.Sum256(nil)
		if err := c.signer.verify("final chunk", c.signer.chunkStringToSign(sum[:]), claimed); err != nil {
			return err
		}
	}
	if c.want >= 0 && c.decoded != c.want {
		return malformedChunk("body decodes to %d bytes, X-Amz-Decoded-Content-Length is %d", c.decoded, c.want)
	}
	if err := c.readTrailer(); err != nil {
		return err
	}
	if err := expectEOF(c.br); err != nil {
		return err
	}
	return io.EOF
}
