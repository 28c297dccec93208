package sigv4

import (
	"crypto/hmac"
	"encoding/hex"
)

// Algorithm lines of the aws-chunked strings to sign.
const (
	chunkAlgorithm   = "AWS4-HMAC-SHA256-PAYLOAD"
	trailerAlgorithm = "AWS4-HMAC-SHA256-TRAILER"
)

// chunkSigner checks the chain of signatures of a signed aws-chunked body.
// Each chunk's signature covers the previous signature, so chunks can be
// neither reordered, dropped nor replayed from another request; the chain
// starts from the request's seed signature (Identity.Signature) and ends with
// the final, empty chunk or, in the trailer form, the trailer.
type chunkSigner struct {
	key     []byte
	amzDate string // X-Amz-Date as sent
	scope   string
	prev    string // hex signature of the previous chunk; the seed at first
}

// chunkStringToSign is the string to sign of a chunk whose data has the
// SHA-256 dataSum:
//
//	AWS4-HMAC-SHA256-PAYLOAD \n amzDate \n scope \n previous signature \n
//	hex(sha256("")) \n hex(sha256(data))
//
// The empty hash stands for chunk headers, which S3 chunks never carry.
func (s *chunkSigner) chunkStringToSign(dataSum []byte) string {
	return chunkAlgorithm + "\n" + s.amzDate + "\n" + s.scope + "\n" + s.prev + "\n" +
		emptySHA256 + "\n" + hex.EncodeToString(dataSum)
}

// trailerStringToSign is the string to sign of the trailer whose canonical
// form (each trailer line as sent, ending in "\n" instead of CRLF) has the
// SHA-256 trailerSum:
//
//	AWS4-HMAC-SHA256-TRAILER \n amzDate \n scope \n previous signature \n
//	hex(sha256(canonical trailer))
func (s *chunkSigner) trailerStringToSign(trailerSum []byte) string {
	return trailerAlgorithm + "\n" + s.amzDate + "\n" + s.scope + "\n" + s.prev + "\n" +
		hex.EncodeToString(trailerSum)
}

// verify checks, in constant time, that claimed is the signature of
// stringToSign and, if so, makes it the previous signature of the chain. On a
// mismatch it returns an *Error wrapping ErrSignatureMismatch that names what
// (e.g. "chunk 3") failed and carries the string to sign.
func (s *chunkSigner) verify(what, stringToSign string, claimed []byte) error {
	got := hmacSHA256(s.key, stringToSign)
	if !hmac.Equal(got, claimed) {
		e := newError(ErrSignatureMismatch, what+" signature does not match")
		e.StringToSign = stringToSign
		return e
	}
	s.prev = hex.EncodeToString(got)
	return nil
}
