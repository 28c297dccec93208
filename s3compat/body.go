package s3compat

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/johannesboyne/gofakes3"
	"github.com/minio/crc64nvme"

	"github.com/jointcloud/jcs/engine"
	"github.com/jointcloud/jcs/sigv4"
)

// algorithms are S3's flexible checksums, by their header spelling.
var algorithms = map[string]func() hash.Hash{
	"CRC32":     func() hash.Hash { return crc32.NewIEEE() },
	"CRC32C":    func() hash.Hash { return crc32.New(crc32.MakeTable(crc32.Castagnoli)) },
	"CRC64NVME": func() hash.Hash { return crc64nvme.New() },
	"SHA1":      sha1.New,
	"SHA256":    sha256.New,
}

// fullObjectOnly are the algorithms whose multipart checksum S3 computes over the whole object
// (FULL_OBJECT); the others combine the parts' checksums (COMPOSITE).
var fullObjectOnly = map[string]bool{"CRC64NVME": true}

// upload is the body of a PutObject or UploadPart as the engine reads it: aws-chunked framing
// removed, signatures checked as it streams, and the checksums the client declared computed on
// the way, to be compared in finish before anything commits.
type upload struct {
	r    io.Reader
	size int64 // decoded length, or -1 when the client did not say

	chunked  *sigv4.ChunkedReader // nil unless aws-chunked
	alg      string               // the flexible checksum algorithm, "" for none
	want     string               // its declared value; "" until the trailer brings it
	trailer  bool                 // the value comes in the trailer
	h        hash.Hash
	md5      []byte // Content-MD5, decoded; nil if absent
	readErr  error  // the first error reading the body
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
		id := rq.id
		if id == nil { // no authentication: decode, with nothing to verify
			id = &sigv4.Identity{PayloadHash: payload}
		}
		cr, err := sigv4.ChunkedBody(rq.Request, id)
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
	return u, nil
}

// declareChecksums reads Content-MD5 and the flexible checksum the client declared, as a
// header or a trailer.
func (u *upload) declareChecksums(hd http.Header) error {
	if v := hd.Get("Content-Md5"); v != "" {
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(b) != md5.Size {
			return newError(gofakes3.ErrInvalidDigest, "The Content-MD5 you specified is not valid.")
		}
		u.md5 = b
	}
	for alg := range algorithms {
		if v := hd.Get("X-Amz-Checksum-" + alg); v != "" {
			if u.alg != "" {
				return newError(errInvalidRequest, "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
			}
			u.alg, u.want = alg, v
		}
	}
	if t := strings.TrimSpace(hd.Get("X-Amz-Trailer")); t != "" {
		alg, ok := strings.CutPrefix(strings.ToLower(t), "x-amz-checksum-")
		alg = strings.ToUpper(alg)
		if !ok || algorithms[alg] == nil || strings.Contains(t, ",") {
			return newError(gofakes3.ErrInvalidArgument, "The value specified in the x-amz-trailer header is not supported")
		}
		if u.alg != "" && u.alg != alg {
			return newError(errInvalidRequest, "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
		}
		u.alg, u.trailer = alg, true
	}
	if sdk := strings.ToUpper(hd.Get("X-Amz-Sdk-Checksum-Algorithm")); sdk != "" && u.alg != "" && sdk != u.alg {
		return newError(errInvalidRequest, "Value for x-amz-sdk-checksum-algorithm header is invalid.")
	}
	if u.alg != "" {
		u.h = algorithms[u.alg]()
	}
	return nil
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
// through finish once it has read the body to its end, before committing.
func (u *upload) verify(sum [16]byte) (string, error) {
	u.finished = true
	if u.md5 != nil && !bytes.Equal(u.md5, sum[:]) {
		return "", newError(gofakes3.ErrBadDigest, "The Content-MD5 you specified did not match what we received.")
	}
	if u.alg == "" {
		return "", nil
	}
	want := u.want
	if u.trailer && u.chunked != nil {
		if v := u.chunked.Trailer().Get("X-Amz-Checksum-" + u.alg); v != "" {
			want = v
		}
	}
	got := base64.StdEncoding.EncodeToString(u.h.Sum(nil))
	if want == "" {
		return "", newError(gofakes3.ErrInvalidArgument, "The x-amz-checksum-%s trailer is missing.", strings.ToLower(u.alg))
	}
	if want != got {
		return "", newError(gofakes3.ErrBadDigest, "The %s you specified did not match the calculated checksum.", u.alg)
	}
	return got, nil
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
	alg = strings.ToUpper(hd.Get("X-Amz-Checksum-Algorithm"))
	typ = strings.ToUpper(hd.Get("X-Amz-Checksum-Type"))
	if alg == "" {
		if typ != "" {
			return "", "", newError(errInvalidRequest, "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.")
		}
		return "", "", nil
	}
	if algorithms[alg] == nil {
		return "", "", newError(gofakes3.ErrInvalidArgument, "Checksum algorithm provided is unsupported.")
	}
	switch {
	case typ == "" && fullObjectOnly[alg]:
		typ = "FULL_OBJECT"
	case typ == "":
		typ = "COMPOSITE"
	case typ == "COMPOSITE" && fullObjectOnly[alg], typ == "FULL_OBJECT" && !fullObjectOnly[alg]:
		return "", "", newError(errInvalidRequest, "The %s checksum type is not supported with %s by this server.", typ, alg)
	case typ != "COMPOSITE" && typ != "FULL_OBJECT":
		return "", "", newError(errInvalidRequest, "Invalid checksum type %q.", typ)
	}
	return alg, typ, nil
}

// completeChecksum computes a completed upload's checksum: for COMPOSITE, the algorithm over
// the parts' raw checksums, "-" and the part count. Every part must have one, and any the
// completion lists must match. FULL_OBJECT checksums of the whole object are not computed by
// this server yet; such uploads complete without a checksum.
func completeChecksum(u *engine.Upload, parts []engine.UploadPartInfo, listed []completedPart) (engine.Checksum, error) {
	if u.ChecksumAlgorithm == "" || u.ChecksumType != "COMPOSITE" {
		return engine.Checksum{}, nil
	}
	h := algorithms[u.ChecksumAlgorithm]()
	for i, p := range parts {
		raw, err := base64.StdEncoding.DecodeString(p.Checksum)
		if err != nil || p.Checksum == "" {
			return engine.Checksum{}, newError(gofakes3.ErrInvalidPart, "Part %d has no %s checksum.", p.Number, u.ChecksumAlgorithm)
		}
		if c := listed[i].checksum(u.ChecksumAlgorithm); c != "" && c != p.Checksum {
			return engine.Checksum{}, newError(gofakes3.ErrInvalidPart, "The %s of part %d does not match the uploaded part.", u.ChecksumAlgorithm, p.Number)
		}
		h.Write(raw)
	}
	v := fmt.Sprintf("%s-%d", base64.StdEncoding.EncodeToString(h.Sum(nil)), len(parts))
	return engine.Checksum{Algorithm: u.ChecksumAlgorithm, Value: v, Type: "COMPOSITE"}, nil
}
