package sigv4

import (
	"bytes"
	"errors"
	"io"
	"net/textproto"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzChunkedReader feeds arbitrary bodies to the decoder in each form. It
// must never panic, must fail only with the package's kinds, and on success
// must have returned exactly the declared length and every declared trailer.
func FuzzChunkedReader(f *testing.F) {
	ids := make([]*Identity, len(streamingForms))
	for i, form := range streamingForms {
		decl, _ := trailerFor(form, nil)
		ids[i] = streamingIdentity(f, form, 0, decl)
	}
	for i, form := range streamingForms {
		for _, size := range []int{0, 5, 300} {
			data := testData(size)
			_, trailers := trailerFor(form, data)
			body := encodeChunked(f, ids[i], data, 128, trailers)
			f.Add(body, uint8(i), int64(size))
			f.Add(body, uint8(i), int64(-1))
			f.Add(tamper(body, "\r\n", 0, 1), uint8(i), int64(size))
		}
	}
	f.Add([]byte("0\r\n\r\n"), uint8(2), int64(0))
	f.Add([]byte("5\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n"), uint8(2), int64(5))
	f.Fuzz(func(t *testing.T, body []byte, form uint8, length int64) {
		id := ids[int(form)%len(ids)]
		decl, _ := trailerFor(id.PayloadHash, nil)
		cr, err := NewChunkedReader(bytes.NewReader(body), id, length, names(decl))
		require.NoError(t, err)
		got, err := io.ReadAll(cr)
		if err != nil {
			var e *Error
			require.ErrorAs(t, err, &e)
			require.True(t, errors.Is(err, ErrMalformed) || errors.Is(err, ErrSignatureMismatch), "unexpected kind: %v", err)
			return
		}
		require.LessOrEqual(t, len(got), len(body))
		if length >= 0 {
			require.EqualValues(t, length, len(got))
		}
		for _, n := range names(decl) {
			require.Contains(t, cr.Trailer(), textproto.CanonicalMIMEHeaderKey(n))
		}
		require.Len(t, cr.Trailer(), len(names(decl)))
	})
}

// FuzzChunkedRoundTrip encodes arbitrary data in arbitrary chunk sizes and
// checks that it decodes unchanged.
func FuzzChunkedRoundTrip(f *testing.F) {
	ids := make([]*Identity, len(streamingForms))
	for i, form := range streamingForms {
		decl, _ := trailerFor(form, nil)
		ids[i] = streamingIdentity(f, form, 0, decl)
	}
	f.Add([]byte("hello world"), uint16(3), uint8(0))
	f.Add([]byte{}, uint16(1), uint8(1))
	f.Add(bytes.Repeat([]byte{0, '\r', '\n'}, 1000), uint16(999), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint16, form uint8) {
		id := ids[int(form)%len(ids)]
		decl, trailers := trailerFor(id.PayloadHash, data)
		body := encodeChunked(t, id, data, int(chunk)+1, trailers)
		cr, err := NewChunkedReader(bytes.NewReader(body), id, int64(len(data)), names(decl))
		require.NoError(t, err)
		got, err := io.ReadAll(cr)
		require.NoError(t, err)
		require.Equal(t, data, append([]byte{}, got...))
	})
}
