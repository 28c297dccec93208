package engine

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/kv"
)

// fuzzTime builds a time the record codec must round-trip: any instant in a wide range, with
// any zone offset below a day.
func fuzzTime(sec int64, nsec uint32, offset int32) time.Time {
	sec %= 1 << 40 // about ±35,000 years around 1970: far beyond any real time, within time.Time
	t := time.Unix(sec, int64(nsec%1e9))
	if off := int(offset % (24*60*60 - 1)); off != 0 {
		return t.In(time.FixedZone("", off))
	}
	return t.UTC()
}

// requireSameInstant compares times as the codec promises: the instant and the zone offset.
func requireSameInstant(t *testing.T, want, got time.Time) {
	t.Helper()
	require.True(t, want.Equal(got), "want %v, got %v", want, got)
	_, wantOff := want.Zone()
	_, gotOff := got.Zone()
	require.Equal(t, wantOff, gotOff)
}

// requirePrefixesFail decodes strict prefixes of rec and requires an error each time: every
// prefix of a record of up to 2 KiB, and about 2048 of them, the last 64 included, of a
// longer one, so that large fuzz inputs stay linear.
func requirePrefixesFail(t *testing.T, rec []byte, decode func([]byte) error) {
	t.Helper()
	step := max(1, len(rec)/2048)
	for i := 0; i < len(rec); i += step {
		require.Error(t, decode(rec[:i]), "prefix of %d of %d bytes", i, len(rec))
	}
	for i := max(0, len(rec)-64); i < len(rec); i++ {
		require.Error(t, decode(rec[:i]), "prefix of %d of %d bytes", i, len(rec))
	}
}

// decodeAll runs every record decoder on b; none may panic.
func decodeAll(b []byte) {
	decodeBucket(b)
	decodePackage(b)
	decodeID(b)
	decodeObject(1, "p", b)
	decodeObjectRef(b)
	decodeBlob(BlobID{}, b)
	decodePart(1, b)
	decodeSpace(b)
}

func FuzzObjectRecord(f *testing.F) {
	f.Add(uint64(1), int64(0), []byte{}, "none", 0, 0, 0, 0, int64(0), uint32(0), int32(0), []byte{})
	f.Add(uint64(42), int64(40_000), make([]byte, 32), "ec", 0, 4, 6, 4096, int64(1_700_000_000), uint32(123456789), int32(3600),
		make([]byte, 24))
	f.Add(uint64(math.MaxUint64), int64(-1), []byte("short"), "rep", 3, 1, 3, 0, int64(-1), uint32(999_999_999), int32(-5*3600),
		make([]byte, 3*24+5))
	f.Add(uint64(7), int64(math.MaxInt64), make([]byte, 40), "multipartUpload", -1, -4, 1<<40, math.MaxInt, int64(math.MinInt64), uint32(0), int32(math.MinInt32),
		[]byte("segment bytes that are not a multiple of 24"))
	f.Fuzz(func(t *testing.T, id uint64, size int64, sha []byte, typ string, rep, k, n, chunk int, sec int64, nsec uint32, offset int32, segs []byte) {
		decodeAll(sha)
		decodeAll(segs)

		o := Object{
			ID: ObjectID(id), PackageID: 9, Path: "dir/obj", Size: size,
			Redundancy: Redundancy{Type: RedundancyType(typ), RepCount: rep, K: k, N: n, ChunkSize: chunk},
			CreateTime: fuzzTime(sec, nsec, offset), UpdateTime: fuzzTime(sec/2, nsec/3, offset/7),
		}
		copy(o.SHA256[:], sha)
		if typ != "" { // the S3 fields, from the same inputs
			o.ETag, o.Attrs.ContentType, o.Checksum = typ, string(sha), Checksum{Algorithm: typ, Value: string(segs), Type: "COMPOSITE"}
			o.Attrs.Meta, o.Tags = map[string]string{typ: string(sha), "b": ""}, map[string]string{string(segs): typ}
		}
		segs = segs[:min(len(segs), 64*24)] // keep the prefix checks below cheap
		for ; len(segs) >= 24; segs = segs[24:] {
			var s Segment
			copy(s.Blob[:], segs)
			s.Size = int64(binary.BigEndian.Uint64(segs[16:]))
			o.Segments = append(o.Segments, s)
		}
		rec := encodeObject(&o)
		got, err := decodeObject(o.PackageID, o.Path, rec)
		require.NoError(t, err)
		requireSameInstant(t, o.CreateTime, got.CreateTime)
		requireSameInstant(t, o.UpdateTime, got.UpdateTime)
		got.CreateTime, got.UpdateTime = o.CreateTime, o.UpdateTime
		require.Equal(t, o, got)

		requirePrefixesFail(t, rec, func(b []byte) error {
			_, err := decodeObject(o.PackageID, o.Path, b)
			return err
		})
	})
}

func FuzzBlobRecord(f *testing.F) {
	f.Add(4, 6, 4096, int64(40_000), []byte{0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2}, uint64(1), int64(1_700_000_000), uint32(5), int32(0))
	f.Add(1, 3, 0, int64(0), []byte{}, uint64(0), int64(0), uint32(0), int32(60))
	f.Add(-1, math.MaxInt, -5, int64(math.MinInt64), make([]byte, 8*255+3), uint64(math.MaxUint64), int64(-1), uint32(1e9+5), int32(-86399))
	f.Fuzz(func(t *testing.T, k, n, chunk int, size int64, spaces []byte, refs uint64, sec int64, nsec uint32, offset int32) {
		decodeAll(spaces)

		b := blobLayout{
			ID: BlobID{1, 2, 3}, K: k, N: n, Chunk: chunk, Size: size, Refs: refs,
			CreateTime: fuzzTime(sec, nsec, offset),
		}
		spaces = spaces[:min(len(spaces), 300*8)] // keep the prefix checks below cheap
		for ; len(spaces) >= 8; spaces = spaces[8:] {
			b.Spaces = append(b.Spaces, SpaceID(binary.BigEndian.Uint64(spaces)))
		}
		rec := encodeBlob(&b)
		got, err := decodeBlob(b.ID, rec)
		require.NoError(t, err)
		requireSameInstant(t, b.CreateTime, got.CreateTime)
		got.CreateTime = b.CreateTime
		require.Equal(t, b, got)

		requirePrefixesFail(t, rec, func(v []byte) error {
			_, err := decodeBlob(b.ID, v)
			return err
		})
	})
}

// TestRecordsRoundTrip round-trips the small records and checks that truncated records and
// unknown versions fail.
func TestRecordsRoundTrip(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 30, 0, 7, time.FixedZone("", 8*3600))
	bucket := Bucket{ID: 3, Name: "photos", Owner: 9, CreateTime: now}
	pkg := Package{ID: 4, BucketID: 3, Name: "桶", CreateTime: now}
	p := part{Index: 12, Blob: BlobID{9, 9}, Size: 12345, CreateTime: now}
	sp := UserSpace{
		ID: 5, Name: "s", Storage: StorageConfig{Type: StorageS3, Path: "/x", Endpoint: "http://e", Region: "r", Bucket: "b", ProjectID: "pid", PathStyle: true},
		Credential: Credential{Type: "ak", AccessKeyID: "AK"},
		ShardStore: &ShardStoreConfig{MaxSize: 1 << 40}, WorkingDir: "jcs", Revision: 3, Draining: true,
	}
	// The secret is sealed by the engine; the record carries the sealed bytes as given.
	decodeSpaceSealed := func(v []byte) (any, error) {
		s, sealed, err := decodeSpace(v)
		if string(sealed) != "sealed" {
			return nil, fmt.Errorf("sealed secret %q", sealed)
		}
		return s, err
	}
	spNoStore := sp
	spNoStore.ShardStore = nil

	for _, tc := range []struct {
		name   string
		rec    []byte
		decode func([]byte) (any, error)
		want   any
	}{
		{"bucket", encodeBucket(&bucket), func(v []byte) (any, error) { return decodeBucket(v) }, bucket},
		{"package", encodePackage(&pkg), func(v []byte) (any, error) { return decodePackage(v) }, pkg},
		{"id", encodeID(77), func(v []byte) (any, error) { return decodeID(v) }, uint64(77)},
		{"part", encodePart(&p), func(v []byte) (any, error) { return decodePart(12, v) }, p},
		{"space", encodeSpace(&sp, []byte("sealed")), decodeSpaceSealed, sp},
		{"space without shard store", encodeSpace(&spNoStore, []byte("sealed")), decodeSpaceSealed, spNoStore},
		{"object ref", encodeObjectRef(8, "a/b"), func(v []byte) (any, error) {
			pkg, path, err := decodeObjectRef(v)
			return [2]any{pkg, path}, err
		}, [2]any{PackageID(8), "a/b"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.decode(tc.rec)
			require.NoError(t, err)
			require.Equal(t, normalizeTimes(tc.want), normalizeTimes(got))
			for i := range len(tc.rec) {
				_, err := tc.decode(tc.rec[:i])
				require.Error(t, err, "prefix of %d bytes", i)
			}
			bad := append([]byte{tc.rec[0] + 1}, tc.rec[1:]...)
			_, err = tc.decode(bad)
			require.Error(t, err, "unknown version")
		})
	}
}

// normalizeTimes replaces the create time of a record with its Unix nanoseconds and offset,
// so that records compare by instant and offset.
func normalizeTimes(v any) any {
	norm := func(t time.Time) time.Time {
		_, off := t.Zone()
		return time.Unix(0, t.UnixNano()).In(time.FixedZone("", off))
	}
	switch r := v.(type) {
	case Bucket:
		r.CreateTime = norm(r.CreateTime)
		return r
	case Package:
		r.CreateTime = norm(r.CreateTime)
		return r
	case part:
		r.CreateTime = norm(r.CreateTime)
		return r
	}
	return v
}

func TestObjectRecordVersion(t *testing.T) {
	o := Object{ID: 1, Redundancy: Redundancy{Type: RedundancyNone}}
	rec := encodeObject(&o)
	rec[0] = objectRecordV2 + 1
	_, err := decodeObject(1, "x", rec)
	require.Error(t, err)
	b := blobLayout{K: 1, N: 1}
	rec = encodeBlob(&b)
	rec[0] = 0
	_, err = decodeBlob(BlobID{}, rec)
	require.Error(t, err)
}

// TestRecordShape pins that a record of a known version must have exactly its fields: a hash
// or blob ID of the wrong length, or trailing bytes, is corruption, not silently accepted.
func TestRecordShape(t *testing.T) {
	o := Object{ID: 1, Size: 5, Redundancy: Redundancy{Type: RedundancyEC, K: 4, N: 6, ChunkSize: 1 << 20},
		Segments: []Segment{{Blob: BlobID{1}, Size: 5}}}
	good := encodeObject(&o)
	_, err := decodeObject(1, "x", good)
	require.NoError(t, err)

	_, err = decodeObject(1, "x", append(bytes.Clone(good), 0))
	require.ErrorIs(t, err, errRecordShape, "trailing byte")

	var e kv.Encoder
	e.Version(objectRecordV1)
	e.Uint64(1)
	e.Varint(5)
	e.ByteSlice(make([]byte, 31)) // a SHA-256 one byte short
	_, err = decodeObject(1, "x", e.Bytes())
	require.ErrorIs(t, err, errRecordShape)
	require.ErrorIs(t, err, kv.ErrCorrupt)

	p := part{Blob: BlobID{2}, Size: 3}
	_, err = decodePart(0, append(encodePart(&p), 1, 2))
	require.ErrorIs(t, err, errRecordShape)
}

// TestObjectRecordV1 pins that records written before the S3 fields existed still decode,
// with those fields empty.
func TestObjectRecordV1(t *testing.T) {
	var e kv.Encoder
	e.Version(objectRecordV1)
	e.Uint64(5)
	e.Varint(3)
	e.ByteSlice(make([]byte, 32))
	encodeRedundancy(&e, Redundancy{Type: RedundancyRep, RepCount: 3})
	e.Time(time.Unix(10, 0))
	e.Time(time.Unix(20, 0))
	e.Uvarint(1)
	e.ByteSlice(make([]byte, 16))
	e.Varint(3)
	o, err := decodeObject(1, "x", e.Bytes())
	require.NoError(t, err)
	require.Equal(t, ObjectID(5), o.ID)
	require.Equal(t, int64(3), o.Size)
	require.Len(t, o.Segments, 1)
	require.Empty(t, o.ETag)
	require.Equal(t, Attributes{}, o.Attrs)
	require.Nil(t, o.Tags)

	var pe kv.Encoder
	pe.Version(partRecordV1)
	pe.ByteSlice(make([]byte, 16))
	pe.Varint(7)
	pe.Time(time.Unix(1, 0))
	p, err := decodePart(2, pe.Bytes())
	require.NoError(t, err)
	require.Equal(t, int64(7), p.Size)
	require.Equal(t, [16]byte{}, p.MD5)
}
