package loadgen

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// S3Error is a non-2xx answer of an S3 server, with the fields of its XML error body when it
// has one (a HEAD answer never does).
type S3Error struct {
	// StatusCode and Status are the HTTP status, e.g. 404 and "404 Not Found".
	StatusCode int
	Status     string
	// Code and Message are the S3 error code ("NoSuchKey", "SignatureDoesNotMatch") and its
	// text; RequestID is the server's request ID. All may be empty.
	Code, Message, RequestID string
	// Body is the start of a body that is not an S3 error document, for the message.
	Body string
}

// Error renders the status, then the S3 code, message and request ID, those that are known.
func (e *S3Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Status)
	if e.Code != "" {
		b.WriteString(": " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.RequestID != "" {
		b.WriteString(" (request " + e.RequestID + ")")
	}
	if e.Code == "" && e.Body != "" {
		fmt.Fprintf(&b, ": %q", e.Body)
	}
	return b.String()
}

// responseError reads (the start of) an error response's body into an *S3Error. It does not
// close the body.
func responseError(resp *http.Response) *S3Error {
	e := &S3Error{StatusCode: resp.StatusCode, Status: resp.Status}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var doc struct {
		Code      string
		Message   string
		RequestID string `xml:"RequestId"`
	}
	if xml.Unmarshal(raw, &doc) == nil && doc.Code != "" {
		e.Code, e.Message, e.RequestID = doc.Code, doc.Message, doc.RequestID
	} else {
		e.Body = clip(raw)
	}
	return e
}

// drain checks that resp is a 2xx, reads the rest of its (small) body so that the connection
// can be reused, and closes it.
func drain(resp *http.Response) error {
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return responseError(resp)
	}
	if _, err := io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody)); err != nil {
		return fmt.Errorf("%s: reading the response: %w", resp.Status, err)
	}
	return nil
}

// uriEncode percent-encodes every byte of s outside the RFC 3986 unreserved set
// (A-Z a-z 0-9 - . _ ~) with upper-case hex, as SigV4's UriEncode does; with keepSlash, '/' is
// left as it is. A path encoded so is the same on the wire and in the canonical request that
// an S3 server rebuilds from it (the path decoded, then encoded once), whatever the key holds.
func uriEncode(s string, keepSlash bool) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == '/' && keepSlash {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
