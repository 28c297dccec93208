package kv

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/stretchr/testify/require"
)

// TestKeysDatadriven shows the byte layout of every key kind, so that a
// layout change shows up as a diff of testdata/keys. Regenerate with
// go test ./kv -run TestKeysDatadriven -rewrite.
//
// Each input line is a key spec: a prefix name followed by components
// u64:N, u32:N, hex:HEX (fixed-width bytes) or str:S (last).
//
//	build   prints each key component by component in hex, and decoded
//	sort    prints the keys in byte order
//	range   prints PrefixRange of each key
//	decode  reads the hex key on each line with the component types given
//	        as arguments, printing the components or the error
func TestKeysDatadriven(t *testing.T) {
	datadriven.RunTest(t, "testdata/keys", func(t *testing.T, d *datadriven.TestData) string {
		var out strings.Builder
		switch d.Cmd {
		case "build":
			for _, line := range lines(d.Input) {
				k, parts := buildSpec(t, line)
				fmt.Fprintf(&out, "%s\n  %s\n", strings.Join(parts, " | "), decodeKey(k, specTypes(line)))
			}
		case "sort":
			type keyed struct {
				key  []byte
				line string
			}
			var ks []keyed
			for _, line := range lines(d.Input) {
				k, _ := buildSpec(t, line)
				ks = append(ks, keyed{k, line})
			}
			slices.SortFunc(ks, func(a, b keyed) int { return bytes.Compare(a.key, b.key) })
			for _, k := range ks {
				fmt.Fprintf(&out, "%x  %s\n", k.key, decodeKey(k.key, specTypes(k.line)))
			}
		case "range":
			for _, line := range lines(d.Input) {
				k, _ := buildSpec(t, line)
				lower, upper := PrefixRange(k)
				fmt.Fprintf(&out, "[%x, %x)\n", lower, upper)
			}
		case "decode":
			var types []string
			for _, a := range d.CmdArgs {
				types = append(types, a.Key)
			}
			for _, line := range lines(d.Input) {
				k, err := hex.DecodeString(line)
				require.NoError(t, err)
				fmt.Fprintf(&out, "%s\n", decodeKey(k, types))
			}
		default:
			t.Fatalf("unknown command %q", d.Cmd)
		}
		return out.String()
	})
}

// lines returns the non-empty lines of s.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// prefixByName finds a registered prefix by its String name.
func prefixByName(t testing.TB, name string) Prefix {
	for b := range 256 {
		if p := Prefix(b); p.String() == name {
			return p
		}
	}
	t.Fatalf("unknown prefix %q", name)
	return 0
}

// buildSpec builds the key a spec line describes, and returns the hex of
// each component.
func buildSpec(t testing.TB, line string) ([]byte, []string) {
	fields := strings.Fields(line)
	k := Key(prefixByName(t, fields[0]))
	parts := []string{fmt.Sprintf("%x", k)}
	for _, f := range fields[1:] {
		typ, val, _ := strings.Cut(f, ":")
		n := len(k)
		var key []byte
		switch typ {
		case "u64":
			v, err := strconv.ParseUint(val, 10, 64)
			require.NoError(t, err)
			k = k.Uint64(v)
		case "u32":
			v, err := strconv.ParseUint(val, 10, 32)
			require.NoError(t, err)
			k = k.Uint32(uint32(v))
		case "hex":
			b, err := hex.DecodeString(val)
			require.NoError(t, err)
			k = k.Bytes(b)
		case "str":
			key = k.String(val)
		default:
			t.Fatalf("unknown component %q", f)
		}
		if key != nil {
			k = KeyBuilder(key)
		}
		parts = append(parts, fmt.Sprintf("%x", k[n:]))
	}
	return k, parts
}

// specTypes returns the component types of a spec line.
func specTypes(line string) []string {
	var types []string
	for _, f := range strings.Fields(line)[1:] {
		typ, val, _ := strings.Cut(f, ":")
		if typ == "hex" {
			typ = fmt.Sprintf("hex%d", len(val)/2)
		}
		types = append(types, typ)
	}
	return types
}

// decodeKey reads key with a KeyReader, one component per type (u64, u32,
// hexN for N fixed bytes, str for the rest), as prefix/comp/comp.
func decodeKey(key []byte, types []string) string {
	r := NewKeyReader(key)
	parts := []string{r.Prefix().String()}
	for _, typ := range types {
		switch {
		case typ == "u64":
			parts = append(parts, strconv.FormatUint(r.Uint64(), 10))
		case typ == "u32":
			parts = append(parts, strconv.FormatUint(uint64(r.Uint32()), 10))
		case typ == "str":
			parts = append(parts, strconv.Quote(string(r.Rest())))
		case strings.HasPrefix(typ, "hex"):
			n, _ := strconv.Atoi(strings.TrimPrefix(typ, "hex"))
			parts = append(parts, hex.EncodeToString(r.Bytes(n)))
		}
	}
	if r.Err() == nil && r.Len() != 0 {
		return fmt.Sprintf("error: %d bytes left over", r.Len())
	}
	if err := r.Err(); err != nil {
		return "error: " + err.Error()
	}
	return strings.Join(parts, "/")
}

// TestPrefixRegistry pins the registry: every ID and name, and that the
// registered prefixes are exactly these.
func TestPrefixRegistry(t *testing.T) {
	want := map[Prefix]string{
		0x01: "meta", 0x02: "sequence",
		0x10: "bucket", 0x11: "bucketName",
		0x20: "package", 0x21: "packageName",
		0x30: "object", 0x31: "objectID", 0x32: "objectKey",
		0x40: "blob", 0x41: "gc", 0x42: "content", 0x43: "blobData",
		0x50: "part", 0x51: "upload", 0x52: "uploadPart", 0x53: "uploadKey",
		0x60: "userSpace",
		0x70: "user", 0x71: "userName", 0x72: "accessKey",
	}
	got := map[Prefix]string{}
	for b := range 256 {
		if p := Prefix(b); !strings.HasPrefix(p.String(), "prefix(") {
			got[p] = p.String()
		}
	}
	require.Equal(t, want, got)
	require.Equal(t, "prefix(0x7f)", Prefix(0x7f).String())
}

func TestKeyBuilderClone(t *testing.T) {
	stem := Key(PrefixPart).Uint64(9)
	a := stem.Clone().Uint32(1)
	b := stem.Clone().Uint32(2)
	require.NotEqual(t, a, b)
	require.Equal(t, []byte{0x50, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 1}, []byte(a))
}

var keySink []byte

func TestKeyAllocations(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() {
		keySink = Key(PrefixObject).Uint64(42).String("docs/readme.md")
		keySink = Key(PrefixPart).Uint64(42).Uint32(7)
	})
	require.Equal(t, 2.0, allocs, "one allocation per key")
}

// FuzzKeyRoundTrip checks that components decode to what was encoded, that
// numeric order is byte order, that a string prefix is a key prefix, and that
// a KeyReader on arbitrary bytes fails cleanly.
func FuzzKeyRoundTrip(f *testing.F) {
	f.Add(uint64(1), uint64(2), uint32(3), []byte("0123456789abcdef"), "dir/file", "dir/")
	f.Add(uint64(0), uint64(1<<63), uint32(1<<31), []byte{}, "", "")
	f.Add(uint64(255), uint64(256), uint32(0), []byte{0xff}, "\xff\x00", "\xff")
	f.Fuzz(func(t *testing.T, a, b uint64, i uint32, blob []byte, s1, s2 string) {
		k := Key(PrefixPart).Uint64(a).Uint32(i).Bytes(blob).String(s1)
		r := NewKeyReader(k)
		require.Equal(t, PrefixPart, r.Prefix())
		require.Equal(t, a, r.Uint64())
		require.Equal(t, i, r.Uint32())
		require.Equal(t, blob, append([]byte{}, r.Bytes(len(blob))...)[:len(blob)])
		require.Equal(t, s1, string(r.Rest()))
		require.NoError(t, r.Err())

		ka, kb := Key(PrefixObject).Uint64(a).String(s1), Key(PrefixObject).Uint64(b).String(s2)
		if a != b {
			require.Equal(t, a < b, bytes.Compare(ka, kb) < 0, "numeric order is byte order")
		}
		if strings.HasPrefix(s1, s2) {
			lower, upper := PrefixRange(Key(PrefixObject).Uint64(a).String(s2))
			require.True(t, bytes.Compare(ka, lower) >= 0 && (upper == nil || bytes.Compare(ka, upper) < 0),
				"a string prefix is a key prefix")
		}

		// Arbitrary bytes: no panic, and an error exactly when too short.
		r = NewKeyReader(blob)
		r.Prefix()
		r.Uint64()
		r.Uint32()
		_ = r.Rest()
		require.Equal(t, len(blob) < 13, r.Err() != nil)
		if r.Err() != nil {
			require.ErrorIs(t, r.Err(), ErrCorrupt)
		}
	})
}
