package checksum

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// Request headers about checksums.
const (
	headerContentMD5   = "Content-Md5"
	headerTrailer      = "X-Amz-Trailer"
	headerSDKAlgorithm = "X-Amz-Sdk-Checksum-Algorithm"
	headerPrefix       = "x-amz-checksum-"
)

// otherHeaders are x-amz-checksum-* request headers that carry no value:
// they configure multipart uploads and GETs, not the body.
var otherHeaders = []string{"x-amz-checksum-algorithm", "x-amz-checksum-type", "x-amz-checksum-mode"}

// S3's messages for conflicting declarations.
const (
	msgMultiple       = "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."
	msgHeaderAndTrail = "Expecting a single x-amz-checksum- header"
	msgTrailer        = "The value specified in the x-amz-trailer header is not supported"
	msgSDKNoValue     = "x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer headers were found."
	msgSDKMismatch    = "Value for x-amz-sdk-checksum-algorithm header is invalid."
)

// Declaration is what a request declares about its body's digests.
type Declaration struct {
	// MD5 is the decoded Content-MD5, nil if the request has none.
	MD5 []byte
	// Algorithm is the flexible checksum to compute, "" for none.
	Algorithm Algorithm
	// Value is the decoded x-amz-checksum-<alg> header. It is nil when the
	// value comes in the trailer (Trailer) and when the caller set Algorithm
	// to compute a checksum the client did not send.
	Value []byte
	// Trailer is true when the value comes in the aws-chunked trailer named
	// Algorithm.HeaderName(), as X-Amz-Trailer declared.
	Trailer bool
}

// ParseHeader reads the checksum declarations of a PutObject or UploadPart
// request: Content-MD5, the x-amz-checksum-<alg> headers, X-Amz-Trailer and
// X-Amz-Sdk-Checksum-Algorithm. Faults are *Error values: ErrInvalidMD5 for
// a Content-MD5 that is not base64 of 16 bytes (or given twice); ErrInvalid
// for a checksum value of the wrong form, two algorithms (two headers, or a
// header and a trailer), an X-Amz-Trailer naming anything but one supported
// checksum, an x-amz-checksum-* header of an algorithm this package lacks,
// and an SDK algorithm that is unknown, differs from the header or trailer,
// or comes without either.
func ParseHeader(h http.Header) (Declaration, error) {
	var d Declaration
	var err error
	if d.MD5, err = parseContentMD5(h); err != nil {
		return d, err
	}
	if d.Algorithm, d.Value, err = parseValueHeaders(h); err != nil {
		return d, err
	}
	if err = d.parseTrailer(h); err != nil {
		return d, err
	}
	return d, d.checkSDKAlgorithm(h)
}

// parseContentMD5 decodes Content-MD5, nil if absent.
func parseContentMD5(h http.Header) ([]byte, error) {
	vs := h.Values(headerContentMD5)
	if len(vs) == 0 {
		return nil, nil
	}
	if len(vs) == 1 {
		sum, err := base64.StdEncoding.Strict().DecodeString(strings.TrimSpace(vs[0]))
		if err == nil && len(sum) == md5.Size {
			return sum, nil
		}
	}
	return nil, newError(ErrInvalidMD5, "", "The Content-MD5 you specified is not valid.")
}

// parseValueHeaders finds the one x-amz-checksum-<alg> header, if any.
func parseValueHeaders(h http.Header) (Algorithm, []byte, error) {
	var found Algorithm
	var value string
	for _, k := range slices.Sorted(maps.Keys(h)) { // sorted: the same error every time
		vs, lk := h[k], strings.ToLower(k)
		if !strings.HasPrefix(lk, headerPrefix) || slices.Contains(otherHeaders, lk) {
			continue
		}
		a, ok := algorithmFromHeader(lk)
		switch {
		case !ok:
			return "", nil, newError(ErrInvalid, "", "The %s header is not supported.", lk)
		case found != "" || len(vs) != 1:
			return "", nil, newError(ErrInvalid, "", msgMultiple)
		}
		found, value = a, vs[0]
	}
	if found == "" {
		return "", nil, nil
	}
	sum, err := found.Decode(value)
	return found, sum, err
}

// parseTrailer reads X-Amz-Trailer: at most one name, a supported checksum,
// and no value header besides.
func (d *Declaration) parseTrailer(h http.Header) error {
	var names []string
	for _, v := range h.Values(headerTrailer) {
		for n := range strings.SplitSeq(v, ",") {
			if n = strings.TrimSpace(n); n != "" {
				names = append(names, n)
			}
		}
	}
	if len(names) == 0 {
		return nil
	}
	a, ok := algorithmFromHeader(names[0])
	if len(names) > 1 || !ok {
		return newError(ErrInvalid, "", msgTrailer)
	}
	if d.Algorithm != "" {
		return newError(ErrInvalid, "", msgHeaderAndTrail)
	}
	d.Algorithm, d.Trailer = a, true
	return nil
}

// checkSDKAlgorithm checks that X-Amz-Sdk-Checksum-Algorithm, if present,
// names the algorithm of the header or trailer.
func (d *Declaration) checkSDKAlgorithm(h http.Header) error {
	vs := h.Values(headerSDKAlgorithm)
	if len(vs) == 0 {
		return nil
	}
	a, err := ParseAlgorithm(vs[0])
	switch {
	case err != nil:
		return err
	case d.Algorithm == "":
		return newError(ErrInvalid, a, msgSDKNoValue)
	case len(vs) > 1 || a != d.Algorithm:
		return newError(ErrInvalid, d.Algorithm, msgSDKMismatch)
	}
	return nil
}

// Check compares a body's digests with the declaration. md5Sum is the body's
// MD5; sum is its digest under d.Algorithm (ignored when that is ""); trailer
// is the aws-chunked trailer, read only when d.Trailer is set. It returns nil
// if everything matches, else an *Error: ErrMD5Mismatch, ErrMismatch, or
// ErrInvalid for a trailer value that is missing or malformed.
func (d Declaration) Check(md5Sum, sum []byte, trailer http.Header) error {
	if d.MD5 != nil && !bytes.Equal(d.MD5, md5Sum) {
		return newError(ErrMD5Mismatch, "", "The Content-MD5 you specified did not match what we received.")
	}
	if d.Algorithm == "" {
		return nil
	}
	want := d.Value
	if d.Trailer {
		vs := trailer.Values(d.Algorithm.HeaderName())
		if len(vs) != 1 {
			return newError(ErrInvalid, d.Algorithm, "The %s trailer is missing.", d.Algorithm.HeaderName())
		}
		var err error
		if want, err = d.Algorithm.Decode(vs[0]); err != nil {
			return newError(ErrInvalid, d.Algorithm, "Value for %s trailing header is invalid.", d.Algorithm.HeaderName())
		}
	}
	if want != nil && !bytes.Equal(want, sum) {
		return newError(ErrMismatch, d.Algorithm, "The %s you specified did not match the calculated checksum.", d.Algorithm)
	}
	return nil
}
