// Package sigv4 verifies AWS Signature Version 4 on incoming HTTP requests,
// for the native JSON API (service "jcs", any region) and the S3 API
// (service "s3"), decodes the S3 aws-chunked upload bodies that SigV4 signs
// chunk by chunk, and, for S3, checks SigV2 presigned URLs.
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
//   - UNSIGNED-PAYLOAD and presigned URLs are not checked;
//     Identity.PayloadSigned reports false.
//   - For s3, the three aws-chunked forms (below) leave r.Body alone:
//     Identity.Streaming reports true and the caller decodes the body with
//     ChunkedBody.
//
// So a caller must read r.Body (or the ChunkedReader) to io.EOF, and treat
// every other Read error as fatal, before it commits anything the request
// asked for.
//
// # aws-chunked bodies
//
// S3 clients stream uploads as Content-Encoding: aws-chunked, declaring in
// X-Amz-Content-Sha256 one of:
//
//   - StreamingPayload: chunks "hex(size);chunk-signature=<sig>\r\n<data>\r\n",
//     ending with an empty chunk and "\r\n". Each signature is
//     HMAC(signing key, "AWS4-HMAC-SHA256-PAYLOAD\n" + X-Amz-Date + "\n" +
//     scope + "\n" + previous signature + "\n" + hex(sha256("")) + "\n" +
//     hex(sha256(data))), the first chained from the request's signature.
//   - StreamingPayloadTrailer: the same, but after the empty chunk come the
//     trailer lines declared in X-Amz-Trailer ("x-amz-checksum-crc32:<b64>\r\n"),
//     then "x-amz-trailer-signature:<sig>\r\n\r\n", where the signature is
//     HMAC(signing key, "AWS4-HMAC-SHA256-TRAILER\n" + X-Amz-Date + "\n" +
//     scope + "\n" + last chunk signature + "\n" + hex(sha256(trailer lines,
//     each ending in "\n"))).
//   - StreamingUnsignedPayloadTrailer: chunks "hex(size)\r\n<data>\r\n" without
//     signatures, "0\r\n", the trailer lines and "\r\n". This is what boto3,
//     the aws cli v2 and the Go and JS SDKs send over HTTPS; a presigned URL
//     may declare it too.
//
// A ChunkedReader decodes all three while the bytes pass, with memory bounded
// by a small buffer, and checks every signature, the framing (CRLFs, hex
// sizes, line lengths, nothing after the end), X-Amz-Decoded-Content-Length
// and the declared trailers; it returns io.EOF only when all of that holds.
// Checking the trailer's checksum against the data is the caller's job
// (package s3compat/checksum): this package only delivers the trailer.
//
// # SigV2 presigned URLs
//
// boto3's generate_presigned_url still makes SigV2 URLs by default
// (?AWSAccessKeyId=..&Signature=..&Expires=..). For "s3" only, Verify checks
// them: base64(HMAC-SHA1(secret, method + "\n" + Content-MD5 + "\n" +
// Content-Type + "\n" + Expires + "\n" + x-amz-* headers + resource)), where
// the values come from the request's headers or, failing those, from query
// parameters of the same name (boto3 moves them there), and the resource is
// the path as sent plus the S3 sub-resource parameters. Only path-style
// requests are supported. Expires must lie in the future but no further than
// MaxExpires; the Identity has SigV2 set and no scope or signing time, and
// the body is unsigned.
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
