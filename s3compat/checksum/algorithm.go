package checksum

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"hash/crc32"
	"strings"

	"github.com/minio/crc64nvme"
)

// Algorithm is one of S3's flexible checksum algorithms, spelled as in
// x-amz-sdk-checksum-algorithm and in S3's XML. The zero value means none.
type Algorithm string

// The algorithms S3 defines and this package implements.
const (
	CRC32     Algorithm = "CRC32"     // CRC-32 (IEEE), as in zlib and Ethernet
	CRC32C    Algorithm = "CRC32C"    // CRC-32C (Castagnoli)
	CRC64NVME Algorithm = "CRC64NVME" // CRC-64/NVME
	SHA1      Algorithm = "SHA1"
	SHA256    Algorithm = "SHA256"
)

// all lists the algorithms in a fixed order.
var all = [...]Algorithm{CRC32, CRC32C, CRC64NVME, SHA1, SHA256}

// castagnoli is the CRC-32C table; hash/crc32 uses the CPU's instruction
// where there is one.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// unsupportedMessage is S3's message for an algorithm it does not know.
const unsupportedMessage = "Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]"

// ParseAlgorithm parses an algorithm name, case-insensitively and ignoring
// surrounding blanks. An unknown name is an *Error wrapping ErrInvalid.
func ParseAlgorithm(s string) (Algorithm, error) {
	for _, a := range all {
		if strings.EqualFold(strings.TrimSpace(s), string(a)) {
			return a, nil
		}
	}
	return "", newError(ErrInvalid, "", unsupportedMessage)
}

// algorithmFromHeader returns the algorithm whose value header is name
// (any case), and false if there is none.
func algorithmFromHeader(name string) (Algorithm, bool) {
	for _, a := range all {
		if strings.EqualFold(name, a.HeaderName()) {
			return a, true
		}
	}
	return "", false
}

// Valid reports whether a is one of the algorithms this package implements.
func (a Algorithm) Valid() bool {
	for _, x := range all {
		if a == x {
			return true
		}
	}
	return false
}

// String returns the algorithm's name, e.g. "CRC32C".
func (a Algorithm) String() string { return string(a) }

// HeaderName returns the lower-case header (or trailer) that carries the
// algorithm's value, e.g. "x-amz-checksum-crc32c".
func (a Algorithm) HeaderName() string { return "x-amz-checksum-" + strings.ToLower(string(a)) }

// New returns a hash computing the algorithm; its Sum appends the big-endian
// digest that Encode turns into the wire value. It panics if a is not Valid:
// algorithms come from ParseAlgorithm or the constants.
func (a Algorithm) New() hash.Hash {
	switch a {
	case CRC32:
		return crc32.NewIEEE()
	case CRC32C:
		return crc32.New(castagnoli)
	case CRC64NVME:
		return crc64nvme.New()
	case SHA1:
		return sha1.New()
	case SHA256:
		return sha256.New()
	}
	panic("checksum: New of invalid algorithm " + string(a))
}

// Size returns the digest's length in bytes, 0 if a is not Valid.
func (a Algorithm) Size() int {
	switch a {
	case CRC32, CRC32C:
		return crc32.Size
	case CRC64NVME:
		return 8
	case SHA1:
		return sha1.Size
	case SHA256:
		return sha256.Size
	}
	return 0
}

// Encode returns the wire form of a raw digest: standard base64 with padding.
func Encode(sum []byte) string { return base64.StdEncoding.EncodeToString(sum) }

// Decode parses a wire value of the algorithm: standard, padded base64 of
// exactly Size bytes, surrounding blanks ignored. Anything else is an *Error
// wrapping ErrInvalid that names the header.
func (a Algorithm) Decode(value string) ([]byte, error) {
	sum, err := base64.StdEncoding.Strict().DecodeString(strings.TrimSpace(value))
	if err != nil || len(sum) != a.Size() || !a.Valid() {
		return nil, newError(ErrInvalid, a, "Value for %s header is invalid.", a.HeaderName())
	}
	return sum, nil
}
