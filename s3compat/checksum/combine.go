package checksum

import "github.com/minio/crc64nvme"

// crcModel is a reflected CRC whose initial value equals its final XOR (all
// ones for the three S3 CRCs), the condition under which
//
//	crc(A‖B) = crc(A)·x^(8·len(B)) mod P  ⊕  crc(B)
//
// holds: the conditioning terms of A's CRC cancel against B's. This is
// zlib's crc32_combine, in its multiply-by-x^n form.
//
// Polynomials are reflected: the coefficient of x^k is bit width-1-k, so x^0
// is the top bit and multiplying by x is a right shift.
type crcModel struct {
	width uint   // 32 or 64
	poly  uint64 // reflected, without the x^width term
}

// The models of S3's CRC checksums.
var (
	crc32Model     = crcModel{32, 0xedb88320}
	crc32cModel    = crcModel{32, 0x82f63b78}
	crc64nvmeModel = crcModel{64, crc64nvme.NVME}
)

// mulMod returns a·b mod P.
func (m crcModel) mulMod(a, b uint64) uint64 {
	var p uint64
	for bit := uint64(1) << (m.width - 1); bit != 0; bit >>= 1 {
		if a&bit != 0 {
			p ^= b
		}
		// b *= x, reducing the x^width term that falls off bit 0.
		if b&1 != 0 {
			b = b>>1 ^ m.poly
		} else {
			b >>= 1
		}
	}
	return p
}

// xPow8n returns x^(8n) mod P, by squaring and multiplying.
func (m crcModel) xPow8n(n uint64) uint64 {
	result := uint64(1) << (m.width - 1)   // x^0
	base := uint64(1) << (m.width - 1 - 8) // x^8
	for ; n != 0; n >>= 1 {
		if n&1 != 0 {
			result = m.mulMod(result, base)
		}
		base = m.mulMod(base, base)
	}
	return result
}

// combine returns the CRC of A‖B from crc(A), crc(B) and len(B) in bytes.
func (m crcModel) combine(crcA, crcB uint64, lenB uint64) uint64 {
	return m.mulMod(crcA, m.xPow8n(lenB)) ^ crcB
}

// model returns the CRC model of a, and false if a is not a CRC.
func (a Algorithm) model() (crcModel, bool) {
	switch a {
	case CRC32:
		return crc32Model, true
	case CRC32C:
		return crc32cModel, true
	case CRC64NVME:
		return crc64nvmeModel, true
	}
	return crcModel{}, false
}

// getBE and putBE convert between big-endian digests and CRC values.
func getBE(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}

func putBE(v uint64, size int) []byte {
	b := make([]byte, size)
	for i := size - 1; i >= 0; i-- {
		b[i] = byte(v)
		v >>= 8
	}
	return b
}
