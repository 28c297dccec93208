package kv

import (
	"encoding/binary"
	"fmt"
)

// Prefix is the first byte of every key and names the kind of record it
// holds. Values are stable on-disk IDs, never reused, even once retired.
type Prefix byte

// The key registry: every key prefix, declared only here. The switch in
// Prefix.String fails to compile if two share a value. "u64"/"u32" are
// fixed-width big-endian, "16 bytes" is raw, a string is raw and always last.
const (
	// PrefixMeta holds store metadata: meta/<name>; "schema" is the schema version. Since v1.
	PrefixMeta Prefix = 0x01
	// PrefixSequence holds Sequence counters: sequence/<name> -> highest ID leased. Since v1.
	PrefixSequence Prefix = 0x02

	// PrefixBucket holds bucket records: bucket/<bucketID u64>. Since v1.
	PrefixBucket Prefix = 0x10
	// PrefixBucketName indexes buckets: bucketName/<name> -> bucketID. Since v1.
	PrefixBucketName Prefix = 0x11

	// PrefixPackage holds package records: package/<packageID u64>. Since v1.
	PrefixPackage Prefix = 0x20
	// PrefixPackageName indexes packages: packageName/<bucketID u64>/<name> -> packageID. Since v1.
	PrefixPackageName Prefix = 0x21

	// PrefixObject holds object records, paths sorted for listing:
	// object/<packageID u64>/<path>. Since v1.
	PrefixObject Prefix = 0x30
	// PrefixObjectID indexes objects: objectID/<objectID u64> -> packageID + path. Since v1.
	PrefixObjectID Prefix = 0x31
	// PrefixObjectKey indexes completed objects by S3 key, in key order for S3 listings:
	// objectKey/<bucketID u64>/<key> -> packageID. Since v1.
	PrefixObjectKey Prefix = 0x32

	// PrefixBlob holds blob layouts and reference counts: blob/<blobID 16 bytes>. Since v1.
	PrefixBlob Prefix = 0x40
	// PrefixGC queues layouts of blobs whose shards must be deleted: gc/<blobID 16 bytes>. Since v1.
	PrefixGC Prefix = 0x41
	// PrefixContent indexes blobs by content, for deduplication:
	// content/<SHA-256 32 bytes>/<size u64>/<k u32>/<n u32>/<chunk u32> -> blobID. Since v1.
	PrefixContent Prefix = 0x42
	// PrefixBlobData holds the content of deferred blobs, committed with their records and
	// not yet written to user spaces: blobData/<blobID 16 bytes>. Since v1.
	PrefixBlobData Prefix = 0x43

	// PrefixPart holds multipart parts: part/<objectID u64>/<index u32>. Since v1.
	PrefixPart Prefix = 0x50
	// PrefixUpload holds S3 multipart uploads: upload/<uploadID 16 bytes>. Since v1.
	PrefixUpload Prefix = 0x51
	// PrefixUploadPart holds their parts: uploadPart/<uploadID 16 bytes>/<number u32>. Since v1.
	PrefixUploadPart Prefix = 0x52
	// PrefixUploadKey indexes uploads by key for listing:
	// uploadKey/<bucketID u64>/<key> NUL <uploadID 16 bytes> -> nothing. Since v1.
	PrefixUploadKey Prefix = 0x53

	// PrefixUserSpace holds user space records: userSpace/<spaceID u64>. Since v1.
	PrefixUserSpace Prefix = 0x60

	// PrefixUser holds user records: user/<userID u64>. Since v1.
	PrefixUser Prefix = 0x70
	// PrefixUserName indexes users: userName/<name> -> userID. Since v1.
	PrefixUserName Prefix = 0x71
	// PrefixAccessKey holds access keys, secrets sealed: accessKey/<access key ID>. Since v1.
	PrefixAccessKey Prefix = 0x72
)

// String returns the registry name of p ("object", "bucketName", ...), or
// "prefix(0xNN)" for a byte that is not a registered prefix.
func (p Prefix) String() string {
	switch p {
	case PrefixMeta:
		return "meta"
	case PrefixSequence:
		return "sequence"
	case PrefixBucket:
		return "bucket"
	case PrefixBucketName:
		return "bucketName"
	case PrefixPackage:
		return "package"
	case PrefixPackageName:
		return "packageName"
	case PrefixObject:
		return "object"
	case PrefixObjectID:
		return "objectID"
	case PrefixObjectKey:
		return "objectKey"
	case PrefixBlob:
		return "blob"
	case PrefixGC:
		return "gc"
	case PrefixContent:
		return "content"
	case PrefixBlobData:
		return "blobData"
	case PrefixPart:
		return "part"
	case PrefixUpload:
		return "upload"
	case PrefixUploadPart:
		return "uploadPart"
	case PrefixUploadKey:
		return "uploadKey"
	case PrefixUserSpace:
		return "userSpace"
	case PrefixUser:
		return "user"
	case PrefixUserName:
		return "userName"
	case PrefixAccessKey:
		return "accessKey"
	}
	return fmt.Sprintf("prefix(%#02x)", byte(p))
}

// keyCap is the capacity Key reserves, so that most keys cost one allocation.
const keyCap = 32

// KeyBuilder builds a key component by component, as in
// kv.Key(kv.PrefixObject).Uint64(pkgID).String(path).
//
// Integers are fixed-width big-endian, so numeric order is byte order.
// Strings are appended raw (no length, no terminator) and must be the LAST
// component: that makes a string prefix a key prefix, so PrefixRange over
// Key(PrefixObject).Uint64(pkg).String("dir/") lists exactly the paths under
// "dir/". String returns a plain []byte so that nothing can follow it.
//
// A KeyBuilder is a []byte, usable wherever a key is expected. Its methods
// have append semantics: two keys derived from one stem (stem.Uint32(1),
// stem.Uint32(2)) may share an array; Clone the stem when both must live on.
type KeyBuilder []byte

// Key starts a key with prefix p.
func Key(p Prefix) KeyBuilder {
	k := make(KeyBuilder, 1, keyCap)
	k[0] = byte(p)
	return k
}

// Uint64 appends v as 8 bytes big-endian.
func (k KeyBuilder) Uint64(v uint64) KeyBuilder {
	return binary.BigEndian.AppendUint64(k, v)
}

// Uint32 appends v as 4 bytes big-endian.
func (k KeyBuilder) Uint32(v uint32) KeyBuilder {
	return binary.BigEndian.AppendUint32(k, v)
}

// Bytes appends b raw; use it only for fixed-width values such as 16-byte
// blob IDs (read back with KeyReader.Bytes).
func (k KeyBuilder) Bytes(b []byte) KeyBuilder {
	return append(k, b...)
}

// String appends s raw and returns the finished key. It must be the last
// component: see KeyBuilder.
func (k KeyBuilder) String(s string) []byte {
	return append(k, s...)
}

// Clone returns a copy of k that shares no memory with it.
func (k KeyBuilder) Clone() KeyBuilder {
	c := make(KeyBuilder, len(k), max(len(k)+16, keyCap))
	copy(c, k)
	return c
}

// PrefixRange returns the Reader.Iter bounds of the keys that start with
// prefix: lower is prefix itself (not copied); upper is the smallest key
// greater than all of them, or nil when prefix is empty or all 0xff.
func PrefixRange(prefix []byte) (lower, upper []byte) {
	for i := len(prefix) - 1; i >= 0; i-- {
		if prefix[i] != 0xff {
			upper = make([]byte, i+1)
			copy(upper, prefix)
			upper[i]++
			return prefix, upper
		}
	}
	return prefix, nil
}

// KeyReader decodes the components of a key in the order KeyBuilder wrote
// them. Its error is sticky: after the first short read every method returns
// a zero value and Err reports it. Returned slices alias the key.
type KeyReader struct {
	key []byte
	off int
	err error
}

// NewKeyReader returns a KeyReader positioned at the start of key.
func NewKeyReader(key []byte) *KeyReader {
	return &KeyReader{key: key}
}

// take returns the next n bytes, or nil and a sticky error if fewer remain.
func (r *KeyReader) take(n int, what string) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || len(r.key)-r.off < n {
		r.err = fmt.Errorf("%w: key %x too short for %d-byte %s at offset %d", ErrCorrupt, r.key, n, what, r.off)
		return nil
	}
	b := r.key[r.off : r.off+n]
	r.off += n
	return b
}

// Prefix reads the one-byte prefix.
func (r *KeyReader) Prefix() Prefix {
	if b := r.take(1, "prefix"); b != nil {
		return Prefix(b[0])
	}
	return 0
}

// Uint64 reads an 8-byte big-endian integer.
func (r *KeyReader) Uint64() uint64 {
	if b := r.take(8, "uint64"); b != nil {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

// Uint32 reads a 4-byte big-endian integer.
func (r *KeyReader) Uint32() uint32 {
	if b := r.take(4, "uint32"); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}

// Bytes reads n raw bytes, the counterpart of KeyBuilder.Bytes.
func (r *KeyReader) Bytes(n int) []byte {
	return r.take(n, "field")
}

// Rest returns everything not yet read (possibly empty), the counterpart of
// KeyBuilder.String.
func (r *KeyReader) Rest() []byte {
	return r.take(len(r.key)-r.off, "rest")
}

// Len returns the number of bytes not yet read.
func (r *KeyReader) Len() int {
	return len(r.key) - r.off
}

// Err returns the first error met, wrapping ErrCorrupt, or nil.
func (r *KeyReader) Err() error {
	return r.err
}
