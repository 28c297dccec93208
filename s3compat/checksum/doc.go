// Package checksum implements S3's upload integrity checks: Content-MD5 and
// the flexible checksums (CRC32, CRC32C, CRC64NVME, SHA1, SHA256), as
// request headers or aws-chunked trailers, and the checksums S3 reports for
// multipart uploads.
//
// # Values
//
// A checksum value on the wire is the standard base64 (with padding) of the
// big-endian digest: 4 bytes for CRC32 and CRC32C, 8 for CRC64NVME, 20 for
// SHA1, 32 for SHA256, 16 for Content-MD5. Encode and Algorithm.Decode
// convert; Decode refuses any other length.
//
// # Checking an upload
//
// ParseHeader reads what a PutObject or UploadPart request declares:
// Content-MD5, at most one x-amz-checksum-<alg> header or an x-amz-trailer
// naming one (never both, never two algorithms), and
// x-amz-sdk-checksum-algorithm, which must name the same algorithm. A
// Reader then hashes the body once, MD5 (the ETag) and the declared
// algorithm together, and when the body ends compares them with the
// declaration, fetching a trailer's value only then; it returns io.EOF only
// if everything matches. A caller must therefore read to io.EOF, and treat
// any other error as fatal, before it commits.
//
// # Errors
//
// Every failure is an *Error wrapping one of four sentinels, each matching one
// S3 error code, and carrying S3's message for the client:
//
//	ErrInvalidMD5   InvalidDigest   Content-MD5 is not base64 of 16 bytes
//	ErrMD5Mismatch  BadDigest       the body's MD5 differs from Content-MD5
//	ErrInvalid      InvalidRequest  malformed or conflicting checksum declarations
//	ErrMismatch     BadDigest       the body's checksum differs from the declared one
//
// # Multipart uploads
//
// S3 reports a completed multipart upload's checksum in one of two types.
// COMPOSITE (CRC32, CRC32C, SHA1, SHA256) is the algorithm applied to the
// concatenated raw part checksums, then "-" and the part count.
// FULL_OBJECT (CRC32, CRC32C, CRC64NVME) is the checksum of the whole object,
// which for CRCs follows from the parts' CRCs and sizes without reading the
// data again (the zlib crc32_combine method). Multipart computes both.
package checksum
