package checksum

import (
	"fmt"
	"strings"
)

// Type is a multipart upload's checksum type, as in x-amz-checksum-type.
type Type string

// The multipart checksum types.
const (
	// Composite is the checksum of the parts' checksums, suffixed "-N".
	Composite Type = "COMPOSITE"
	// FullObject is the checksum of the whole object's data.
	FullObject Type = "FULL_OBJECT"
)

// ParseType parses a checksum type, case-insensitively. An unknown one is an
// *Error wrapping ErrInvalid.
func ParseType(s string) (Type, error) {
	switch t := Type(strings.ToUpper(strings.TrimSpace(s))); t {
	case Composite, FullObject:
		return t, nil
	}
	return "", newError(ErrInvalid, "", "Value for x-amz-checksum-type header is invalid.")
}

// Supports reports whether S3 allows multipart checksum type t with a:
// COMPOSITE for every algorithm but CRC64NVME, FULL_OBJECT for the CRCs.
func (a Algorithm) Supports(t Type) bool {
	_, crc := a.model()
	switch t {
	case Composite:
		return a.Valid() && a != CRC64NVME
	case FullObject:
		return crc
	}
	return false
}

// DefaultType is the type S3 gives a multipart upload created with
// algorithm a and no x-amz-checksum-type: FULL_OBJECT for CRC64NVME,
// COMPOSITE for the others.
func (a Algorithm) DefaultType() Type {
	if a == CRC64NVME {
		return FullObject
	}
	return Composite
}

// Part is what a completed multipart upload's checksum needs of one part:
// its raw digest, as computed at UploadPart, and its size in bytes (used by
// FULL_OBJECT only).
type Part struct {
	Sum  []byte
	Size int64
}

// Multipart returns the checksum value S3 reports for a multipart upload of
// the parts, in order, with algorithm a and type t:
//
//   - COMPOSITE: base64(a(concatenated part digests)) + "-" + len(parts);
//   - FULL_OBJECT: base64 of the whole object's CRC, combined from the
//     parts' CRCs and sizes.
//
// It fails with an *Error wrapping ErrInvalid if a does not support t, there
// are no parts, or a part's digest has the wrong size or a negative size.
func Multipart(a Algorithm, t Type, parts []Part) (string, error) {
	if !a.Supports(t) {
		return "", newError(ErrInvalid, a, "The %s checksum type is not supported for %s.", t, a)
	}
	if len(parts) == 0 {
		return "", newError(ErrInvalid, a, "A multipart checksum needs at least one part.")
	}
	for i, p := range parts {
		if len(p.Sum) != a.Size() || p.Size < 0 {
			return "", newError(ErrInvalid, a, "Part %d has no valid %s checksum.", i+1, a)
		}
	}
	if t == FullObject {
		return Encode(fullObject(a, parts)), nil
	}
	h := a.New()
	for _, p := range parts {
		h.Write(p.Sum)
	}
	return fmt.Sprintf("%s-%d", Encode(h.Sum(nil)), len(parts)), nil
}

// fullObject combines the parts' CRCs into the whole object's.
func fullObject(a Algorithm, parts []Part) []byte {
	m, _ := a.model()
	crc := getBE(parts[0].Sum)
	for _, p := range parts[1:] {
		crc = m.combine(crc, getBE(p.Sum), uint64(p.Size))
	}
	return putBE(crc, a.Size())
}
