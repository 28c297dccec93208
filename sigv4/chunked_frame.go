package sigv4

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Limits on the aws-chunked framing. A chunk header line is at most
// 16 + len(";chunk-signature=") + 64 = 97 bytes and a checksum trailer line
// well under 100, so these leave room without letting a client make the
// server hold more than the bufio buffer.
const (
	// maxFrameLine bounds a chunk header or trailer line, CRLF included.
	maxFrameLine = 512
	// maxTrailers bounds the names a request may declare in X-Amz-Trailer.
	maxTrailers = 8
	// chunkedBufSize is the decoder's read buffer: the most it ever holds.
	chunkedBufSize = 4096
	// maxHexSize is the most hex digits a chunk size may have (63 bits).
	maxHexSize = 16
)

const (
	chunkSignaturePrefix = "chunk-signature="
	trailerSignatureName = "x-amz-trailer-signature"
)

// malformedChunk returns the ErrMalformed error for a framing fault.
func malformedChunk(format string, args ...any) *Error {
	return newError(ErrMalformed, "aws-chunked body: "+fmt.Sprintf(format, args...))
}

// readFrameLine reads one CRLF-terminated line of at most maxFrameLine bytes
// and returns it without the CRLF. The end of the body is an ErrMalformed
// error; any other read error is returned as it is.
func readFrameLine(br *bufio.Reader, what string) (string, error) {
	line, err := br.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull) || len(line) > maxFrameLine:
		return "", malformedChunk("%s is longer than %d bytes", what, maxFrameLine)
	case err == io.EOF:
		return "", malformedChunk("body ends inside %s", what)
	case err != nil:
		return "", err
	}
	body, ok := strings.CutSuffix(string(line), "\r\n")
	if !ok || strings.ContainsAny(body, "\r\n") {
		return "", malformedChunk("%s does not end in CRLF", what)
	}
	return body, nil
}

// expectCRLF consumes the CRLF that ends a chunk's data.
func expectCRLF(br *bufio.Reader, what string) error {
	for _, want := range []byte("\r\n") {
		b, err := br.ReadByte()
		switch {
		case err == io.EOF:
			return malformedChunk("body ends before the CRLF after %s", what)
		case err != nil:
			return err
		case b != want:
			return malformedChunk("%s is not followed by CRLF", what)
		}
	}
	return nil
}

// expectEOF checks that nothing follows the end of the aws-chunked body.
func expectEOF(br *bufio.Reader) error {
	_, err := br.ReadByte()
	switch {
	case err == nil:
		return malformedChunk("data follows the end of the body")
	case err == io.EOF:
		return nil
	}
	return err
}

// parseChunkHeader parses a chunk header line without its CRLF:
// "hex-size;chunk-signature=<64 hex>" when signed, "hex-size" otherwise.
// It returns the size and, when signed, the claimed signature.
func parseChunkHeader(line string, signed bool) (int64, []byte, error) {
	sizeHex, ext, hasExt := strings.Cut(line, ";")
	size, err := parseHexSize(sizeHex)
	if err != nil {
		return 0, nil, err
	}
	if !signed {
		if hasExt {
			return 0, nil, malformedChunk("unsigned chunk header %q carries an extension", clip(line))
		}
		return size, nil, nil
	}
	sig, ok := strings.CutPrefix(ext, chunkSignaturePrefix)
	if !hasExt || !ok {
		return 0, nil, malformedChunk("chunk header %q lacks %s", clip(line), chunkSignaturePrefix)
	}
	claimed, err := parseSignature(sig)
	if err != nil {
		return 0, nil, malformedChunk("chunk header %q: signature is not 64 lower-case hex digits", clip(line))
	}
	return size, claimed, nil
}

// parseHexSize parses a chunk size: 1 to 16 hex digits, no sign or prefix,
// below 2^63.
func parseHexSize(s string) (int64, error) {
	if s == "" || len(s) > maxHexSize || strings.TrimLeft(s, "0123456789abcdefABCDEF") != "" {
		return 0, malformedChunk("chunk size %q is not 1 to %d hex digits", clip(s), maxHexSize)
	}
	n, err := strconv.ParseUint(s, 16, 63)
	if err != nil {
		return 0, malformedChunk("chunk size %q is too large", s)
	}
	return int64(n), nil
}

// parseTrailerLine splits a trailer line "name:value" into the lower-case
// name and the value without surrounding blanks. The name must be a token.
func parseTrailerLine(line string) (name, value string, err error) {
	name, value, ok := strings.Cut(line, ":")
	name = strings.ToLower(name)
	if !ok || !isLowerToken(name) {
		return "", "", malformedChunk("trailer line %q is not name:value", clip(line))
	}
	return name, strings.Trim(value, " \t"), nil
}

// parseTrailerNames validates the names declared in X-Amz-Trailer and
// returns them lower-cased: tokens, no duplicates, none reserved, at most
// maxTrailers.
func parseTrailerNames(names []string) ([]string, error) {
	if len(names) > maxTrailers {
		return nil, malformedChunk("X-Amz-Trailer declares %d names, more than %d", len(names), maxTrailers)
	}
	out := make([]string, 0, len(names))
	for _, n := range names {
		n = strings.ToLower(strings.TrimSpace(n))
		switch {
		case !isLowerToken(n):
			return nil, malformedChunk("X-Amz-Trailer name %q is not a token", clip(n))
		case n == trailerSignatureName:
			return nil, malformedChunk("X-Amz-Trailer may not declare %s", trailerSignatureName)
		case slices.Contains(out, n):
			return nil, malformedChunk("X-Amz-Trailer declares %q twice", n)
		}
		out = append(out, n)
	}
	return out, nil
}
