package sigv4

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Credentials looks up secret keys. Implementations must be safe for
// concurrent use.
type Credentials interface {
	// SecretKey returns the secret for an access key ID, and false if the key is unknown.
	SecretKey(accessKeyID string) (secret string, ok bool)
}

// StaticCredentials is a fixed set of keys: access key ID → secret key.
type StaticCredentials map[string]string

// SecretKey returns the secret stored for accessKeyID.
func (c StaticCredentials) SecretKey(accessKeyID string) (string, bool) {
	s, ok := c[accessKeyID]
	return s, ok
}

// Default limits, used when the Verifier's fields are zero.
const (
	// DefaultMaxSkew is how far X-Amz-Date of a header-signed request may be
	// from the server's clock, as in S3.
	DefaultMaxSkew = 15 * time.Minute
	// DefaultMaxExpires is the longest X-Amz-Expires a presigned URL may carry,
	// as in S3.
	DefaultMaxExpires = 7 * 24 * time.Hour
)

// Verifier checks SigV4 signatures for one service. Set its fields before
// the first call to Verify and do not change or copy it afterwards; Verify is
// safe for concurrent use.
type Verifier struct {
	// Service is the service name the credential scope must carry, "jcs" or
	// "s3". Required. It also selects the canonical URI rule: "s3" encodes the
	// path once, any other service twice.
	Service string
	// Region is the region the credential scope must carry; "" accepts any.
	Region string
	// Credentials resolves access key IDs to secrets. Required.
	Credentials Credentials
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// MaxSkew bounds the difference between a header-signed request's
	// X-Amz-Date and Now (ErrSkew), and how far in the future a presigned
	// URL may be dated (ErrExpired). Zero means DefaultMaxSkew.
	MaxSkew time.Duration
	// MaxExpires caps a presigned URL's X-Amz-Expires (ErrExpired). Zero
	// means DefaultMaxExpires.
	MaxExpires time.Duration

	keys keyCache
}

// Identity describes who signed a request and how. Verify returns it.
type Identity struct {
	// AccessKeyID is the access key that signed the request.
	AccessKeyID string
	// Region and Service are the credential scope's region and service.
	Region, Service string
	// SignedAt is the request's X-Amz-Date.
	SignedAt time.Time
	// Presigned is true for query-string (presigned URL) authentication.
	Presigned bool
	// SigV2 is true for an S3 SigV2 presigned URL (AWSAccessKeyId, Signature,
	// Expires in the query). Such an identity has no Region, SignedAt, Scope
	// or Signature: SigV2 carries none of them.
	SigV2 bool
	// PayloadHash is the X-Amz-Content-Sha256 header as declared: a hex
	// SHA-256, UnsignedPayload or, for s3, one of the three STREAMING forms.
	// It is UnsignedPayload for presigned URLs, unless they declare
	// StreamingUnsignedPayloadTrailer, and "" when the client declared
	// nothing. A STREAMING form (see Streaming) means the body is
	// aws-chunked: Verify has checked the seed signature only, r.Body is left
	// as it was, and the caller must read it through ChunkedBody, which checks
	// the chunk and trailer signatures.
	PayloadHash string
	// PayloadSigned is true when the signature covers the body, so that reading
	// r.Body to io.EOF without error proves the body is what the client signed.
	// It is false for UNSIGNED-PAYLOAD, presigned URLs, STREAMING payloads,
	// and requests that signed the empty-body hash but carry a body, which is
	// what curl 7.88 does for -F and -T uploads. (For StreamingPayload and
	// StreamingPayloadTrailer, reading the ChunkedReader, not r.Body, to
	// io.EOF proves the body.)
	PayloadSigned bool
	// Pending is true when the signature itself, not only the payload, is
	// unproven until r.Body has been read to io.EOF: the client declared no
	// payload hash and signed a non-empty body's. A caller should reveal
	// nothing about the resources a pending request names before then.
	Pending bool
	// Scope is the credential scope, "yyyymmdd/region/service/aws4_request".
	Scope string
	// Signature is the request's hex signature: the seed signature that the
	// first chunk of an aws-chunked body chains from.
	Signature string

	signingKey []byte // for chunk signatures; never exposed
	unverified bool   // from UnverifiedChunkedBody: chunk signatures are parsed, not checked
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

func (v *Verifier) maxSkew() time.Duration {
	if v.MaxSkew > 0 {
		return v.MaxSkew
	}
	return DefaultMaxSkew
}

func (v *Verifier) maxExpires() time.Duration {
	if v.MaxExpires > 0 {
		return v.MaxExpires
	}
	return DefaultMaxExpires
}

// Verify checks the SigV4 signature of r, carried either in the
// Authorization header or in presigned query parameters, and returns who
// signed it. Every failure is an *Error wrapping one of the ErrXxx sentinels.
//
// The body: when the client declares a hex SHA-256 in X-Amz-Content-Sha256,
// Verify replaces r.Body with a reader that returns an error wrapping
// ErrPayloadMismatch instead of io.EOF if the body differs. When the client
// declares nothing and signed the hash of a non-empty body (curl does this),
// the signature cannot be checked until the body has been read: Verify
// returns the Identity and replaces r.Body with a reader that returns an
// error wrapping ErrSignatureMismatch instead of io.EOF if the check fails.
// Either way the caller must read r.Body to io.EOF before it commits
// anything, and must treat any other error from Read as fatal.
// UNSIGNED-PAYLOAD and presigned URLs skip payload checks; see
// Identity.PayloadSigned. For "s3", the three aws-chunked forms are accepted
// and r.Body is left for ChunkedBody to decode; see Identity.Streaming.
//
// For the "s3" service only, Verify also accepts SigV2 presigned URLs
// (AWSAccessKeyId, Signature and Expires in the query, what boto3's
// generate_presigned_url makes by default) for path-style requests: expired
// URLs and URLs expiring more than MaxExpires from now are ErrExpired; the
// Identity has SigV2 and Presigned set.
func (v *Verifier) Verify(r *http.Request) (*Identity, error) {
	if v.Service == "" || v.Credentials == nil {
		return nil, errors.New("sigv4: Verifier needs Service and Credentials")
	}
	ps, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, err
	}
	if v.Service == "s3" && !isPresigned(ps) && isSigV2Presigned(ps) && len(r.Header.Values(headerAuthorization)) == 0 {
		return v.verifySigV2(r, ps)
	}
	c, err := v.readClaim(r, ps)
	if err != nil {
		return nil, err
	}
	if err := v.checkScope(c); err != nil {
		return nil, err
	}
	if err := v.checkTime(c); err != nil {
		return nil, err
	}
	secret, ok := v.Credentials.SecretKey(c.cred.accessKeyID)
	if !ok {
		return nil, newError(ErrUnknownAccessKey, fmt.Sprintf("access key %q is not known", clip(c.cred.accessKeyID)))
	}
	key := v.keys.get(secret, c.cred.date, c.cred.region, c.cred.service)
	headers, list := canonicalHeaders(r, c.signedHeaders)
	prefixes := canonicalPrefixes(r.Method, canonicalURIs(r, v.Service), canonicalQueries(r, ps, c.presigned), headers, list)
	id := &Identity{
		AccessKeyID: c.cred.accessKeyID,
		Region:      c.cred.region,
		Service:     c.cred.service,
		SignedAt:    c.signedAt,
		Presigned:   c.presigned,
		Scope:       c.cred.scope(),
		Signature:   hex.EncodeToString(c.signature),
		signingKey:  key,
	}
	if err := v.checkSignature(r, c, key, prefixes, id); err != nil {
		return nil, err
	}
	return id, nil
}

// readClaim finds and parses the request's authentication data.
func (v *Verifier) readClaim(r *http.Request, ps []param) (*claim, error) {
	auth := r.Header.Values(headerAuthorization)
	presigned := isPresigned(ps)
	switch {
	case len(auth) == 0 && !presigned:
		return nil, newError(ErrMissingAuth, "no Authorization header and no presigned query parameters")
	case len(auth) > 0 && presigned:
		return nil, newError(ErrMalformed, "both an Authorization header and presigned query parameters")
	case presigned:
		c, err := parsePresigned(ps, v.maxExpires())
		return &c, err
	case len(auth) > 1:
		return nil, newError(ErrMalformed, "more than one Authorization header")
	}
	a, err := parseAuthorization(auth[0])
	if err != nil {
		return nil, err
	}
	dates := r.Header.Values(headerAmzDate)
	if len(dates) != 1 {
		return nil, newError(ErrMalformed, "request needs exactly one X-Amz-Date header")
	}
	c := &claim{cred: a.cred, signedHeaders: a.signedHeaders, signature: a.signature, amzDate: dates[0]}
	if c.signedAt, err = parseAmzDate(c.amzDate); err != nil {
		return nil, err
	}
	return c, nil
}

// checkScope matches the credential scope against the verifier and X-Amz-Date.
func (v *Verifier) checkScope(c *claim) error {
	switch {
	case c.cred.service != v.Service:
		return newError(ErrScope, fmt.Sprintf("credential scope names service %q, want %q", clip(c.cred.service), v.Service))
	case v.Region != "" && c.cred.region != v.Region:
		return newError(ErrScope, fmt.Sprintf("credential scope names region %q, want %q", clip(c.cred.region), v.Region))
	case c.cred.date != c.amzDate[:len(scopeDateFmt)]:
		return newError(ErrScope, fmt.Sprintf("credential scope date %s differs from X-Amz-Date %s", c.cred.date, c.amzDate))
	}
	return nil
}

// checkTime enforces MaxSkew for header-signed requests and the validity
// window of presigned URLs.
func (v *Verifier) checkTime(c *claim) error {
	now, skew := v.now(), v.maxSkew()
	if c.presigned {
		if c.signedAt.Sub(now) > skew {
			return newError(ErrExpired, "presigned URL is dated "+c.amzDate+", in the future")
		}
		if end := c.signedAt.Add(c.expires); now.After(end) {
			return newError(ErrExpired, "presigned URL expired at "+end.UTC().Format(amzDateFormat))
		}
		return nil
	}
	if d := now.Sub(c.signedAt); d > skew || d < -skew {
		return newError(ErrSkew, fmt.Sprintf("X-Amz-Date %s is %s away from the server time %s",
			c.amzDate, d.Abs().Round(time.Second), now.UTC().Format(amzDateFormat)))
	}
	return nil
}

// checkSignature checks the signature against the candidate canonical
// requests and, depending on how the payload was declared, installs the body
// reader that finishes the check at EOF. It fills id's payload fields.
func (v *Verifier) checkSignature(r *http.Request, c *claim, key []byte, prefixes []string, id *Identity) error {
	amz, scope := c.amzDate, c.cred.scope()
	declared, err := v.declaredPayload(r, c)
	if err != nil {
		return err
	}
	id.PayloadHash = declared
	if declared != "" {
		line := declared // the canonical request's last line
		if c.presigned {
			line = UnsignedPayload
		}
		if match(key, c.signature, amz, scope, prefixes, line) < 0 {
			return mismatch(c.cred.accessKeyID, amz, scope, prefixes[0], line)
		}
		if isHexSHA256(declared) {
			r.Body = newCheckedBody(r.Body, declaredHashCheck(declared))
			id.PayloadSigned = true
		}
		return nil
	}
	// Undeclared: the client signed some body hash. Try the empty body's
	// first, which needs no reading; curl 7.88 also signs it for -F and -T
	// uploads, whose bodies therefore go unsigned.
	if match(key, c.signature, amz, scope, prefixes, emptySHA256) >= 0 {
		id.PayloadSigned = bodyIsEmpty(r)
		return nil
	}
	// JCS's own clients sign uploads with an empty string as the payload hash, their "no body
	// hash" variant; it authenticates what UNSIGNED-PAYLOAD does, and no more.
	if v.Service != "s3" && match(key, c.signature, amz, scope, prefixes, "") >= 0 {
		return nil
	}
	if bodyIsEmpty(r) {
		return mismatch(c.cred.accessKeyID, amz, scope, prefixes[0], emptySHA256)
	}
	r.Body = newCheckedBody(r.Body, deferredSignatureCheck(key, c.signature, c, prefixes))
	id.PayloadSigned = true
	id.Pending = true
	return nil
}

// declaredPayload returns the payload hash the client declared, "" if none.
// For "s3" that may be one of the three aws-chunked forms. Presigned URLs
// sign UNSIGNED-PAYLOAD; one may still declare an unsigned aws-chunked body
// (STREAMING-UNSIGNED-PAYLOAD-TRAILER), which then needs decoding but carries
// nothing that needs a key. The signed forms chain from a seed signature
// that only header authentication has, so a presigned URL declaring one is
// refused rather than have its framing taken for data.
func (v *Verifier) declaredPayload(r *http.Request, c *claim) (string, error) {
	d := strings.TrimSpace(r.Header.Get(headerContentSHA256))
	if c.presigned {
		switch {
		case d == StreamingUnsignedPayloadTrailer && v.Service == "s3":
			return d, nil
		case isStreaming(d):
			return "", newError(ErrMalformed, fmt.Sprintf("X-Amz-Content-Sha256 %s needs header authentication, not a presigned URL", d))
		}
		return UnsignedPayload, nil
	}
	switch {
	case d == "", d == UnsignedPayload, isHexSHA256(d):
		return d, nil
	case isStreaming(d) && v.Service == "s3":
		return d, nil
	}
	return "", newError(ErrMalformed, fmt.Sprintf("X-Amz-Content-Sha256 %q is not a hex SHA-256, UNSIGNED-PAYLOAD or, for s3, an aws-chunked form", clip(d)))
}
