package sigv4

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// tamper returns a copy of b with the byte at offset after the nth (from 0)
// occurrence of marker changed: a hex digit to another, anything else flipped.
func tamper(b []byte, marker string, nth, offset int) []byte {
	out := bytes.Clone(b)
	i := -len(marker)
	for range nth + 1 {
		j := bytes.Index(out[i+len(marker):], []byte(marker))
		if j < 0 {
			panic("marker not found: " + marker)
		}
		i += len(marker) + j
	}
	p := i + len(marker) + offset
	switch c := out[p]; {
	case c == '0':
		out[p] = '1'
	case '1' <= c && c <= '9', 'a' <= c && c <= 'f':
		out[p] = '0'
	default:
		out[p] ^= 1
	}
	return out
}

// replace returns b with the first old replaced by new.
func replace(old, new string) func([]byte) []byte {
	return func(b []byte) []byte {
		if !bytes.Contains(b, []byte(old)) {
			panic("not found: " + old)
		}
		return bytes.Replace(b, []byte(old), []byte(new), 1)
	}
}

type tamperCase struct {
	name    string
	forms   []string // default all
	tamper  func([]byte) []byte
	length  int64 // decoded length to declare relative to the real one
	noLen   bool  // declare no decoded length
	wantErr error // nil: decodes (the unsigned form cannot tell)
}

// Every change to a body is refused with the right kind of error, at the
// latest when Read would return io.EOF.
func TestChunkedTamper(t *testing.T) {
	signed := []string{StreamingPayload, StreamingPayloadTrailer}
	trailed := []string{StreamingPayloadTrailer, StreamingUnsignedPayloadTrailer}
	tests := []tamperCase{
		{name: "intact"},
		{name: "intact, no decoded length", noLen: true},
		{name: "data byte flipped", forms: signed, tamper: func(b []byte) []byte { return tamper(b, "\r\n", 0, 100) }, wantErr: ErrSignatureMismatch},
		{name: "data byte flipped, unsigned", forms: []string{StreamingUnsignedPayloadTrailer}, tamper: func(b []byte) []byte { return tamper(b, "\r\n", 0, 100) }},
		{name: "first chunk signature", forms: signed, tamper: func(b []byte) []byte { return tamper(b, "chunk-signature=", 0, 5) }, wantErr: ErrSignatureMismatch},
		{name: "second chunk signature", forms: signed, tamper: func(b []byte) []byte { return tamper(b, "chunk-signature=", 1, 63) }, wantErr: ErrSignatureMismatch},
		{name: "final chunk signature", forms: signed, tamper: func(b []byte) []byte { return tamper(b, "chunk-signature=", 3, 0) }, wantErr: ErrSignatureMismatch},
		{name: "chunks swapped", forms: signed, tamper: swapFirstChunks, wantErr: ErrSignatureMismatch},
		{name: "chunks swapped, unsigned", forms: []string{StreamingUnsignedPayloadTrailer}, tamper: swapFirstChunks},
		{name: "trailer checksum", forms: []string{StreamingPayloadTrailer}, tamper: func(b []byte) []byte { return tamper(b, "x-amz-checksum-crc32:", 0, 2) },
			wantErr: ErrSignatureMismatch},
		{name: "trailer checksum, unsigned", forms: []string{StreamingUnsignedPayloadTrailer}, tamper: func(b []byte) []byte { return tamper(b, "x-amz-checksum-crc32:", 0, 2) }},
		{name: "trailer signature", forms: []string{StreamingPayloadTrailer}, tamper: func(b []byte) []byte { return tamper(b, "x-amz-trailer-signature:", 0, 10) },
			wantErr: ErrSignatureMismatch},
		{name: "trailer signature upper-case", forms: []string{StreamingPayloadTrailer}, tamper: upperTrailerSignature, wantErr: ErrMalformed},
		{name: "trailer signature missing", forms: []string{StreamingPayloadTrailer}, tamper: dropLine("x-amz-trailer-signature:"), wantErr: ErrMalformed},
		{name: "trailer signature in unsigned form", forms: []string{StreamingUnsignedPayloadTrailer},
			tamper: replace("\r\n\r\n", "\r\nx-amz-trailer-signature:"+strings.Repeat("0", 64)+"\r\n\r\n"), wantErr: ErrMalformed},
		{name: "trailer line after signature", forms: []string{StreamingPayloadTrailer},
			tamper: func(b []byte) []byte { return append(b[:len(b)-2], "x-amz-meta-a:b\r\n\r\n"...) }, wantErr: ErrMalformed},
		{name: "declared trailer missing", forms: trailed, tamper: dropLine("x-amz-checksum-crc32:"), wantErr: ErrMalformed},
		{name: "undeclared trailer", forms: trailed, tamper: replace("x-amz-checksum-crc32:", "x-amz-checksum-crc64nvme:"), wantErr: ErrMalformed},
		{name: "trailer in the form without one", forms: []string{StreamingPayload},
			tamper: func(b []byte) []byte { return append(b[:len(b)-2], "x-amz-checksum-crc32:AAAAAA==\r\n\r\n"...) }, wantErr: ErrMalformed},
		{name: "trailer twice", forms: []string{StreamingUnsignedPayloadTrailer}, tamper: repeatLine("x-amz-checksum-crc32:"), wantErr: ErrMalformed},
		{name: "trailer line without colon", forms: []string{StreamingUnsignedPayloadTrailer}, tamper: replace("x-amz-checksum-crc32:", "x-amz-checksum-crc32="), wantErr: ErrMalformed},
		{name: "truncated in data", tamper: func(b []byte) []byte { return b[:8300] }, wantErr: ErrMalformed},
		{name: "truncated in chunk header", tamper: func(b []byte) []byte { return b[:bytes.Index(b, []byte("\r\n"))-2] }, wantErr: ErrMalformed},
		{name: "truncated before final CRLF", tamper: func(b []byte) []byte { return b[:len(b)-2] }, wantErr: ErrMalformed},
		{name: "truncated by one byte", tamper: func(b []byte) []byte { return b[:len(b)-1] }, wantErr: ErrMalformed},
		{name: "truncated after data", tamper: cutAfterLastData, wantErr: ErrMalformed},
		{name: "empty body", tamper: func([]byte) []byte { return nil }, wantErr: ErrMalformed},
		{name: "extra byte", tamper: func(b []byte) []byte { return append(b, 'x') }, wantErr: ErrMalformed},
		{name: "extra CRLF", tamper: func(b []byte) []byte { return append(b, "\r\n"...) }, wantErr: ErrMalformed},
		{name: "decoded length one less", length: -1, wantErr: ErrMalformed},
		{name: "decoded length one more", length: 1, wantErr: ErrMalformed},
		{name: "oversized chunk header line", tamper: func(b []byte) []byte { return append([]byte(strings.Repeat("0", 600)), b...) }, wantErr: ErrMalformed},
		{name: "chunk header line beyond the buffer", tamper: func(b []byte) []byte { return append([]byte(strings.Repeat("0", 9000)), b...) }, wantErr: ErrMalformed},
		{name: "chunk size of 16 digits", tamper: replace("2000", "0000000000002000")},
		{name: "chunk size of 17 digits", tamper: replace("2000", "00000000000002000"), wantErr: ErrMalformed},
		{name: "huge chunk size", tamper: replace("2000", "7fffffffffffffff"), wantErr: ErrMalformed},
		{name: "huge chunk size, no decoded length", noLen: true, tamper: replace("2000", "7fffffffffffffff"), wantErr: ErrMalformed},
		{name: "chunk size with sign", tamper: func(b []byte) []byte { return append([]byte("+"), b...) }, wantErr: ErrMalformed},
		{name: "chunk size overflows", tamper: replace("2000", "8000000000000000"), wantErr: ErrMalformed},
		{name: "chunk size not hex", tamper: replace("2000", "2g00"), wantErr: ErrMalformed},
		{name: "header ends in bare LF", tamper: replace("\r\n", "\n"), wantErr: ErrMalformed},
		{name: "data not followed by CRLF", tamper: func(b []byte) []byte { return tamper(b, "\r\n", 1, -1) }, wantErr: ErrMalformed},
		{name: "signature of 63 digits", forms: signed, tamper: func(b []byte) []byte { return replace(";chunk-signature=0", ";chunk-signature=")(setFirstSig(b, "0")) },
			wantErr: ErrMalformed},
		{name: "unsigned header in signed form", forms: signed, tamper: stripSignatures, wantErr: ErrMalformed},
		{name: "signed header in unsigned form", forms: []string{StreamingUnsignedPayloadTrailer},
			tamper: replace("2000\r\n", "2000;chunk-signature="+strings.Repeat("0", 64)+"\r\n"), wantErr: ErrMalformed},
		{name: "chunk extension in unsigned form", forms: []string{StreamingUnsignedPayloadTrailer}, tamper: replace("2000\r\n", "2000;x=y\r\n"), wantErr: ErrMalformed},
	}
	for _, tc := range tests {
		forms := tc.forms
		if forms == nil {
			forms = streamingForms
		}
		for _, form := range forms {
			t.Run(tc.name+"/"+form, func(t *testing.T) { runTamperCase(t, tc, form) })
		}
	}
}

// runTamperCase encodes 3 chunks of 8 KiB and a shorter one in form,
// applies the case and decodes.
func runTamperCase(t *testing.T, tc tamperCase, form string) {
	data := testData(8192*3 + 100)
	decl, trailers := trailerFor(form, data)
	id := streamingIdentity(t, form, len(data), decl)
	body := encodeChunked(t, id, data, 8192, trailers)
	if tc.tamper != nil {
		body = tc.tamper(body)
	}
	n := int64(len(data)) + tc.length
	if tc.noLen {
		n = -1
	}
	cr, err := NewChunkedReader(bytes.NewReader(body), id, n, names(decl))
	require.NoError(t, err)
	got, err := io.ReadAll(cr)
	if tc.wantErr == nil {
		require.NoError(t, err)
		require.Len(t, got, len(data))
		return
	}
	require.ErrorIs(t, err, tc.wantErr)
	var e *Error
	require.ErrorAs(t, err, &e)
	_, again := cr.Read(make([]byte, 10))
	require.Equal(t, err, again, "errors are sticky")
}

// swapFirstChunks exchanges the first two 8 KiB chunks, headers included.
func swapFirstChunks(b []byte) []byte {
	first := bytes.Index(b, []byte("\r\n")) + 2 + 8192 + 2
	second := first + bytes.Index(b[first:], []byte("\r\n")) + 2 + 8192 + 2
	return slicesConcat(b[first:second], b[:first], b[second:])
}

// cutAfterLastData cuts the body right after the last chunk's data.
func cutAfterLastData(b []byte) []byte {
	i := bytes.LastIndex(b, []byte("\r\n0"))
	return b[:i]
}

func dropLine(prefix string) func([]byte) []byte {
	return func(b []byte) []byte {
		i := bytes.Index(b, []byte(prefix))
		j := i + bytes.Index(b[i:], []byte("\r\n")) + 2
		return slicesConcat(b[:i], b[j:])
	}
}

func repeatLine(prefix string) func([]byte) []byte {
	return func(b []byte) []byte {
		i := bytes.Index(b, []byte(prefix))
		j := i + bytes.Index(b[i:], []byte("\r\n")) + 2
		return slicesConcat(b[:j], b[i:j], b[j:])
	}
}

func upperTrailerSignature(b []byte) []byte {
	i := bytes.Index(b, []byte("x-amz-trailer-signature:")) + len("x-amz-trailer-signature:")
	out := bytes.Clone(b)
	copy(out[i:i+64], bytes.ToUpper(out[i:i+64]))
	return out
}

// setFirstSig makes the first chunk signature start with s.
func setFirstSig(b []byte, s string) []byte {
	i := bytes.Index(b, []byte("chunk-signature=")) + len("chunk-signature=")
	out := bytes.Clone(b)
	copy(out[i:], s)
	return out
}

// stripSignatures removes every ";chunk-signature=..." extension.
func stripSignatures(b []byte) []byte {
	var out []byte
	for {
		i := bytes.Index(b, []byte(";chunk-signature="))
		if i < 0 {
			return append(out, b...)
		}
		out = append(out, b[:i]...)
		b = b[i+len(";chunk-signature=")+64:]
	}
}

func slicesConcat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
