package sigv4

import (
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Wire names and formats from the SigV4 specification.
const (
	algorithm     = "AWS4-HMAC-SHA256"
	scopeTerminal = "aws4_request"
	amzDateFormat = "20060102T150405Z"
	scopeDateFmt  = "20060102"

	headerAuthorization = "Authorization"
	headerAmzDate       = "X-Amz-Date"
	headerContentSHA256 = "X-Amz-Content-Sha256"

	queryAlgorithm     = "X-Amz-Algorithm"
	queryCredential    = "X-Amz-Credential"
	queryDate          = "X-Amz-Date"
	queryExpires       = "X-Amz-Expires"
	querySignedHeaders = "X-Amz-SignedHeaders"
	querySignature     = "X-Amz-Signature"
)

// credential is the parsed "AKID/yyyymmdd/region/service/aws4_request" value.
type credential struct {
	accessKeyID string
	date        string // yyyymmdd, as sent
	region      string
	service     string
}

// scope returns the credential scope string, "yyyymmdd/region/service/aws4_request".
func (c credential) scope() string {
	return c.date + "/" + c.region + "/" + c.service + "/" + scopeTerminal
}

// claim is what the client asserts about its signature, parsed from the
// Authorization header or the presigned query parameters. Nothing in it is
// trusted until the signature has been checked.
type claim struct {
	cred          credential
	signedHeaders []string // lower-case names, in the order the client listed them
	signature     []byte   // 32 bytes
	amzDate       string   // X-Amz-Date as sent
	signedAt      time.Time
	presigned     bool
	expires       time.Duration // presigned only
}

// authHeader is a parsed Authorization header.
type authHeader struct {
	cred          credential
	signedHeaders []string
	signature     []byte
}

// parseAuthorization parses an Authorization header of the form
//
//	AWS4-HMAC-SHA256 Credential=AKID/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=<64 hex>
//
// The three components may come in any order, separated by commas and optional
// white space; each must appear exactly once. Every failure wraps ErrMalformed.
func parseAuthorization(h string) (authHeader, error) {
	var a authHeader
	alg, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
	if alg != algorithm {
		return a, newError(ErrMalformed, fmt.Sprintf("unsupported algorithm %q", clip(alg)))
	}
	var haveCred, haveHeaders, haveSig bool
	for part := range strings.SplitSeq(rest, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return a, newError(ErrMalformed, fmt.Sprintf("authorization component %q has no '='", clip(part)))
		}
		var err error
		switch k {
		case "Credential":
			if haveCred {
				return a, newError(ErrMalformed, "duplicate Credential")
			}
			haveCred = true
			a.cred, err = parseCredential(val)
		case "SignedHeaders":
			if haveHeaders {
				return a, newError(ErrMalformed, "duplicate SignedHeaders")
			}
			haveHeaders = true
			a.signedHeaders, err = parseSignedHeaders(val)
		case "Signature":
			if haveSig {
				return a, newError(ErrMalformed, "duplicate Signature")
			}
			haveSig = true
			a.signature, err = parseSignature(val)
		default:
			return a, newError(ErrMalformed, fmt.Sprintf("unknown authorization component %q", clip(k)))
		}
		if err != nil {
			return a, err
		}
	}
	if !haveCred || !haveHeaders || !haveSig {
		return a, newError(ErrMalformed, "authorization needs Credential, SignedHeaders and Signature")
	}
	return a, nil
}

// parseCredential parses "AKID/yyyymmdd/region/service/aws4_request". The
// access key ID is everything before the last four fields.
func parseCredential(s string) (credential, error) {
	var c credential
	parts := strings.Split(s, "/")
	n := len(parts)
	if n < 5 {
		return c, newError(ErrMalformed, fmt.Sprintf("credential %q is not AKID/date/region/service/aws4_request", clip(s)))
	}
	c.accessKeyID = strings.Join(parts[:n-4], "/")
	c.date, c.region, c.service = parts[n-4], parts[n-3], parts[n-2]
	switch {
	case c.accessKeyID == "":
		return c, newError(ErrMalformed, "credential has an empty access key ID")
	case c.region == "" || c.service == "":
		return c, newError(ErrMalformed, "credential scope has an empty region or service")
	case parts[n-1] != scopeTerminal:
		return c, newError(ErrMalformed, fmt.Sprintf("credential scope must end in %s", scopeTerminal))
	}
	if _, err := time.Parse(scopeDateFmt, c.date); err != nil || len(c.date) != len(scopeDateFmt) {
		return c, newError(ErrMalformed, fmt.Sprintf("credential date %q is not yyyymmdd", clip(c.date)))
	}
	return c, nil
}

// parseSignedHeaders parses "host;x-amz-date". Names must be non-empty,
// lower-case HTTP tokens without duplicates, and host must be among them.
// The order is kept as sent: it is the order the client signed in.
func parseSignedHeaders(s string) ([]string, error) {
	names := strings.Split(s, ";")
	haveHost := false
	for i, name := range names {
		if !isLowerToken(name) {
			return nil, newError(ErrMalformed, fmt.Sprintf("signed header name %q is not a lower-case token", clip(name)))
		}
		for _, prev := range names[:i] {
			if prev == name {
				return nil, newError(ErrMalformed, fmt.Sprintf("signed header %q listed twice", clip(name)))
			}
		}
		haveHost = haveHost || name == "host"
	}
	if !haveHost {
		return nil, newError(ErrMalformed, "host header is not signed")
	}
	return names, nil
}

// isLowerToken reports whether s is a non-empty RFC 9110 token without
// upper-case letters.
func isLowerToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// parseSignature decodes the 64 lower-case hex digits of a signature.
func parseSignature(s string) ([]byte, error) {
	if len(s) != 64 || strings.ToLower(s) != s {
		return nil, newError(ErrMalformed, "signature is not 64 lower-case hex digits")
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, newError(ErrMalformed, "signature is not 64 lower-case hex digits")
	}
	return b, nil
}

// parseAmzDate parses an X-Amz-Date value such as 20130524T000000Z.
func parseAmzDate(s string) (time.Time, error) {
	t, err := time.Parse(amzDateFormat, s)
	if err != nil || len(s) != len(amzDateFormat) {
		return time.Time{}, newError(ErrMalformed, fmt.Sprintf("X-Amz-Date %q is not yyyymmddThhmmssZ", clip(s)))
	}
	return t, nil
}

// param is one decoded query parameter; query strings keep their order.
type param struct{ key, value string }

// parseQuery splits a raw query string into decoded parameters, in order.
// Like url.ParseQuery it decodes '+' as a space, but it keeps ';' as data and
// fails on a bad percent-escape instead of dropping the pair: a pair the
// server cannot decode must not silently drop out of the signed data.
func parseQuery(raw string) ([]param, error) {
	var ps []param
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		key, err1 := url.QueryUnescape(k)
		value, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			return nil, newError(ErrMalformed, fmt.Sprintf("query parameter %q has a bad escape", clip(part)))
		}
		ps = append(ps, param{key, value})
	}
	return ps, nil
}

// isPresigned reports whether the query carries any presigned-URL parameter.
func isPresigned(ps []param) bool {
	for _, p := range ps {
		switch p.key {
		case queryAlgorithm, queryCredential, querySignature:
			return true
		}
	}
	return false
}

// parsePresigned reads the X-Amz-* parameters of a presigned URL. Each must
// appear exactly once. maxExpires bounds X-Amz-Expires; a longer expiry wraps
// ErrExpired, anything unparseable wraps ErrMalformed.
func parsePresigned(ps []param, maxExpires time.Duration) (claim, error) {
	c := claim{presigned: true}
	vals := map[string]string{}
	for _, p := range ps {
		switch p.key {
		case queryAlgorithm, queryCredential, queryDate, queryExpires, querySignedHeaders, querySignature:
			if _, dup := vals[p.key]; dup {
				return c, newError(ErrMalformed, "presigned parameter "+p.key+" given twice")
			}
			vals[p.key] = p.value
		}
	}
	for _, k := range []string{queryAlgorithm, queryCredential, queryDate, queryExpires, querySignedHeaders, querySignature} {
		if _, ok := vals[k]; !ok {
			return c, newError(ErrMalformed, "presigned URL lacks "+k)
		}
	}
	if vals[queryAlgorithm] != algorithm {
		return c, newError(ErrMalformed, fmt.Sprintf("unsupported algorithm %q", clip(vals[queryAlgorithm])))
	}
	var err error
	if c.cred, err = parseCredential(vals[queryCredential]); err != nil {
		return c, err
	}
	if c.signedHeaders, err = parseSignedHeaders(vals[querySignedHeaders]); err != nil {
		return c, err
	}
	if c.signature, err = parseSignature(vals[querySignature]); err != nil {
		return c, err
	}
	c.amzDate = vals[queryDate]
	if c.signedAt, err = parseAmzDate(c.amzDate); err != nil {
		return c, err
	}
	if c.expires, err = parseExpires(vals[queryExpires], maxExpires); err != nil {
		return c, err
	}
	return c, nil
}

// parseExpires parses X-Amz-Expires: decimal seconds, at least 1, at most limit.
func parseExpires(s string, limit time.Duration) (time.Duration, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 || s[0] == '+' {
		return 0, newError(ErrMalformed, fmt.Sprintf("X-Amz-Expires %q is not a positive number of seconds", clip(s)))
	}
	if n > int64(limit/time.Second) {
		return 0, newError(ErrExpired, fmt.Sprintf("X-Amz-Expires %d exceeds the maximum of %d seconds", n, int64(limit/time.Second)))
	}
	return time.Duration(n) * time.Second, nil
}
