package kv

import (
	"encoding/binary"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// record is a sample record type written the way the engine writes its own.
type record struct {
	version uint8
	id      uint64
	n32     uint32
	delta   int64
	size    uint64
	skew    int64
	name    string
	data    []byte
	flag    bool
	at      time.Time
}

func (r record) encode() []byte {
	var e Encoder
	e.Version(r.version)
	e.Uint64(r.id)
	e.Uint32(r.n32)
	e.Int64(r.delta)
	e.Uvarint(r.size)
	e.Varint(r.skew)
	e.String(r.name)
	e.ByteSlice(r.data)
	e.Bool(r.flag)
	e.Time(r.at)
	return e.Bytes()
}

func decodeRecord(b []byte) (record, error) {
	d := NewDecoder(b)
	r := record{
		version: d.Version(),
		id:      d.Uint64(),
		n32:     d.Uint32(),
		delta:   d.Int64(),
		size:    d.Uvarint(),
		skew:    d.Varint(),
		name:    d.String(),
		data:    d.ByteSlice(),
		flag:    d.Bool(),
		at:      d.Time(),
	}
	return r, d.Err()
}

func TestCodecRoundTrip(t *testing.T) {
	cet := time.FixedZone("CET", 3600)
	tests := []struct {
		name string
		rec  record
	}{
		{"zero", record{data: []byte{}, at: time.Time{}}},
		{"typical", record{version: 1, id: 42, n32: 7, delta: -5, size: 1 << 40, skew: -300,
			name: "docs/readme.md", data: []byte{0, 1, 2}, flag: true,
			at: time.Date(2025, 3, 4, 5, 6, 7, 890, cet)}},
		{"extremes", record{version: 255, id: math.MaxUint64, n32: math.MaxUint32, delta: math.MinInt64,
			size: math.MaxUint64, skew: math.MaxInt64, name: "\x00\xff", data: make([]byte, 300),
			at: time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.FixedZone("", -(12*3600+45*60)))}},
		{"utc", record{data: []byte{}, at: time.Date(1969, 12, 31, 23, 59, 59, 1, time.UTC)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeRecord(tc.rec.encode())
			require.NoError(t, err)
			require.True(t, tc.rec.at.Equal(got.at), "time %v != %v", tc.rec.at, got.at)
			require.Equal(t, tc.rec.at.Format(time.RFC3339Nano), got.at.Format(time.RFC3339Nano))
			tc.rec.at, got.at = time.Time{}, time.Time{}
			require.Equal(t, tc.rec, got)
		})
	}
}

func TestDecoderTimeKeepsOffset(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"2024-06-01T12:00:00+08:00", "2024-06-01T12:00:00+08:00"},
		{"2024-06-01T12:00:00-03:30", "2024-06-01T12:00:00-03:30"},
		{"2024-06-01T12:00:00Z", "2024-06-01T12:00:00Z"},
		{"2024-06-01T12:00:00.5+05:45", "2024-06-01T12:00:00.5+05:45"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			in, err := time.Parse(time.RFC3339Nano, tc.in)
			require.NoError(t, err)
			var e Encoder
			e.Time(in)
			d := NewDecoder(e.Bytes())
			got := d.Time()
			require.NoError(t, d.Err())
			require.Equal(t, tc.want, got.Format(time.RFC3339Nano))
			require.Zero(t, d.Len())
		})
	}
	var e Encoder
	e.Time(time.Time{})
	got := NewDecoder(e.Bytes()).Time()
	require.True(t, got.IsZero())
}

// Every strict prefix of a valid record is truncated and must fail cleanly.
func TestDecoderTruncated(t *testing.T) {
	full := record{version: 1, id: 1, name: "name", data: []byte("data"), flag: true,
		at: time.Date(2025, 1, 2, 3, 4, 5, 6, time.FixedZone("", 7200))}.encode()
	for n := range len(full) {
		_, err := decodeRecord(full[:n])
		require.ErrorIs(t, err, ErrCorrupt, "prefix of %d bytes", n)
	}
}

func TestDecoderMalformed(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		read    func(d *Decoder)
		wantErr string
	}{
		{"bool byte 2", []byte{2}, func(d *Decoder) { d.Bool() }, "bool byte 0x2"},
		{"uvarint overflow", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
			func(d *Decoder) { d.Uvarint() }, "malformed uvarint"},
		{"string longer than input", []byte{10, 'a'}, func(d *Decoder) { _ = d.String() }, "truncated string"},
		{"huge length", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
			func(d *Decoder) { d.ByteSlice() }, "truncated byte slice"},
		{"nanoseconds out of range", []byte{0, 0x80, 0x94, 0xeb, 0xdc, 0x03, 0},
			func(d *Decoder) { d.Time() }, "nanoseconds"},
		{"zone offset out of range", binary.AppendVarint([]byte{0, 0}, 24*3600), func(d *Decoder) { d.Time() }, "zone offset"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDecoder(tc.in)
			tc.read(d)
			require.ErrorIs(t, d.Err(), ErrCorrupt)
			require.ErrorContains(t, d.Err(), tc.wantErr)
			require.Zero(t, d.Uint64(), "sticky: later reads return zero")
		})
	}
}

func TestEncoderReset(t *testing.T) {
	var e Encoder
	e.String("first")
	e.Reset()
	e.Version(3)
	require.Equal(t, []byte{3}, e.Bytes())
}

func FuzzCodecRoundTrip(f *testing.F) {
	f.Add(uint8(1), uint64(42), int64(-1), "name", []byte("data"), true, int64(1700000000), int64(5), int32(3600))
	f.Add(uint8(0), uint64(0), int64(0), "", []byte{}, false, int64(0), int64(0), int32(0))
	f.Fuzz(func(t *testing.T, v uint8, u uint64, i int64, s string, b []byte, flag bool, sec, nsec int64, off int32) {
		at := time.Unix(sec%(1<<40), nsec%int64(time.Second)).In(time.FixedZone("", int(off%(18*3600))))
		rec := record{version: v, id: u, n32: uint32(u), delta: i, size: u, skew: i, name: s,
			data: append([]byte{}, b...), flag: flag, at: at}
		got, err := decodeRecord(rec.encode())
		require.NoError(t, err)
		require.True(t, at.Equal(got.at))
		require.Equal(t, at.Format(time.RFC3339Nano), got.at.Format(time.RFC3339Nano))
		rec.at, got.at = time.Time{}, time.Time{}
		require.Equal(t, rec, got)
	})
}

// FuzzDecoder feeds arbitrary bytes to every reader: it must never panic,
// and any error must wrap ErrCorrupt.
func FuzzDecoder(f *testing.F) {
	f.Add(record{version: 1, name: "x", data: []byte("y"), at: time.Now()}.encode())
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := decodeRecord(b)
		if err != nil {
			require.ErrorIs(t, err, ErrCorrupt)
		}
	})
}

func TestDecoderFail(t *testing.T) {
	var e Encoder
	e.Uint64(7)
	e.Uint64(8)
	d := NewDecoder(e.Bytes())
	require.Equal(t, uint64(7), d.Uint64())
	cause := errors.New("hash of 3 bytes")
	d.Fail(cause)
	d.Fail(errors.New("second failure is ignored"))
	require.Zero(t, d.Uint64(), "reads after Fail return zero values")
	require.ErrorIs(t, d.Err(), ErrCorrupt)
	require.ErrorIs(t, d.Err(), cause)
	require.NotContains(t, d.Err().Error(), "second")
}
