package engine

import (
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// UserID identifies a user. The root user, who owns everything created without a caller
// identity, is RootUserID.
type UserID uint64

// RootUserID is the user the server's root credentials sign in as.
const RootUserID UserID = 1

// BucketID identifies a bucket. IDs start at 1; 0 means "none".
type BucketID uint64

// PackageID identifies a package. IDs start at 1; 0 means "none".
type PackageID uint64

// ObjectID identifies an object. It stays the same when the object is replaced by a new
// upload to its path or moved. IDs start at 1; 0 means "none".
type ObjectID uint64

// SpaceID identifies a user space. IDs start at 1; 0 means "none".
type SpaceID uint64

// BlobID identifies one erasure-coded or replicated body of bytes stored as shard files on
// user spaces. Objects refer to blobs; several objects may share one (clones). It is random,
// so shard names never collide across processes or restarts.
type BlobID [16]byte

// String returns the ID in lower-case hex, as shard names spell it.
func (b BlobID) String() string { return hex.EncodeToString(b[:]) }

// Bucket is the top-level container of packages.
type Bucket struct {
	ID         BucketID
	Name       string
	Owner      UserID
	CreateTime time.Time
}

// Package groups objects within a bucket; it is the unit of import and export.
type Package struct {
	ID         PackageID
	BucketID   BucketID
	Name       string
	CreateTime time.Time
}

// RedundancyType names how an object's bytes are protected.
type RedundancyType string

// The redundancy types, spelled as the /v1 API spells them.
const (
	RedundancyNone      RedundancyType = "none"            // no bytes stored (empty object) or a single copy
	RedundancyRep       RedundancyType = "rep"             // RepCount full copies on distinct spaces
	RedundancyEC        RedundancyType = "ec"              // Reed-Solomon: K data + N-K parity shards
	RedundancyMultipart RedundancyType = "multipartUpload" // parts are still arriving
)

// Redundancy describes what an object really uses: the parameters its bytes were written
// with, not a policy it might be moved to.
type Redundancy struct {
	Type      RedundancyType
	RepCount  int // rep only
	K, N      int // ec only; N counts data and parity shards
	ChunkSize int // ec only, in bytes
}

// String returns a short form for logs and tests: rep(3), ec(4,6,1048576), none.
func (r Redundancy) String() string {
	switch r.Type {
	case RedundancyRep:
		return fmt.Sprintf("rep(%d)", r.RepCount)
	case RedundancyEC:
		return fmt.Sprintf("ec(%d,%d,%d)", r.K, r.N, r.ChunkSize)
	}
	return string(r.Type)
}

// Object is a named body of bytes within a package.
type Object struct {
	ID         ObjectID
	PackageID  PackageID
	Path       string
	Size       int64
	SHA256     [32]byte // of the whole content; zero while a multipart upload is in progress
	Redundancy Redundancy
	CreateTime time.Time // when the path was first written; kept across replacements
	UpdateTime time.Time // when the content or path last changed
	// Segments are the blobs that hold the content, in order: one for an upload, one per
	// listed part for a completed multipart upload, none for an empty object.
	Segments []Segment
	// ETag is S3's entity tag, without quotes: the hex MD5 of the content, or for an S3
	// multipart upload the hex MD5 of the parts' MD5s, "-" and the number of parts.
	ETag string
	// Attrs are what the writer said about the content.
	Attrs Attributes
	// Tags are the object's S3 tags; nil for none.
	Tags map[string]string
	// Checksum is the S3 flexible checksum the writer declared and the front end verified;
	// zero if none.
	Checksum Checksum
}

// Attributes describe an object's content besides its bytes. The engine stores and returns
// them verbatim; front ends decide which headers they come from.
type Attributes struct {
	ContentType        string
	ContentEncoding    string
	ContentDisposition string
	ContentLanguage    string
	CacheControl       string
	Expires            string
	// Meta is user metadata; nil for none.
	Meta map[string]string
}

// Checksum is an S3 flexible checksum: an algorithm name ("CRC32", "SHA256", ...), its value as
// S3 spells it (base64, with "-N" for a composite of N parts), and its type ("FULL_OBJECT" or
// "COMPOSITE"). The zero Checksum means none.
type Checksum struct {
	Algorithm string
	Value     string
	Type      string
}

// Segment is a run of an object's bytes held by one blob.
type Segment struct {
	Blob BlobID
	Size int64
}

// FileHash returns the /v1 fileHash of the object: "Full" and the upper-case hex SHA-256 of
// its content.
func (o *Object) FileHash() string {
	return "Full" + strings.ToUpper(hex.EncodeToString(o.SHA256[:]))
}

// InProgress reports whether the object is a multipart upload that has not been completed.
func (o *Object) InProgress() bool { return o.Redundancy.Type == RedundancyMultipart }
