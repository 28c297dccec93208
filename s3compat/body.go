package s3compat

import (
	"errors"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/johannesboyne/gofakes3"

	"github.com/jointcloud/jcs/engine"
	"github.com/jointcloud/jcs/s3compat/checksum"
	"github.com/jointcloud/jcs/sigv4"
)

// upload is the body of a PutObject or UploadPart as the engine reads it: aws-chunked framing
// removed, signatures checked as it streams, and the checksums the client declared computed on
// the way, to be compared in finish before anything commits.
type upload struct {
	r    io.Reader
	size int64 // decoded length, or -1 when the client did not say

	chunked  *sigv4.ChunkedReader // nil unless aws-chunked
	decl     checksum.Declaration // what the client declared
	alg      string               // decl.Algorithm, as the engine stores it
	h        hash.Hash            // the flexible checksum's hash, nil for none
	sha      *[32]byte            // the body's SHA-256 if signed, checked as it streams
	readErr  error                // the first error reading the body
	finished bool
}

// uploadBody prepares the request's body for the engine.
func (h *Handler) uploadBody(rq *request) (*upload, error) {
	u := &upload{r: rq.Body, size: rq.ContentLength}
	hd := rq.Header
	payload := hd.Get("X-Amz-Content-Sha256")
	if rq.id != nil {
		payload = rq.id.PayloadHash
	}
	switch payload {
	case sigv4.StreamingPayload, sigv4.StreamingPayloadTrailer, sigv4.StreamingUnsignedPayloadTrailer:
		var cr *sigv4.ChunkedReader
		var err error
		if rq.id != nil {
			cr, err = sigv4.ChunkedBody(rq.Request, rq.id)
		} else {
			// Authentication is off: decode every form, signatures unchecked.
			cr, err = sigv4.UnverifiedChunkedBody(rq.Request, payload)
		}
		if err != nil {
			return nil, err
		}
		u.chunked, u.r = cr, cr
		u.size = -1
		if v := hd.Get("X-Amz-Decoded-Content-Length"); v != "" {
			u.size, _ = strconv.ParseInt(v, 10, 64) // ChunkedBody checked it
		}
	default:
		if rq.ContentLength < 0 && !strings.EqualFold(strings.Join(rq.TransferEncoding, ","), "chunked") {
			return nil, newError(gofakes3.ErrMissingContentLength, "You must provide the Content-Length HTTP header.")
		}
	}
	if err := u.declareChecksums(hd); err != nil {
		return nil, err
	}
	if rq.id != nil {
		// The engine reads the body to its end before it commits, so a body that does not
		// hash to what was signed fails first: the engine can take the sum as the fileHash.
		if sum, ok := rq.id.PayloadSHA256(); ok {
			u.sha = &sum
		}
	}
	return u, nil
}

// declareChecksums reads Content-MD5 and the flexible checksum the client declared, as a
// header or a trailer.
func (u *upload) declareChecksums(hd http.Header) error {
	d, err := checksum.ParseHeader(hd)
	if err != nil {
		return checksumError(err)
	}
	if d.Trailer && u.chunked == nil {
		return newError(errInvalidRequest, "x-amz-trailer needs an aws-chunked body with a trailer.")
	}
	u.decl, u.alg = d, string(d.Algorithm)
	if d.Algorithm != "" {
		u.h = d.Algorithm.New()
	}
	return nil
}

// checksumError maps a checksum package error to S3's.
func checksumError(err error) error {
	var ce *checksum.Error
	if !errors.As(err, &ce) {
		return err
	}
	switch {
	case errors.Is(err, checksum.ErrInvalidMD5):
		return newError(gofakes3.ErrInvalidDigest, "%s", ce.Message)
	case errors.Is(err, checksum.ErrMD5Mismatch), errors.Is(err, checksum.ErrMismatch):
		return newError(gofakes3.ErrBadDigest, "%s", ce.Message)
	}
	return newError(errInvalidRequest, "%s", ce.Message)
}

// Read reads the decoded body, hashing it for the flexible checksum.
func (u *upload) Read(p []byte) (int, error) {
	n, err := u.r.Read(p)
	if n > 0 && u.h != nil {
		u.h.Write(p[:n])
	}
	if err != nil && err != io.EOF && u.readErr == nil {
		u.readErr = err
	}
	return n, err
}

// checkUploadAlgorithm refuses a part whose checksum algorithm differs from the one its upload
// was created with.
func (u *upload) checkUploadAlgorithm(up *engine.Upload) error {
	if up.ChecksumAlgorithm != "" && u.alg != "" && u.alg != up.ChecksumAlgorithm {
		return newError(errInvalidRequest, "Checksum Type mismatch occurred, expected checksum Type: %s, actual checksum Type: %s",
			strings.ToLower(up.ChecksumAlgorithm), strings.ToLower(u.alg))
	}
	return nil
}

// verify compares the declared digests with what the body hashed to; the engine calls it
// through finish once it has read the body to its end, before committing. It returns the
// flexible checksum's value, "" for none.
func (u *upload) verify(md5Sum [16]byte) (string, error) {
	u.finished = true
	var sum []byte
	if u.h != nil {
		sum = u.h.Sum(nil)
	}
	var trailer http.Header
	if u.chunked != nil {
		trailer = u.chunked.Trailer()
	}
	if err := u.decl.Check(md5Sum[:], sum, trailer); err != nil {
		return "", checksumError(err)
	}
	if sum == nil {
		return "", nil
	}
	return checksum.Encode(sum), nil
}

// finish is PutObjectInput.Finish: the checksum to store with the object.
func (u *upload) finish(sum [16]byte) (engine.Checksum, error) {
	v, err := u.verify(sum)
	if err != nil || v == "" {
		return engine.Checksum{}, err
	}
	return engine.Checksum{Algorithm: u.alg, Value: v, Type: "FULL_OBJECT"}, nil
}

// finishPart is PutPartInput.Finish: the part's checksum value.
func (u *upload) finishPart(sum [16]byte) (string, error) { return u.verify(sum) }

// verdict turns an engine error from reading the body into the client's error: a broken
// signature or framing, a body shorter or longer than announced.
func (u *upload) verdict(err error) error {
	if u.readErr != nil {
		var se *sigv4.Error
		if errors.As(u.readErr, &se) {
			if errors.Is(se, sigv4.ErrMalformed) {
				return newError(errIncompleteBody, "The request body is not valid aws-chunked data: %v", se)
			}
			return u.readErr
		}
		return newError(errIncompleteBody, "You did not provide the number of bytes specified by the Content-Length HTTP header.")
	}
	if !u.finished && engine.KindOf(err) == engine.KindInvalid {
		return newError(errIncompleteBody, "You did not provide the number of bytes specified by the Content-Length HTTP header.")
	}
	return err
}

// uploadChecksum reads the checksum algorithm and type a CreateMultipartUpload declares.
func uploadChecksum(hd http.Header) (alg, typ string, err error) {
	av, tv := hd.Get("X-Amz-Checksum-Algorithm"), hd.Get("X-Amz-Checksum-Type")
	if av == "" {
		if tv != "" {
			return "", "", newError(errInvalidRequest, "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.")
		}
		return "", "", nil
	}
	a, err := checksum.ParseAlgorithm(av)
	if err != nil {
		return "", "", newError(gofakes3.ErrInvalidArgument, "Checksum algorithm provided is unsupported.")
	}
	t := a.DefaultType()
	if tv != "" {
		if t, err = checksum.ParseType(tv); err != nil {
			return "", "", checksumError(err)
		}
	}
	if !a.Supports(t) {
		return "", "", newError(errInvalidRequest, "The %s checksum type is not supported with %s.", t, a)
	}
	return string(a), string(t), nil
}

// completeChecksum computes a completed upload's checksum from its parts' (COMPOSITE or
// FULL_OBJECT, as the upload declared). Every part must have one, and any the completion lists
// must match.
func completeChecksum(u *engine.Upload, parts []engine.UploadPartInfo, listed []completedPart) (engine.Checksum, error) {
	if u.ChecksumAlgorithm == "" {
		return engine.Checksum{}, nil
	}
	a := checksum.Algorithm(u.ChecksumAlgorithm)
	ps := make([]checksum.Part, len(parts))
	for i, p := range parts {
		raw, err := a.Decode(p.Checksum)
		if err != nil {
			return engine.Checksum{}, newError(gofakes3.ErrInvalidPart, "Part %d has no %s checksum.", p.Number, a)
		}
		if c := listed[i].get(u.ChecksumAlgorithm); c != "" && c != p.Checksum {
			return engine.Checksum{}, newError(gofakes3.ErrInvalidPart, "The %s of part %d does not match the uploaded part.", a, p.Number)
		}
		ps[i] = checksum.Part{Sum: raw, Size: p.Size}
	}
	v, err := checksum.Multipart(a, checksum.Type(u.ChecksumType), ps)
	if err != nil {
		return engine.Checksum{}, checksumError(err)
	}
	return engine.Checksum{Algorithm: u.ChecksumAlgorithm, Value: v, Type: u.ChecksumType}, nil
}
