package checksum

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// foxParts is split so that one part is empty.
var foxParts = []string{"The quick brown fox ", "jumps over", "", " the lazy dog"}

// partsOf returns the parts' digests and sizes under a.
func partsOf(a Algorithm, data []string) []Part {
	parts := make([]Part, len(data))
	for i, d := range data {
		h := a.New()
		h.Write([]byte(d))
		parts[i] = Part{Sum: h.Sum(nil), Size: int64(len(d))}
	}
	return parts
}

// Composite and full-object values of foxParts, computed with Python (zlib,
// hashlib and bit-by-bit CRCs; see vectors): composite is
// b64(H(concat(raw part digests))) + "-4", full object the CRC of the joined
// data.
func TestMultipartVectors(t *testing.T) {
	tests := []struct {
		a    Algorithm
		t    Type
		want string
	}{
		{CRC32, Composite, "IVk4dw==-4"},
		{CRC32C, Composite, "l6R0QA==-4"},
		{SHA1, Composite, "6T1o9UM3BKEQi0H3OPMYG/zjzdA=-4"},
		{SHA256, Composite, "wakJ66wvxAKVYdFUFfGMBWC5G+HSLnvW49v8adPS7zs=-4"},
		{CRC32, FullObject, "QU+jOQ=="},
		{CRC32C, FullObject, "ImIEBA=="},
		{CRC64NVME, FullObject, "12xUBUlUwUM="},
	}
	for _, tc := range tests {
		t.Run(string(tc.a)+"/"+string(tc.t), func(t *testing.T) {
			got, err := Multipart(tc.a, tc.t, partsOf(tc.a, foxParts))
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestMultipartErrors(t *testing.T) {
	good := partsOf(CRC32, foxParts)
	tests := []struct {
		name  string
		a     Algorithm
		t     Type
		parts []Part
	}{
		{name: "CRC64NVME composite", a: CRC64NVME, t: Composite, parts: partsOf(CRC64NVME, foxParts)},
		{name: "SHA256 full object", a: SHA256, t: FullObject, parts: partsOf(SHA256, foxParts)},
		{name: "SHA1 full object", a: SHA1, t: FullObject, parts: partsOf(SHA1, foxParts)},
		{name: "unknown type", a: CRC32, t: "OTHER", parts: good},
		{name: "invalid algorithm", a: "MD5", t: Composite, parts: good},
		{name: "no parts", a: CRC32, t: Composite},
		{name: "digest of another algorithm", a: CRC32, t: FullObject, parts: partsOf(CRC64NVME, foxParts)},
		{name: "missing digest", a: SHA256, t: Composite, parts: []Part{{Size: 3}}},
		{name: "negative size", a: CRC32, t: FullObject, parts: []Part{{Sum: good[0].Sum, Size: -1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Multipart(tc.a, tc.t, tc.parts)
			require.ErrorIs(t, err, ErrInvalid)
		})
	}
}

func TestTypes(t *testing.T) {
	for _, a := range all {
		require.True(t, a.Supports(a.DefaultType()), a)
	}
	require.Equal(t, FullObject, CRC64NVME.DefaultType())
	require.Equal(t, Composite, CRC32.DefaultType())
	require.Equal(t, Composite, SHA256.DefaultType())
	require.True(t, CRC32C.Supports(FullObject))
	require.False(t, SHA1.Supports(FullObject))
	require.False(t, CRC64NVME.Supports(Composite))

	got, err := ParseType(" full_object")
	require.NoError(t, err)
	require.Equal(t, FullObject, got)
	got, err = ParseType("COMPOSITE")
	require.NoError(t, err)
	require.Equal(t, Composite, got)
	_, err = ParseType("PARTIAL")
	require.ErrorIs(t, err, ErrInvalid)
}

// checkCombine splits data at cuts and checks that FULL_OBJECT equals the
// CRC of the whole data, for every CRC.
func checkCombine(t testing.TB, data []byte, cuts []int) {
	t.Helper()
	var pieces []string
	prev := 0
	for _, c := range cuts {
		c = min(max(c, prev), len(data))
		pieces = append(pieces, string(data[prev:c]))
		prev = c
	}
	pieces = append(pieces, string(data[prev:]))
	for _, a := range []Algorithm{CRC32, CRC32C, CRC64NVME} {
		got, err := Multipart(a, FullObject, partsOf(a, pieces))
		require.NoError(t, err)
		h := a.New()
		h.Write(data)
		require.Equal(t, Encode(h.Sum(nil)), got, "%s of %d bytes cut at %v", a, len(data), cuts)
	}
}

// Combining part CRCs gives the CRC of the concatenation, for random data
// and cuts, including empty parts and parts of a whole multiple of the
// squaring steps.
func TestCombineProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		data := make([]byte, rng.IntN(5000))
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		cuts := make([]int, rng.IntN(6))
		for i := range cuts {
			cuts[i] = rng.IntN(len(data) + 1)
		}
		checkCombine(t, data, cuts)
	}
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB: exercises large exponents
	checkCombine(t, big, []int{1, 1 << 19, 1<<20 - 1})
}

func FuzzCombine(f *testing.F) {
	f.Add([]byte("hello world"), uint16(5), uint16(5))
	f.Add([]byte{}, uint16(0), uint16(0))
	f.Fuzz(func(t *testing.T, data []byte, cut1, cut2 uint16) {
		a, b := int(cut1), int(cut2)
		if a > b {
			a, b = b, a
		}
		checkCombine(t, data, []int{a, b})
	})
}
