package sigv4

import (
	"net/http"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
)

// uriEncode percent-encodes every byte of s outside the RFC 3986 unreserved
// set (A-Z a-z 0-9 - . _ ~) with upper-case hex, as SigV4's UriEncode does.
// A space becomes %20, never '+'. With keepSlash, '/' is left alone.
func uriEncode(s string, keepSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) && (s[i] != '/' || !keepSlash) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || (c == '/' && keepSlash) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// canonicalURIs returns the canonical URI candidates for r, best first.
//
// The specification's form comes first. For S3 it is the decoded path encoded
// once. For every other service it is the path as sent on the wire encoded
// again, which is "each segment encoded twice" for any client that sends a
// fully encoded path, and exactly what the Go SDK signer computes
// (httpbinding.EscapePath over URL.EscapedPath). We do not remove "." and ".."
// segments the way AWS's generic rule suggests: the Go SDK does not either,
// and normalising would let one signature cover several paths that a router
// tells apart.
//
// The second candidate is the path exactly as sent, which is what curl 7.88
// signs for every service. It must not equal the first candidate of a
// request for another path. For S3 it cannot: decoding either gives the same
// path. For other services it can, when the path as sent contains "%25":
// "/a%2520b" as sent is the double-encoded form of the different path
// "/a%20b", so a signature for "/a b" would also cover "/a%20b". Such paths
// get no second candidate (curl users cannot sign a path with a literal '%'
// for those services; the native API's paths never have one).
func canonicalURIs(r *http.Request, service string) []string {
	wire := r.URL.EscapedPath()
	if wire == "" {
		wire = "/"
	}
	var spec string
	if service == "s3" {
		spec = uriEncode(r.URL.Path, true)
		if spec == "" {
			spec = "/"
		}
	} else {
		spec = uriEncode(wire, true)
		if strings.Contains(wire, "%25") {
			return []string{spec}
		}
	}
	if spec == wire {
		return []string{spec}
	}
	return []string{spec, wire}
}

// canonicalQuery returns the specification's canonical query string: every
// parameter except skip, key and value URI-encoded, sorted by encoded key and
// then encoded value (AWS sorts after encoding), joined as k=v with '&'.
func canonicalQuery(ps []param, skip string) string {
	enc := make([]param, 0, len(ps))
	for _, p := range ps {
		if skip != "" && p.key == skip {
			continue
		}
		enc = append(enc, param{uriEncode(p.key, false), uriEncode(p.value, false)})
	}
	slices.SortFunc(enc, func(a, b param) int {
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		return strings.Compare(a.value, b.value)
	})
	var b strings.Builder
	for i, p := range enc {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.key)
		b.WriteByte('=')
		b.WriteString(p.value)
	}
	return b.String()
}

// canonicalQueries returns the canonical query candidates, best first: the
// specification's form, then (header authentication only) the raw query as
// sent, which curl 7.88 signs without sorting or re-encoding. Like the raw
// path, the raw query is the request's own bytes and so is safe to accept.
func canonicalQueries(r *http.Request, ps []param, presigned bool) []string {
	if presigned {
		return []string{canonicalQuery(ps, querySignature)}
	}
	spec := canonicalQuery(ps, "")
	if r.URL.RawQuery == spec {
		return []string{spec}
	}
	return []string{spec, r.URL.RawQuery}
}

// canonicalHeaders returns the canonical headers block ("name:value\n" for
// each signed header, in the client's order) and the signed header list.
// Values are trimmed, inner runs of spaces collapse to one, and repeated
// headers are joined with ','. host comes from r.Host; content-length and
// transfer-encoding, which net/http may move out of r.Header, fall back to
// the request's fields.
func canonicalHeaders(r *http.Request, names []string) (block, list string) {
	var b strings.Builder
	for _, name := range names {
		b.WriteString(name)
		b.WriteByte(':')
		for i, v := range headerValues(r, name) {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strings.TrimSpace(collapseSpaces(v)))
		}
		b.WriteByte('\n')
	}
	return b.String(), strings.Join(names, ";")
}

// headerValues returns the values of the named header (lower-case) as the
// client sent them.
func headerValues(r *http.Request, name string) []string {
	switch name {
	case "host":
		return []string{r.Host}
	case "content-length":
		if vs := r.Header.Values("Content-Length"); len(vs) > 0 {
			return vs
		}
		if r.ContentLength >= 0 {
			return []string{strconv.FormatInt(r.ContentLength, 10)}
		}
	case "transfer-encoding":
		if vs := r.Header.Values("Transfer-Encoding"); len(vs) > 0 {
			return vs
		}
		return []string{strings.Join(r.TransferEncoding, ",")}
	}
	if vs, ok := r.Header[textproto.CanonicalMIMEHeaderKey(name)]; ok {
		return vs
	}
	// Requests built in code (not parsed by net/http) may use other spellings.
	for k, vs := range r.Header {
		if strings.EqualFold(k, name) {
			return vs
		}
	}
	return nil
}

// collapseSpaces replaces each run of spaces in s with a single space.
func collapseSpaces(s string) string {
	if !strings.Contains(s, "  ") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	prevSpace := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' && prevSpace {
			continue
		}
		prevSpace = c == ' '
		b.WriteByte(c)
	}
	return b.String()
}

// canonicalPrefixes returns every canonical request candidate without its
// final line, the payload hash: method, URI, query, headers, blank line,
// signed header list, each followed by '\n'. Duplicates are dropped.
func canonicalPrefixes(method string, uris, queries []string, headers, signed string) []string {
	var out []string
	for _, u := range uris {
		for _, q := range queries {
			p := method + "\n" + u + "\n" + q + "\n" + headers + "\n" + signed + "\n"
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}
