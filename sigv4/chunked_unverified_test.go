package sigv4

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestUnverifiedChunkedBody: with authentication off, every aws-chunked form decodes to its
// data and trailers whatever key signed it, while the framing, the decoded length and the
// trailers are still checked.
func TestUnverifiedChunkedBody(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 5000) // 80,000 bytes: several chunks
	trailers := []trailerLine{{"x-amz-checksum-crc32", "AAAAAA=="}}
	for _, form := range []string{StreamingPayload, StreamingPayloadTrailer, StreamingUnsignedPayloadTrailer} {
		t.Run(form, func(t *testing.T) {
			trailer, tl := "", []trailerLine(nil)
			if form != StreamingPayload {
				trailer, tl = "x-amz-checksum-crc32", trailers
			}
			id := streamingIdentity(t, form, len(data), trailer)
			body := encodeChunked(t, id, data, 16<<10, tl)
			// As if another key had signed it: every chunk signature is altered.
			for _, marker := range [][]byte{[]byte("chunk-signature="), []byte("x-amz-trailer-signature:")} {
				for i := 0; ; {
					j := bytes.Index(body[i:], marker)
					if j < 0 {
						break
					}
					k := i + j + len(marker)
					if body[k] == '0' {
						body[k] = '1'
					} else {
						body[k] = '0'
					}
					i = k
				}
			}

			req := func(body []byte, decoded int) *http.Request {
				r := httptest.NewRequest(http.MethodPut, "http://s3.test/bucket/key", bytes.NewReader(body))
				r.Header.Set("X-Amz-Decoded-Content-Length", strconv.Itoa(decoded))
				if trailer != "" {
					r.Header.Set("X-Amz-Trailer", trailer)
				}
				return r
			}
			cr, err := UnverifiedChunkedBody(req(body, len(data)), form)
			require.NoError(t, err)
			got, err := io.ReadAll(cr)
			require.NoError(t, err)
			require.Equal(t, data, got)
			if trailer != "" {
				require.Equal(t, "AAAAAA==", cr.Trailer().Get("x-amz-checksum-crc32"))
			}

			// Still checked: the decoded length, and the framing.
			cr, err = UnverifiedChunkedBody(req(body, len(data)+1), form)
			require.NoError(t, err)
			_, err = io.ReadAll(cr)
			require.ErrorIs(t, err, ErrMalformed)
			cut := body[:len(body)/2]
			cr, err = UnverifiedChunkedBody(req(cut, len(data)), form)
			require.NoError(t, err)
			_, err = io.ReadAll(cr)
			require.Error(t, err)

			// The same body is refused by the verifying decoder: the signatures are wrong.
			if form != StreamingUnsignedPayloadTrailer {
				cr, err = ChunkedBody(req(body, len(data)), id)
				require.NoError(t, err)
				_, err = io.ReadAll(cr)
				require.ErrorIs(t, err, ErrSignatureMismatch)
			}
		})
	}
}
