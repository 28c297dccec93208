// Package sigv4 verifies AWS Signature Version 4 on incoming HTTP requests,
// for the native JSON API (service "jcs", any region) and the S3 API
// (service "s3").
//
// # What is verified
//
// A Verifier accepts the two SigV4 forms: an Authorization header
// ("AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...") with
// an X-Amz-Date header, and presigned URLs (X-Amz-Algorithm, X-Amz-Credential,
// X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders, X-Amz-Signature in the
// query). It checks, in this order:
//
//   - the authentication data parses, and the host header is signed (ErrMalformed);
//   - the credential scope names the verifier's service and, if set, region,
//     and its date is X-Amz-Date's date (ErrScope);
//   - X-Amz-Date is within MaxSkew of the clock (ErrSkew), or the presigned URL
//     is inside its validity window of at most MaxExpires (ErrExpired);
//   - the access key is known (ErrUnknownAccessKey);
//   - the signature matches the canonical request (ErrSignatureMismatch),
//     compared in constant time;
//   - the body matches the signed payload hash (ErrPayloadMismatch or
//     ErrSignatureMismatch, at EOF; see below).
//
// # Canonical request
//
// The server rebuilds the canonical request from the request it received.
// Clients disagree on a few details, so Verify accepts any of a small set of
// candidates, each a deterministic function of the request's own bytes, so
// that no signature covers a request other than the one signed:
//
//   - URI: for "s3" the decoded path encoded once; for other services the
//     path as sent encoded again ("twice", as the AWS SDKs do); and the path
//     exactly as sent, which curl 7.88 signs (for services other than "s3"
//     only if it holds no "%25", which would let it pose as another path's
//     double encoding). Dot segments are not normalised.
//   - Query: parameters URI-encoded (RFC 3986 unreserved characters kept,
//     space as %20) and sorted by key, then value; and, for header
//     authentication, the raw query exactly as sent, which curl 7.88 signs
//     without sorting or encoding. Presigned URLs leave X-Amz-Signature out.
//   - Headers: the signed ones, in the client's order, values trimmed with
//     runs of spaces collapsed and repeated headers joined with ','; host is
//     r.Host.
//
// # The body is checked at EOF
//
// The payload hash is the last line of the canonical request, so the body is
// part of what is signed, but Verify cannot read the body without buffering
// it. Instead:
//
//   - X-Amz-Content-Sha256 holds a hex SHA-256: Verify checks the signature
//     over that value now and wraps r.Body so that, at EOF, Read returns an
//     error wrapping ErrPayloadMismatch instead of io.EOF if the body's hash
//     differs.
//   - No X-Amz-Content-Sha256 (curl for services other than S3, or a bare SDK
//     signer): the client signed the body's real hash. Verify tries the empty
//     body's hash first; otherwise it returns the Identity and wraps r.Body so
//     that, at EOF, Read completes the signature check and returns an error
//     wrapping ErrSignatureMismatch instead of io.EOF if it fails.
//   - UNSIGNED-PAYLOAD, presigned URLs and (for s3) STREAMING- payloads are
//     not checked; Identity.PayloadSigned reports false.
//
// So a caller must read r.Body to io.EOF, and treat every other Read error as
// fatal, before it commits anything the request asked for.
//
// JCS's own clients sign uploads with an empty string as the payload hash; for
// services other than "s3" that is accepted like UNSIGNED-PAYLOAD.
//
// curl 7.88 signs the empty body's hash for -F (multipart) and -T uploads
// although it sends a body. Verify accepts such requests, since the method,
// path, query and signed headers are still authenticated, and reports
// Identity.PayloadSigned false; a caller that needs body integrity can refuse
// them.
package sigv4
