package sigv4

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// SigV2 presigned URL parameters, as boto3's generate_presigned_url writes
// them unless the client asks for signature_version "s3v4".
const (
	queryV2AccessKey = "AWSAccessKeyId"
	queryV2Signature = "Signature"
	queryV2Expires   = "Expires"
)

// sigV2SubResources are the query parameters that SigV2's
// CanonicalizedResource includes: S3's sub-resources and response overrides.
// It is the list of the S3 documentation with the later additions botocore
// signs; a client that signs a parameter missing here, or the other way
// round, gets ErrSignatureMismatch.
var sigV2SubResources = []string{
	"accelerate", "acl", "analytics", "cors", "defaultObjectAcl", "delete",
	"encryption", "intelligent-tiering", "inventory", "legal-hold", "lifecycle",
	"location", "logging", "metrics", "notification", "object-lock",
	"ownershipControls", "partNumber", "policy", "publicAccessBlock",
	"replication", "requestPayment", "response-cache-control",
	"response-content-disposition", "response-content-encoding",
	"response-content-language", "response-content-type", "response-expires",
	"restore", "retention", "select", "select-type", "storageClass", "tagging",
	"torrent", "uploadId", "uploads", "versionId", "versioning", "versions",
	"website",
}

// isSigV2Presigned reports whether the query carries SigV2 presigned URL
// parameters.
func isSigV2Presigned(ps []param) bool {
	for _, p := range ps {
		if p.key == queryV2AccessKey || p.key == queryV2Signature {
			return true
		}
	}
	return false
}

// sigV2Claim is what a SigV2 presigned URL asserts.
type sigV2Claim struct {
	accessKeyID string
	signature   []byte // 20 bytes of HMAC-SHA1
	expiresRaw  string // Expires as sent: it is signed as sent
	expires     time.Time
}

// verifySigV2 checks a SigV2 presigned URL (service "s3" only):
//
//	StringToSign = Method \n Content-MD5 \n Content-Type \n Expires \n
//	               CanonicalizedAmzHeaders CanonicalizedResource
//	Signature    = base64(HMAC-SHA1(secret, StringToSign))
//
// The checks follow Verify's order: parsing (ErrMalformed), expiry
// (ErrExpired), key (ErrUnknownAccessKey), signature (ErrSignatureMismatch).
func (v *Verifier) verifySigV2(r *http.Request, ps []param) (*Identity, error) {
	c, err := parseSigV2(ps)
	if err != nil {
		return nil, err
	}
	if err := v.checkSigV2Expiry(c); err != nil {
		return nil, err
	}
	secret, ok := v.Credentials.SecretKey(c.accessKeyID)
	if !ok {
		return nil, newError(ErrUnknownAccessKey, fmt.Sprintf("access key %q is not known", clip(c.accessKeyID)))
	}
	prefix := sigV2StringToSignPrefix(r, ps, c.expiresRaw)
	if !matchSigV2(secret, c.signature, prefix, r) {
		e := newError(ErrSignatureMismatch, "SigV2 signature does not match the request for access key "+clip(c.accessKeyID))
		e.StringToSign = prefix + sigV2Resources(r)[0]
		return nil, e
	}
	// An X-Amz-Content-Sha256 header would be among the signed x-amz-*
	// headers, and no client signs one into a SigV2 URL: the body is plain.
	return &Identity{AccessKeyID: c.accessKeyID, Service: "s3", Presigned: true, SigV2: true, PayloadHash: UnsignedPayload}, nil
}

// parseSigV2 reads the three SigV2 parameters, each exactly once.
func parseSigV2(ps []param) (sigV2Claim, error) {
	var c sigV2Claim
	vals := map[string]string{}
	for _, p := range ps {
		switch p.key {
		case queryV2AccessKey, queryV2Signature, queryV2Expires:
			if _, dup := vals[p.key]; dup {
				return c, newError(ErrMalformed, "presigned parameter "+p.key+" given twice")
			}
			vals[p.key] = p.value
		}
	}
	for _, k := range []string{queryV2AccessKey, queryV2Signature, queryV2Expires} {
		if vals[k] == "" {
			return c, newError(ErrMalformed, "SigV2 presigned URL lacks "+k)
		}
	}
	c.accessKeyID, c.expiresRaw = vals[queryV2AccessKey], vals[queryV2Expires]
	// A '+' sent unescaped arrives as a space; base64 has no spaces.
	sig, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(vals[queryV2Signature], " ", "+"))
	if err != nil || len(sig) != sha1.Size {
		return c, newError(ErrMalformed, "SigV2 Signature is not base64 of 20 bytes")
	}
	c.signature = sig
	n, err := strconv.ParseInt(c.expiresRaw, 10, 64)
	if err != nil || n < 0 || strings.TrimLeft(c.expiresRaw, "0123456789") != "" {
		return c, newError(ErrMalformed, fmt.Sprintf("Expires %q is not a Unix time in seconds", clip(c.expiresRaw)))
	}
	c.expires = time.Unix(n, 0)
	return c, nil
}

// checkSigV2Expiry refuses an expired URL and one that expires more than
// MaxExpires from now (SigV2 URLs carry no signing time, so that is the only
// bound on how long they live).
func (v *Verifier) checkSigV2Expiry(c sigV2Claim) error {
	now := v.now()
	if now.After(c.expires) {
		return newError(ErrExpired, "presigned URL expired at "+c.expires.UTC().Format(amzDateFormat))
	}
	if c.expires.Sub(now) > v.maxExpires() {
		return newError(ErrExpired, fmt.Sprintf("presigned URL expires %s, more than %s from now",
			c.expires.UTC().Format(amzDateFormat), v.maxExpires()))
	}
	return nil
}

// matchSigV2 reports whether want is the signature of prefix followed by one
// of the request's candidate resources, comparing in constant time.
func matchSigV2(secret string, want []byte, prefix string, r *http.Request) bool {
	for _, res := range sigV2Resources(r) {
		m := hmac.New(sha1.New, []byte(secret))
		m.Write([]byte(prefix + res))
		if hmac.Equal(m.Sum(nil), want) {
			return true
		}
	}
	return false
}

// sigV2StringToSignPrefix rebuilds the SigV2 string to sign of a presigned
// URL up to CanonicalizedResource. Content-MD5, Content-Type and x-amz-*
// values come from the request's headers; for a name with no header, from a
// query parameter of that (lower-case) name, where boto3 puts the values it
// signed because a URL cannot carry headers.
func sigV2StringToSignPrefix(r *http.Request, ps []param, expires string) string {
	var b strings.Builder
	b.WriteString(r.Method + "\n")
	for _, name := range []string{"content-md5", "content-type"} {
		b.WriteString(headerOrQuery(r, ps, name) + "\n")
	}
	b.WriteString(expires + "\n")
	b.WriteString(sigV2AmzHeaders(r, ps))
	return b.String()
}

// headerOrQuery returns the named header's value, trimmed, or if there is no
// such header the value of the query parameter with the lower-case name.
func headerOrQuery(r *http.Request, ps []param, name string) string {
	if vs := r.Header.Values(name); len(vs) > 0 {
		return strings.TrimSpace(vs[0])
	}
	for _, p := range ps {
		if p.key == name {
			return strings.TrimSpace(p.value)
		}
	}
	return ""
}

// sigV2AmzHeaders returns CanonicalizedAmzHeaders: every x-amz-* header,
// lower-case, values trimmed and joined with ',', sorted by name, each line
// ending in "\n". Query parameters named x-amz-* count for names that no
// header has.
func sigV2AmzHeaders(r *http.Request, ps []param) string {
	vals := map[string][]string{}
	for k, vs := range r.Header {
		if lk := strings.ToLower(k); strings.HasPrefix(lk, "x-amz-") {
			vals[lk] = append(vals[lk], vs...)
		}
	}
	fromQuery := map[string][]string{}
	for _, p := range ps {
		if lk := strings.ToLower(p.key); strings.HasPrefix(lk, "x-amz-") && vals[lk] == nil {
			fromQuery[lk] = append(fromQuery[lk], p.value)
		}
	}
	for k, vs := range fromQuery {
		vals[k] = vs
	}
	names := make([]string, 0, len(vals))
	for k := range vals {
		names = append(names, k)
	}
	slices.Sort(names)
	var b strings.Builder
	for _, k := range names {
		for i, v := range vals[k] {
			vals[k][i] = strings.TrimSpace(v)
		}
		b.WriteString(k + ":" + strings.Join(vals[k], ",") + "\n")
	}
	return b.String()
}

// sigV2Resources returns the CanonicalizedResource candidates of a
// path-style request, best first: the path as sent, then the sub-resource
// parameters sorted by name (keeping the sent order among equal names),
// values decoded, "?name" for a parameter without '=' and "?name=value"
// otherwise. A path naming only a bucket, "/bucket", has a second candidate
// "/bucket/", which is what botocore signs for bucket requests; both address
// the same bucket. Virtual-hosted requests, whose resource starts with the
// bucket named in Host, are not supported.
func sigV2Resources(r *http.Request) []string {
	subs := sigV2SubResourceString(r.URL.RawQuery)
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	if strings.Count(path, "/") == 1 && len(path) > 1 {
		return []string{path + subs, path + "/" + subs}
	}
	return []string{path + subs}
}

// sigV2SubResourceString returns the sub-resource part of
// CanonicalizedResource for the raw query: "" or "?k=v&k2...".
func sigV2SubResourceString(rawQuery string) string {
	type sub struct{ key, text string }
	var subs []sub
	for part := range strings.SplitSeq(rawQuery, "&") {
		key, val, hasEq := strings.Cut(part, "=")
		if !slices.Contains(sigV2SubResources, key) {
			continue
		}
		text := key
		if hasEq {
			if dec, err := url.PathUnescape(val); err == nil {
				val = dec
			}
			text += "=" + val
		}
		subs = append(subs, sub{key, text})
	}
	slices.SortStableFunc(subs, func(a, b sub) int { return strings.Compare(a.key, b.key) })
	var b strings.Builder
	for i, s := range subs {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(s.text)
	}
	return b.String()
}
