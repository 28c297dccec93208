package engine

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/jointcloud/jcs/kv"
)

// Record formats. Every value starts with a format version byte; the fields follow in the
// order below. A record that names its own key fields (an object's package and path) does not
// repeat them in the value. Bump the version and keep decoding the old one when a format
// changes.
const (
	bucketRecordV1    = 1 // ID, name, owner, create time
	packageRecordV1   = 1 // ID, bucket ID, name, create time
	idRecordV1        = 1 // one uint64: the ID a name index points at
	objectRecordV1    = 1 // see encodeObject
	objectRecordV2    = 2 // v1, then ETag, attributes, tags and checksum
	objectRefRecordV1 = 1 // package ID, path: where an object ID lives
	blobRecordV1      = 1 // see encodeBlob
	blobRecordV2      = 2 // v1, then the content hash (present flag, 32 bytes)
	blobRecordV3      = 3 // v2, then the deferred flag; written only for deferred blobs
	blobDataRecordV1  = 1 // the content of a deferred blob, raw
	partRecordV1      = 1 // blob, size, create time
	partRecordV2      = 2 // v1, then MD5 and checksum value
	spaceRecordV1     = 1 // see encodeSpace; the secret in plain text
	spaceRecordV2     = 2 // the secret sealed, then the draining flag
)

// errRecordShape reports a record that decoded but does not have the shape of its version.
var errRecordShape = errors.New("engine: malformed record")

// fixed reads a length-prefixed field that must fill dst exactly.
func fixed(d *kv.Decoder, dst []byte) {
	if b := d.ByteSlice(); d.Err() == nil && len(b) != len(dst) {
		d.Fail(fmt.Errorf("%w: field of %d bytes, want %d", errRecordShape, len(b), len(dst)))
	} else {
		copy(dst, b)
	}
}

// finish returns the decoder's error, or an error if bytes remain: a record of a known version
// has exactly its fields.
func finish(d *kv.Decoder) error {
	if err := d.Err(); err != nil {
		return err
	}
	if d.Len() != 0 {
		return fmt.Errorf("%w: %d trailing bytes", errRecordShape, d.Len())
	}
	return nil
}

func encodeBucket(b *Bucket) []byte {
	var e kv.Encoder
	e.Version(bucketRecordV1)
	e.Uint64(uint64(b.ID))
	e.String(b.Name)
	e.Uint64(uint64(b.Owner))
	e.Time(b.CreateTime)
	return e.Bytes()
}

func decodeBucket(v []byte) (Bucket, error) {
	d := kv.NewDecoder(v)
	if ver := d.Version(); ver != bucketRecordV1 && d.Err() == nil {
		return Bucket{}, fmt.Errorf("engine: bucket record version %d unsupported", ver)
	}
	b := Bucket{
		ID:    BucketID(d.Uint64()),
		Name:  d.String(),
		Owner: UserID(d.Uint64()),
	}
	b.CreateTime = d.Time()
	return b, finish(d)
}

func encodePackage(p *Package) []byte {
	var e kv.Encoder
	e.Version(packageRecordV1)
	e.Uint64(uint64(p.ID))
	e.Uint64(uint64(p.BucketID))
	e.String(p.Name)
	e.Time(p.CreateTime)
	return e.Bytes()
}

func decodePackage(v []byte) (Package, error) {
	d := kv.NewDecoder(v)
	if ver := d.Version(); ver != packageRecordV1 && d.Err() == nil {
		return Package{}, fmt.Errorf("engine: package record version %d unsupported", ver)
	}
	p := Package{
		ID:       PackageID(d.Uint64()),
		BucketID: BucketID(d.Uint64()),
		Name:     d.String(),
	}
	p.CreateTime = d.Time()
	return p, finish(d)
}

func encodeID(id uint64) []byte {
	var e kv.Encoder
	e.Version(idRecordV1)
	e.Uint64(id)
	return e.Bytes()
}

func decodeID(v []byte) (uint64, error) {
	d := kv.NewDecoder(v)
	if ver := d.Version(); ver != idRecordV1 && d.Err() == nil {
		return 0, fmt.Errorf("engine: ID record version %d unsupported", ver)
	}
	id := d.Uint64()
	return id, finish(d)
}

// encodeObject writes: ID, size, SHA-256 (32 bytes, length-prefixed), redundancy (type, rep
// count, k, n, chunk size), create and update times, the segments (count, then blob ID and
// size of each), then (since v2) the ETag, the attributes (six strings, then the user metadata
// as a map), the tags as a map, and the checksum (algorithm, value, type). A map is its count,
// then each key and value, keys sorted.
func encodeObject(o *Object) []byte {
	var e kv.Encoder
	e.Version(objectRecordV2)
	e.Uint64(uint64(o.ID))
	e.Varint(o.Size)
	e.ByteSlice(o.SHA256[:])
	encodeRedundancy(&e, o.Redundancy)
	e.Time(o.CreateTime)
	e.Time(o.UpdateTime)
	e.Uvarint(uint64(len(o.Segments)))
	for _, s := range o.Segments {
		e.ByteSlice(s.Blob[:])
		e.Varint(s.Size)
	}
	e.String(o.ETag)
	a := &o.Attrs
	for _, f := range []string{a.ContentType, a.ContentEncoding, a.ContentDisposition, a.ContentLanguage, a.CacheControl, a.Expires} {
		e.String(f)
	}
	encodeMap(&e, a.Meta)
	encodeMap(&e, o.Tags)
	e.String(o.Checksum.Algorithm)
	e.String(o.Checksum.Value)
	e.String(o.Checksum.Type)
	return e.Bytes()
}

func encodeMap(e *kv.Encoder, m map[string]string) {
	e.Uvarint(uint64(len(m)))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		e.String(k)
		e.String(m[k])
	}
}

func decodeMap(d *kv.Decoder) map[string]string {
	n := d.Uvarint()
	if n == 0 || d.Err() != nil {
		return nil
	}
	if n > uint64(d.Len()) { // each entry takes at least two bytes
		d.Fail(fmt.Errorf("%w: %d map entries in %d bytes", errRecordShape, n, d.Len()))
		return nil
	}
	m := make(map[string]string, n)
	for range n {
		k := d.String()
		m[k] = d.String()
	}
	return m
}

func decodeObject(pkg PackageID, path string, v []byte) (Object, error) {
	d := kv.NewDecoder(v)
	ver := d.Version()
	if ver != objectRecordV1 && ver != objectRecordV2 && d.Err() == nil {
		return Object{}, fmt.Errorf("engine: object record version %d unsupported", ver)
	}
	o := Object{PackageID: pkg, Path: path}
	o.ID = ObjectID(d.Uint64())
	o.Size = d.Varint()
	fixed(d, o.SHA256[:])
	o.Redundancy = decodeRedundancy(d)
	o.CreateTime = d.Time()
	o.UpdateTime = d.Time()
	n := d.Uvarint()
	if n > uint64(d.Len()) { // each segment takes more than one byte
		return Object{}, fmt.Errorf("engine: object record: %d segments in %d bytes", n, d.Len())
	}
	for range n {
		var s Segment
		fixed(d, s.Blob[:])
		s.Size = d.Varint()
		o.Segments = append(o.Segments, s)
	}
	if ver >= objectRecordV2 {
		o.ETag = d.String()
		a := &o.Attrs
		for _, f := range []*string{&a.ContentType, &a.ContentEncoding, &a.ContentDisposition, &a.ContentLanguage, &a.CacheControl, &a.Expires} {
			*f = d.String()
		}
		a.Meta = decodeMap(d)
		o.Tags = decodeMap(d)
		o.Checksum = Checksum{Algorithm: d.String(), Value: d.String(), Type: d.String()}
	}
	return o, finish(d)
}

func encodeRedundancy(e *kv.Encoder, r Redundancy) {
	e.String(string(r.Type))
	e.Uvarint(uint64(r.RepCount))
	e.Uvarint(uint64(r.K))
	e.Uvarint(uint64(r.N))
	e.Uvarint(uint64(r.ChunkSize))
}

func decodeRedundancy(d *kv.Decoder) Redundancy {
	return Redundancy{
		Type:      RedundancyType(d.String()),
		RepCount:  int(d.Uvarint()),
		K:         int(d.Uvarint()),
		N:         int(d.Uvarint()),
		ChunkSize: int(d.Uvarint()),
	}
}

func encodeObjectRef(pkg PackageID, path string) []byte {
	var e kv.Encoder
	e.Version(objectRefRecordV1)
	e.Uint64(uint64(pkg))
	e.String(path)
	return e.Bytes()
}

func decodeObjectRef(v []byte) (PackageID, string, error) {
	d := kv.NewDecoder(v)
	if ver := d.Version(); ver != objectRefRecordV1 && d.Err() == nil {
		return 0, "", fmt.Errorf("engine: object ref record version %d unsupported", ver)
	}
	pkg := PackageID(d.Uint64())
	path := d.String()
	return pkg, path, finish(d)
}

// encodeBlob writes: k, n, chunk size, size, the space of each shard (count, then IDs),
// reference count, create time, the content hash and (v3, only for a deferred blob) the
// deferred flag. The same format holds a GC queue entry, whose reference count is zero.
func encodeBlob(b *blobLayout) []byte {
	var e kv.Encoder
	if b.Deferred {
		e.Version(blobRecordV3)
	} else {
		e.Version(blobRecordV2)
	}
	e.Uvarint(uint64(b.K))
	e.Uvarint(uint64(b.N))
	e.Uvarint(uint64(b.Chunk))
	e.Varint(b.Size)
	e.Uvarint(uint64(len(b.Spaces)))
	for _, s := range b.Spaces {
		e.Uint64(uint64(s))
	}
	e.Uvarint(uint64(b.Refs))
	e.Time(b.CreateTime)
	e.Bool(b.Hashed)
	if b.Hashed {
		e.ByteSlice(b.Hash[:])
	}
	if b.Deferred {
		e.Bool(true)
	}
	return e.Bytes()
}

func decodeBlob(id BlobID, v []byte) (blobLayout, error) {
	d := kv.NewDecoder(v)
	ver := d.Version()
	if (ver < blobRecordV1 || ver > blobRecordV3) && d.Err() == nil {
		return blobLayout{}, fmt.Errorf("engine: blob record version %d unsupported", ver)
	}
	b := blobLayout{ID: id}
	b.K = int(d.Uvarint())
	b.N = int(d.Uvarint())
	b.Chunk = int(d.Uvarint())
	b.Size = d.Varint()
	n := d.Uvarint()
	if n > uint64(d.Len())/8 {
		return blobLayout{}, fmt.Errorf("engine: blob record: %d spaces in %d bytes", n, d.Len())
	}
	for range n {
		b.Spaces = append(b.Spaces, SpaceID(d.Uint64()))
	}
	b.Refs = d.Uvarint()
	b.CreateTime = d.Time()
	if ver >= blobRecordV2 {
		if b.Hashed = d.Bool(); b.Hashed {
			fixed(d, b.Hash[:])
		}
	}
	if ver >= blobRecordV3 {
		b.Deferred = d.Bool()
	}
	return b, finish(d)
}

func encodePart(p *part) []byte {
	var e kv.Encoder
	e.Version(partRecordV2)
	e.ByteSlice(p.Blob[:])
	e.Varint(p.Size)
	e.Time(p.CreateTime)
	e.ByteSlice(p.MD5[:])
	e.String(p.Checksum)
	return e.Bytes()
}

func decodePart(index uint32, v []byte) (part, error) {
	d := kv.NewDecoder(v)
	ver := d.Version()
	if ver != partRecordV1 && ver != partRecordV2 && d.Err() == nil {
		return part{}, fmt.Errorf("engine: part record version %d unsupported", ver)
	}
	p := part{Index: index}
	fixed(d, p.Blob[:])
	p.Size = d.Varint()
	p.CreateTime = d.Time()
	if ver >= partRecordV2 {
		fixed(d, p.MD5[:])
		p.Checksum = d.String()
	}
	return p, finish(d)
}

// encodeSpace writes: ID, name, storage (type, path, endpoint, region, bucket, project ID,
// path style), credential (type, access key ID, the secret sealed by the caller), shard store
// (present, max size), working directory, revision and the draining flag.
func encodeSpace(s *UserSpace, sealedSecret []byte) []byte {
	var e kv.Encoder
	e.Version(spaceRecordV2)
	e.Uint64(uint64(s.ID))
	e.String(s.Name)
	st := &s.Storage
	for _, f := range []string{st.Type, st.Path, st.Endpoint, st.Region, st.Bucket, st.ProjectID} {
		e.String(f)
	}
	e.Bool(st.PathStyle)
	e.String(s.Credential.Type)
	e.String(s.Credential.AccessKeyID)
	e.ByteSlice(sealedSecret)
	e.Bool(s.ShardStore != nil)
	if s.ShardStore != nil {
		e.Varint(s.ShardStore.MaxSize)
	}
	e.String(s.WorkingDir)
	e.Uvarint(uint64(s.Revision))
	e.Bool(s.Draining)
	return e.Bytes()
}

// decodeSpace decodes a user space record. The secret of a v2 record comes back sealed, for
// the caller to open; a v1 record's is plain (sealed is nil).
func decodeSpace(v []byte) (s UserSpace, sealed []byte, err error) {
	d := kv.NewDecoder(v)
	ver := d.Version()
	if ver != spaceRecordV1 && ver != spaceRecordV2 && d.Err() == nil {
		return UserSpace{}, nil, fmt.Errorf("engine: user space record version %d unsupported", ver)
	}
	s = UserSpace{ID: SpaceID(d.Uint64()), Name: d.String()}
	st := &s.Storage
	for _, f := range []*string{&st.Type, &st.Path, &st.Endpoint, &st.Region, &st.Bucket, &st.ProjectID} {
		*f = d.String()
	}
	st.PathStyle = d.Bool()
	s.Credential.Type = d.String()
	s.Credential.AccessKeyID = d.String()
	if ver == spaceRecordV1 {
		s.Credential.SecretAccessKey = d.String()
	} else {
		sealed = d.ByteSlice()
	}
	if d.Bool() {
		s.ShardStore = &ShardStoreConfig{MaxSize: d.Varint()}
	}
	s.WorkingDir = d.String()
	s.Revision = int64(d.Uvarint())
	if ver >= spaceRecordV2 {
		s.Draining = d.Bool()
	}
	return s, sealed, finish(d)
}
