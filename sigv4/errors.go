package sigv4

import "errors"

// Sentinel errors. Verify and the body readers it installs return them wrapped
// in an *Error that adds detail; match them with errors.Is. Front ends map each
// one to their own status and code (401 or 403 is their business). No message
// ever contains a secret key or a computed signature.
var (
	// ErrMissingAuth reports a request with neither an Authorization header nor
	// presigned query parameters.
	ErrMissingAuth = errors.New("sigv4: missing authentication")

	// ErrMalformed reports authentication data that cannot be parsed or is
	// incomplete: an unsupported algorithm, a bad credential, date, signed
	// header list or signature, a missing X-Amz-Date, an unsigned host header,
	// or both header and query authentication on one request.
	ErrMalformed = errors.New("sigv4: malformed authentication")

	// ErrUnknownAccessKey reports an access key ID that Credentials does not know.
	ErrUnknownAccessKey = errors.New("sigv4: unknown access key")

	// ErrSignatureMismatch reports a signature that does not match the request.
	// When the client did not declare its payload hash, it is returned by the
	// request body's Read at EOF rather than by Verify.
	ErrSignatureMismatch = errors.New("sigv4: signature mismatch")

	// ErrPayloadMismatch reports a body whose SHA-256 differs from the hash the
	// client declared in X-Amz-Content-Sha256. The request body's Read returns
	// it at EOF.
	ErrPayloadMismatch = errors.New("sigv4: payload hash mismatch")

	// ErrExpired reports a presigned URL used after its expiry, with an expiry
	// longer than Verifier.MaxExpires, or dated in the future beyond
	// Verifier.MaxSkew.
	ErrExpired = errors.New("sigv4: request expired")

	// ErrSkew reports a header-signed request whose X-Amz-Date is more than
	// Verifier.MaxSkew away from the server's clock (S3's RequestTimeTooSkewed).
	ErrSkew = errors.New("sigv4: request time too skewed")

	// ErrScope reports a credential scope whose service, region or date does
	// not match the verifier or the request's X-Amz-Date.
	ErrScope = errors.New("sigv4: credential scope mismatch")
)

// Error is the error type Verify returns. Err is always one of the ErrXxx
// sentinels; Detail says what was wrong and is safe to log and to show to the
// client.
type Error struct {
	// Err is the sentinel this error wraps.
	Err error
	// Detail describes the failure without secrets or computed signatures.
	Detail string
	// CanonicalRequest and StringToSign are set for ErrSignatureMismatch only:
	// what the server signed, for the client to compare with its own (S3 puts
	// both in its SignatureDoesNotMatch error document). Error omits them so
	// that they stay out of logs.
	CanonicalRequest, StringToSign string
}

// Error returns the sentinel's message followed by the detail.
func (e *Error) Error() string {
	if e.Detail == "" {
		return e.Err.Error()
	}
	return e.Err.Error() + ": " + e.Detail
}

// Unwrap returns the sentinel, so errors.Is(err, ErrXxx) works.
func (e *Error) Unwrap() error { return e.Err }

// newError returns an *Error wrapping the sentinel kind.
func newError(kind error, detail string) *Error {
	return &Error{Err: kind, Detail: detail}
}

// clip shortens client-supplied text before it goes into an error message, so
// that a huge header cannot blow up logs.
func clip(s string) string {
	const limit = 64
	if len(s) <= limit {
		return s
	}
	return s[:limit] + "..."
}
