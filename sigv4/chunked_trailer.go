package sigv4

import (
	"crypto/sha256"
	"net/textproto"
	"slices"
	"strings"
)

// readTrailer reads what follows the final chunk's header line: the trailer
// lines, in the signed trailer form the trailer signature, and the empty line
// that ends the body. The form without a trailer has only the empty line.
//
// The trailer signature covers the trailer lines exactly as sent, each ending
// in "\n" instead of CRLF, in the order sent (the SDKs send them sorted).
func (c *ChunkedReader) readTrailer() error {
	signed := c.signed && c.trailed
	var canon strings.Builder
	for {
		line, err := readFrameLine(c.br, "trailer line")
		if err != nil {
			return err
		}
		if line == "" {
			break
		}
		name, value, err := parseTrailerLine(line)
		if err != nil {
			return err
		}
		if signed && name == trailerSignatureName {
			return c.endSignedTrailer(value, canon.String())
		}
		if err := c.addTrailer(name, value); err != nil {
			return err
		}
		canon.WriteString(line)
		canon.WriteByte('\n')
	}
	if signed {
		return malformedChunk("trailer lacks %s", trailerSignatureName)
	}
	return c.checkTrailerComplete()
}

// addTrailer records one trailer line, which must have been declared and not
// yet seen.
func (c *ChunkedReader) addTrailer(name, value string) error {
	key := textproto.CanonicalMIMEHeaderKey(name)
	switch {
	case !slices.Contains(c.names, name):
		return malformedChunk("trailer %q is not declared in X-Amz-Trailer", clip(name))
	case c.trailer[key] != nil:
		return malformedChunk("trailer %q appears twice", name)
	}
	c.trailer[key] = []string{value}
	return nil
}

// checkTrailerComplete checks that every declared trailer was sent.
func (c *ChunkedReader) checkTrailerComplete() error {
	for _, name := range c.names {
		if c.trailer[textproto.CanonicalMIMEHeaderKey(name)] == nil {
			return malformedChunk("declared trailer %q is missing", name)
		}
	}
	return nil
}

// endSignedTrailer checks the trailer signature line's value against the
// canonical trailer, then the empty line that must follow it.
func (c *ChunkedReader) endSignedTrailer(value, canon string) error {
	if err := c.checkTrailerComplete(); err != nil {
		return err
	}
	claimed, err := parseSignature(value)
	if err != nil {
		return malformedChunk("%s is not 64 lower-case hex digits", trailerSignatureName)
	}
	if c.signer != nil {
		sum := sha256.Sum256([]byte(canon))
		if err := c.signer.verify("trailer", c.signer.trailerStringToSign(sum[:]), claimed); err != nil {
			return err
		}
	}
	line, err := readFrameLine(c.br, "line after the trailer signature")
	if err != nil {
		return err
	}
	if line != "" {
		return malformedChunk("trailer continues after %s", trailerSignatureName)
	}
	return nil
}
