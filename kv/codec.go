package kv

import (
	"encoding/binary"
	"fmt"
	"time"
)

// Records are positional: a version byte, then the fields in the order they
// were appended, untagged. A record type changes its layout only by bumping
// its version; readers switch on Version and keep decoding every version
// still on disk.

// maxZoneOffset bounds a decoded zone offset; real offsets stay within ±14h.
const maxZoneOffset = 24 * 60 * 60

// Encoder appends the fields of a record to a buffer. The zero value is ready
// to use; Bytes returns the result. An Encoder is not safe for concurrent use.
type Encoder struct {
	buf []byte
}

// Version appends the record's format version, the first field of a record.
func (e *Encoder) Version(v uint8) { e.buf = append(e.buf, v) }

// Uint64 appends v as 8 bytes big-endian.
func (e *Encoder) Uint64(v uint64) { e.buf = binary.BigEndian.AppendUint64(e.buf, v) }

// Uint32 appends v as 4 bytes big-endian.
func (e *Encoder) Uint32(v uint32) { e.buf = binary.BigEndian.AppendUint32(e.buf, v) }

// Int64 appends v as 8 bytes big-endian two's complement.
func (e *Encoder) Int64(v int64) { e.Uint64(uint64(v)) }

// Uvarint appends v as an unsigned varint.
func (e *Encoder) Uvarint(v uint64) { e.buf = binary.AppendUvarint(e.buf, v) }

// Varint appends v as a zig-zag signed varint.
func (e *Encoder) Varint(v int64) { e.buf = binary.AppendVarint(e.buf, v) }

// String appends s with a uvarint length prefix.
func (e *Encoder) String(s string) {
	e.Uvarint(uint64(len(s)))
	e.buf = append(e.buf, s...)
}

// ByteSlice appends b with a uvarint length prefix; nil encodes as empty.
func (e *Encoder) ByteSlice(b []byte) {
	e.Uvarint(uint64(len(b)))
	e.buf = append(e.buf, b...)
}

// Bool appends v as one byte.
func (e *Encoder) Bool(v bool) {
	var b byte
	if v {
		b = 1
	}
	e.buf = append(e.buf, b)
}

// Time appends t as varint unix seconds, uvarint nanoseconds and varint zone
// offset seconds, so that it decodes to an equal instant that formats (RFC
// 3339) with the original offset. Any time.Time, even the zero Time,
// round-trips; the zone name and monotonic reading are dropped.
func (e *Encoder) Time(t time.Time) {
	_, off := t.Zone()
	e.Varint(t.Unix())
	e.Uvarint(uint64(t.Nanosecond()))
	e.Varint(int64(off))
}

// Bytes returns the encoded record; it aliases the buffer until Reset.
func (e *Encoder) Bytes() []byte { return e.buf }

// Reset empties the Encoder, keeping its buffer for reuse.
func (e *Encoder) Reset() { e.buf = e.buf[:0] }

// Decoder reads a record's fields in the order the Encoder wrote them. Its
// error is sticky: the first truncated or malformed field sets it (wrapping
// ErrCorrupt), later reads return zero values, and Err reports it. A Decoder
// never panics on bad input.
type Decoder struct {
	buf []byte
	off int
	err error
}

// NewDecoder returns a Decoder reading b. The Decoder does not modify b.
func NewDecoder(b []byte) *Decoder { return &Decoder{buf: b} }

// fail records the first error.
func (d *Decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)
	}
}

// Fail records err, wrapped in ErrCorrupt, as the Decoder's error unless it already has one:
// for a record decoder that finds a field well-formed but its value impossible (a hash of the
// wrong length, say), so the record fails like a truncated one. Later reads return zero values.
func (d *Decoder) Fail(err error) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
}

// take returns the next n bytes, or nil after recording an error.
func (d *Decoder) take(n uint64, what string) []byte {
	if d.err != nil {
		return nil
	}
	if uint64(len(d.buf)-d.off) < n {
		d.fail("truncated %s at offset %d: need %d bytes, have %d", what, d.off, n, len(d.buf)-d.off)
		return nil
	}
	b := d.buf[d.off : d.off+int(n)]
	d.off += int(n)
	return b
}

// Version reads the format version byte.
func (d *Decoder) Version() uint8 {
	if b := d.take(1, "version"); b != nil {
		return b[0]
	}
	return 0
}

// Uint64 reads an 8-byte big-endian integer.
func (d *Decoder) Uint64() uint64 {
	if b := d.take(8, "uint64"); b != nil {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

// Uint32 reads a 4-byte big-endian integer.
func (d *Decoder) Uint32() uint32 {
	if b := d.take(4, "uint32"); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}

// Int64 reads an 8-byte big-endian two's complement integer.
func (d *Decoder) Int64() int64 { return int64(d.Uint64()) }

// Uvarint reads an unsigned varint.
func (d *Decoder) Uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.buf[d.off:])
	if n <= 0 {
		d.fail("malformed uvarint at offset %d", d.off)
		return 0
	}
	d.off += n
	return v
}

// Varint reads a zig-zag signed varint.
func (d *Decoder) Varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.buf[d.off:])
	if n <= 0 {
		d.fail("malformed varint at offset %d", d.off)
		return 0
	}
	d.off += n
	return v
}

// String reads a length-prefixed string. It is a field reader, not a
// fmt.Stringer.
func (d *Decoder) String() string {
	return string(d.take(d.Uvarint(), "string"))
}

// ByteSlice reads a length-prefixed byte slice into a new slice the caller
// owns.
func (d *Decoder) ByteSlice() []byte {
	b := d.take(d.Uvarint(), "byte slice")
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}

// Bool reads one byte that must be 0 or 1.
func (d *Decoder) Bool() bool {
	b := d.take(1, "bool")
	if b == nil {
		return false
	}
	if b[0] > 1 {
		d.fail("bool byte %#x at offset %d", b[0], d.off-1)
		return false
	}
	return b[0] == 1
}

// Time reads a time written by Encoder.Time; a zero offset decodes as UTC,
// any other as an unnamed time.FixedZone.
func (d *Decoder) Time() time.Time {
	sec, nsec, off := d.Varint(), d.Uvarint(), d.Varint()
	if d.err != nil {
		return time.Time{}
	}
	if nsec >= uint64(time.Second) {
		d.fail("time nanoseconds %d out of range", nsec)
		return time.Time{}
	}
	if off <= -maxZoneOffset || off >= maxZoneOffset {
		d.fail("time zone offset %ds out of range", off)
		return time.Time{}
	}
	t := time.Unix(sec, int64(nsec))
	if off == 0 {
		return t.UTC()
	}
	return t.In(time.FixedZone("", int(off)))
}

// Len returns the number of bytes not yet read.
func (d *Decoder) Len() int { return len(d.buf) - d.off }

// Err returns the first error met, wrapping ErrCorrupt, or nil.
func (d *Decoder) Err() error { return d.err }
