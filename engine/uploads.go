package engine

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jointcloud/jcs/kv"
)

// S3 multipart uploads. Unlike a /v1 multipart upload, which occupies its path from the start,
// an S3 upload is invisible until completed: the object at its key stays readable meanwhile,
// and several uploads to one key may run at once.

// UploadID identifies an S3 multipart upload. It is random, so IDs are never reused.
type UploadID [16]byte

// String returns the ID as S3 clients see it: 32 lower-case hex digits.
func (u UploadID) String() string { return hex.EncodeToString(u[:]) }

// ParseUploadID parses the form String returns.
func ParseUploadID(s string) (UploadID, bool) {
	var u UploadID
	if len(s) != 2*len(u) {
		return u, false
	}
	_, err := hex.Decode(u[:], []byte(s))
	return u, err == nil
}

// Upload is an S3 multipart upload in progress.
type Upload struct {
	ID     UploadID
	Bucket BucketID
	Key    string
	// Attrs and Tags are given to the object when the upload completes.
	Attrs Attributes
	Tags  map[string]string
	// ChecksumAlgorithm and ChecksumType are what the client declared at creation, if anything.
	ChecksumAlgorithm string
	ChecksumType      string
	Initiator         UserID
	Initiated         time.Time
}

// UploadPartInfo describes one uploaded part.
type UploadPartInfo struct {
	Number   int
	Size     int64
	ETag     string // hex MD5 of the part
	Checksum string // the checksum value the client declared, if any
	Modified time.Time
}

// MaxUploadParts is the highest S3 part number.
const MaxUploadParts = 10000

// Errors of CompleteUpload, wrapped in an *Error of KindInvalid, for front ends to name.
var (
	ErrInvalidPart      = errors.New("a listed part has not been uploaded or its ETag differs")
	ErrInvalidPartOrder = errors.New("the parts are not listed in ascending order")
	ErrEntityTooSmall   = errors.New("a part other than the last is smaller than the minimum part size")
)

func uploadKey(id UploadID) []byte { return kv.Key(kv.PrefixUpload).Bytes(id[:]) }

func uploadPartKey(id UploadID, n int) []byte {
	return kv.Key(kv.PrefixUploadPart).Bytes(id[:]).Uint32(uint32(n))
}

func uploadKeyIndex(b BucketID, key string, id UploadID) []byte {
	return kv.Key(kv.PrefixUploadKey).Uint64(uint64(b)).String(key + "\x00" + string(id[:]))
}

const uploadRecordV1 = 1 // bucket, key, attributes, tags, checksum algorithm and type, initiator, time

func encodeUpload(u *Upload) []byte {
	var e kv.Encoder
	e.Version(uploadRecordV1)
	e.Uint64(uint64(u.Bucket))
	e.String(u.Key)
	a := &u.Attrs
	for _, f := range []string{a.ContentType, a.ContentEncoding, a.ContentDisposition, a.ContentLanguage, a.CacheControl, a.Expires} {
		e.String(f)
	}
	encodeMap(&e, a.Meta)
	encodeMap(&e, u.Tags)
	e.String(u.ChecksumAlgorithm)
	e.String(u.ChecksumType)
	e.Uint64(uint64(u.Initiator))
	e.Time(u.Initiated)
	return e.Bytes()
}

func decodeUpload(id UploadID, v []byte) (Upload, error) {
	d := kv.NewDecoder(v)
	if ver := d.Version(); ver != uploadRecordV1 && d.Err() == nil {
		return Upload{}, fmt.Errorf("engine: upload record version %d unsupported", ver)
	}
	u := Upload{ID: id, Bucket: BucketID(d.Uint64()), Key: d.String()}
	a := &u.Attrs
	for _, f := range []*string{&a.ContentType, &a.ContentEncoding, &a.ContentDisposition, &a.ContentLanguage, &a.CacheControl, &a.Expires} {
		*f = d.String()
	}
	a.Meta = decodeMap(d)
	u.Tags = decodeMap(d)
	u.ChecksumAlgorithm = d.String()
	u.ChecksumType = d.String()
	u.Initiator = UserID(d.Uint64())
	u.Initiated = d.Time()
	return u, finish(d)
}

// getUpload returns the upload id of key in bucket b, or KindNotFound.
func getUpload(r kv.Reader, b BucketID, key string, id UploadID) (Upload, error) {
	v, err := get(r, uploadKey(id), func() error { return notFound("upload %s not found", id) })
	if err != nil {
		return Upload{}, err
	}
	u, err := decodeUpload(id, v)
	if err == nil && (u.Bucket != b || u.Key != key) {
		err = notFound("upload %s not found", id)
	}
	return u, err
}

// CreateUpload starts an S3 multipart upload to u.Key in u.Bucket; the ID and time are set
// here. Errors: KindNotFound for a missing bucket, KindInvalid for a bad key.
func (e *Engine) CreateUpload(ctx context.Context, u Upload) (Upload, error) {
	const op = "engine.CreateUpload"
	if err := validateKey(u.Key); err != nil {
		return Upload{}, &Error{Op: op, Kind: KindInvalid, Err: err}
	}
	rand.Read(u.ID[:])
	u.Initiated = e.now()
	err := e.kv.Update(ctx, func(tx kv.Tx) error {
		if _, err := getBucket(tx, u.Bucket); err != nil {
			return err
		}
		return errors.Join(tx.Set(uploadKey(u.ID), encodeUpload(&u)), tx.Set(uploadKeyIndex(u.Bucket, u.Key, u.ID), nil))
	})
	if err != nil {
		return Upload{}, wrap(op, err)
	}
	return u, nil
}

// GetUpload returns an upload in progress. Errors: KindNotFound if there is no such upload of
// that key.
func (e *Engine) GetUpload(ctx context.Context, b BucketID, key string, id UploadID) (Upload, error) {
	const op = "engine.GetUpload"
	var u Upload
	err := e.kv.View(ctx, func(r kv.Reader) (err error) {
		u, err = getUpload(r, b, key, id)
		return err
	})
	return u, wrap(op, err)
}

// PutPartInput is one part of an S3 multipart upload.
type PutPartInput struct {
	Bucket BucketID
	Key    string
	Upload UploadID
	Number int // 1 to MaxUploadParts
	Body   io.Reader
	Size   int64 // exact length of Body, or -1
	// Finish, if set, runs once the body is stored, before the part is committed, with its MD5;
	// its error aborts the part, and the checksum value it returns is kept with the part.
	Finish func(md5 [16]byte) (string, error)
	// SHA256, if set, is Body's SHA-256, vouched for by the caller as in PutObjectInput.
	SHA256 *[32]byte
}

// PutPart stores a part of an upload, replacing any part with its number. The body streams to
// the user spaces like any object data; parts survive restarts.
//
// Errors: KindNotFound for a missing upload, KindInvalid for a part number outside
// [1, MaxUploadParts] or a body that does not match Size, KindUnavailable when too few user
// spaces can take shards, and Finish's error.
func (e *Engine) PutPart(ctx context.Context, in PutPartInput) (UploadPartInfo, error) {
	const op = "engine.PutPart"
	if in.Number < 1 || in.Number > MaxUploadParts {
		return UploadPartInfo{}, errorf(op, KindInvalid, "part number %d outside [1, %d]", in.Number, MaxUploadParts)
	}
	if _, err := e.GetUpload(ctx, in.Bucket, in.Key, in.Upload); err != nil {
		return UploadPartInfo{}, err
	}
	c, err := e.stageContent(ctx, in.Body, in.Size, in.SHA256, 0, false)
	if err != nil {
		return UploadPartInfo{}, wrap(op, err)
	}
	p := part{Index: uint32(in.Number), Size: c.size, CreateTime: e.now(), MD5: c.md5}
	if c.blob != nil {
		p.Blob = c.blob.ID
	}
	if in.Finish != nil {
		if p.Checksum, err = in.Finish(c.md5); err != nil {
			e.discardContent(ctx, c)
			return UploadPartInfo{}, err
		}
	}
	replaced := false
	err = e.kv.Update(ctx, func(tx kv.Tx) error {
		replaced = false
		if _, err := getUpload(tx, in.Bucket, in.Key, in.Upload); err != nil {
			return err
		}
		k := uploadPartKey(in.Upload, in.Number)
		v, err := tx.Get(k)
		if err == nil {
			old, err := decodePart(p.Index, v)
			if err != nil {
				return err
			}
			if err := releasePartBlob(tx, &old); err != nil {
				return err
			}
			replaced = true
		} else if !errors.Is(err, kv.ErrNotFound) {
			return err
		}
		if c.blob != nil {
			if err := putNewBlob(tx, c.blob); err != nil {
				return err
			}
		}
		return tx.Set(k, encodePart(&p))
	})
	switch {
	case errors.Is(err, kv.ErrCommitUnknown):
		e.unstageContent(c)
		return UploadPartInfo{}, wrap(op, err)
	case err != nil:
		e.discardContent(ctx, c)
		return UploadPartInfo{}, wrap(op, err)
	}
	e.unstageContent(c)
	if replaced {
		e.wakeCollector()
	}
	return p.info(), nil
}

func (p *part) info() UploadPartInfo {
	return UploadPartInfo{Number: int(p.Index), Size: p.Size, ETag: hex.EncodeToString(p.MD5[:]),
		Checksum: p.Checksum, Modified: p.CreateTime}
}

// releasePartBlob drops the reference a part holds on its blob; an empty part has none.
func releasePartBlob(tx kv.Tx, p *part) error {
	if p.Blob == (BlobID{}) {
		return nil
	}
	return releaseBlob(tx, p.Blob)
}

// ListParts returns up to limit parts of an upload with numbers above after, in order, and
// whether more follow. Errors: KindNotFound for a missing upload.
func (e *Engine) ListParts(ctx context.Context, b BucketID, key string, id UploadID, after, limit int) ([]UploadPartInfo, bool, error) {
	const op = "engine.ListParts"
	var out []UploadPartInfo
	truncated := false
	err := e.kv.View(ctx, func(r kv.Reader) error {
		out, truncated = nil, false
		if _, err := getUpload(r, b, key, id); err != nil {
			return err
		}
		return scanParts(r, id, after, func(p part) bool {
			if len(out) == limit {
				truncated = true
				return false
			}
			out = append(out, p.info())
			return true
		})
	})
	return out, truncated, wrap(op, err)
}

// scanParts calls fn for the parts of an upload numbered above after, in order, until fn
// returns false.
func scanParts(r kv.Reader, id UploadID, after int, fn func(part) bool) error {
	stem := kv.Key(kv.PrefixUploadPart).Bytes(id[:])
	_, upper := kv.PrefixRange(stem)
	it := r.Iter(uploadPartKey(id, max(after+1, 0)), upper)
	for ok := it.First(); ok; ok = it.Next() {
		kr := kv.NewKeyReader(it.Key())
		kr.Prefix()
		kr.Bytes(16)
		p, err := decodePart(kr.Uint32(), it.Value())
		if err = errors.Join(err, kr.Err()); err != nil {
			it.Close()
			return err
		}
		if !fn(p) {
			break
		}
	}
	return it.Close()
}

// ListUploadsInput selects uploads of a bucket, in order of key and then upload ID.
type ListUploadsInput struct {
	Bucket    BucketID
	Prefix    string
	KeyMarker string
	// IDMarker, with KeyMarker, resumes after that upload of KeyMarker; without it the listing
	// resumes after every upload of KeyMarker.
	IDMarker *UploadID
	Limit    int
}

// ListUploads returns up to Limit uploads in progress and whether more follow. Errors:
// KindNotFound for a missing bucket.
func (e *Engine) ListUploads(ctx context.Context, in ListUploadsInput) ([]Upload, bool, error) {
	const op = "engine.ListUploads"
	var out []Upload
	truncated := false
	err := e.kv.View(ctx, func(r kv.Reader) error {
		out, truncated = nil, false
		if _, err := getBucket(r, in.Bucket); err != nil {
			return err
		}
		stem := kv.Key(kv.PrefixUploadKey).Uint64(uint64(in.Bucket))
		lower, upper := kv.PrefixRange(stem.Clone().String(in.Prefix))
		it := r.Iter(lower, upper)
		ok := it.First()
		switch {
		case in.IDMarker != nil:
			ok = it.SeekGE(append(uploadKeyIndex(in.Bucket, in.KeyMarker, *in.IDMarker), 0))
		case in.KeyMarker != "":
			ok = it.SeekGE(stem.Clone().String(in.KeyMarker + "\x01"))
		}
		for ; ok; ok = it.Next() {
			if len(out) == in.Limit {
				truncated = true
				break
			}
			rest := it.Key()[len(stem):]
			if len(rest) < 17 {
				it.Close()
				return fmt.Errorf("engine: malformed upload index key")
			}
			var id UploadID
			copy(id[:], rest[len(rest)-16:])
			u, err := getUpload(r, in.Bucket, string(rest[:len(rest)-17]), id)
			if err != nil {
				it.Close()
				return err
			}
			out = append(out, u)
		}
		return it.Close()
	})
	return out, truncated, wrap(op, err)
}

// AbortUpload deletes an upload and its parts. Errors: KindNotFound for a missing upload.
func (e *Engine) AbortUpload(ctx context.Context, b BucketID, key string, id UploadID) error {
	const op = "engine.AbortUpload"
	err := e.kv.Update(ctx, func(tx kv.Tx) error {
		u, err := getUpload(tx, b, key, id)
		if err != nil {
			return err
		}
		return deleteUploadTx(tx, &u)
	})
	if err != nil {
		return wrap(op, err)
	}
	e.wakeCollector()
	return nil
}

// ExpireUploads aborts every S3 multipart upload initiated before cutoff, releasing its parts,
// and returns how many it aborted. The collector runs it with Options.UploadExpiry; it is
// exported for administration and tests.
func (e *Engine) ExpireUploads(ctx context.Context, cutoff time.Time) (int, error) {
	const op = "engine.ExpireUploads"
	var stale []Upload
	err := e.kv.View(ctx, func(r kv.Reader) error {
		return scanPrefix(r, kv.Key(kv.PrefixUpload), func(k, v []byte) error {
			var id UploadID
			copy(id[:], k[len(k)-len(id):])
			u, err := decodeUpload(id, v)
			if err == nil && u.Initiated.Before(cutoff) {
				stale = append(stale, u)
			}
			return err
		})
	})
	if err != nil {
		return 0, wrap(op, err)
	}
	n := 0
	for _, u := range stale {
		// One transaction per upload, each checking it is still there and still stale: a
		// client may complete or abort it meanwhile.
		err := e.kv.Update(ctx, func(tx kv.Tx) error {
			cur, err := getUpload(tx, u.Bucket, u.Key, u.ID)
			if err != nil || !cur.Initiated.Before(cutoff) {
				return err
			}
			return deleteUploadTx(tx, &cur)
		})
		switch {
		case err == nil:
			n++
		case KindOf(err) == KindNotFound:
		default:
			return n, wrap(op, err)
		}
	}
	e.stats.uploadsExpired.Add(int64(n))
	if n > 0 {
		e.wakeCollector()
	}
	return n, nil
}

// expireUploads runs ExpireUploads with Options.UploadExpiry, unless that is negative.
func (e *Engine) expireUploads(ctx context.Context) {
	if e.opts.UploadExpiry < 0 {
		return
	}
	n, err := e.ExpireUploads(ctx, e.now().Add(-e.opts.UploadExpiry))
	if err != nil && ctx.Err() == nil {
		e.log.Warn("expiring stale multipart uploads", "err", err)
	}
	if n > 0 {
		e.log.Info("aborted stale multipart uploads", "uploads", n, "olderThan", e.opts.UploadExpiry)
	}
}

// deleteUploadTx deletes an upload's record, index entry and parts, releasing their blobs.
func deleteUploadTx(tx kv.Tx, u *Upload) error {
	var parts []part
	if err := scanParts(tx, u.ID, 0, func(p part) bool { parts = append(parts, p); return true }); err != nil {
		return err
	}
	for i := range parts {
		if err := errors.Join(tx.Delete(uploadPartKey(u.ID, int(parts[i].Index))), releasePartBlob(tx, &parts[i])); err != nil {
			return err
		}
	}
	return errors.Join(tx.Delete(uploadKey(u.ID)), tx.Delete(uploadKeyIndex(u.Bucket, u.Key, u.ID)))
}

// abortUploadsTx deletes every upload of a bucket.
func abortUploadsTx(tx kv.Tx, b BucketID) error {
	var ups []Upload
	err := scanPrefix(tx, kv.Key(kv.PrefixUploadKey).Uint64(uint64(b)), func(k, _ []byte) error {
		var id UploadID
		copy(id[:], k[len(k)-16:])
		v, err := tx.Get(uploadKey(id))
		if err != nil {
			return err
		}
		u, err := decodeUpload(id, v)
		ups = append(ups, u)
		return err
	})
	if err != nil {
		return err
	}
	for i := range ups {
		if err := deleteUploadTx(tx, &ups[i]); err != nil {
			return err
		}
	}
	return nil
}

// CompletedPart names a part in a CompleteUpload request.
type CompletedPart struct {
	Number int
	ETag   string // without quotes
}

// CompleteUploadInput finishes an upload.
type CompleteUploadInput struct {
	Bucket BucketID
	Key    string
	Upload UploadID
	Parts  []CompletedPart
	// MinPartSize is the least size of every part but the last (S3: 5 MiB).
	MinPartSize int64
	Cond        WriteCondition
	// Finish, if set, runs with the listed parts before the object is committed; its error
	// aborts the completion (the upload stays), and the checksum it returns is stored.
	Finish func(u *Upload, parts []UploadPartInfo) (Checksum, error)
}

// CompleteUpload makes the listed parts, joined in order, the object at the upload's key, and
// ends the upload: unlisted parts are released. Nothing is copied on the user spaces; the parts
// are read once to compute the object's SHA-256. The ETag is the hex MD5 of the parts' MD5s,
// "-" and the number of parts.
//
// Errors: KindNotFound for a missing upload, KindInvalid wrapping ErrInvalidPart,
// ErrInvalidPartOrder or ErrEntityTooSmall, or for an empty list, KindPrecondition when Cond
// fails or a part was replaced meanwhile, and Finish's error.
func (e *Engine) CompleteUpload(ctx context.Context, in CompleteUploadInput) (Object, error) {
	const op = "engine.CompleteUpload"
	if len(in.Parts) == 0 || len(in.Parts) > MaxUploadParts {
		return Object{}, errorf(op, KindInvalid, "a completion lists 1 to %d parts, not %d", MaxUploadParts, len(in.Parts))
	}
	var up Upload
	parts := make([]part, len(in.Parts))
	var blobs []blobLayout
	err := e.kv.View(ctx, func(r kv.Reader) (err error) {
		blobs = blobs[:0]
		if up, err = getUpload(r, in.Bucket, in.Key, in.Upload); err != nil {
			return err
		}
		for i, cp := range in.Parts {
			if i > 0 && cp.Number <= in.Parts[i-1].Number {
				return &Error{Kind: KindInvalid, Err: ErrInvalidPartOrder}
			}
			v, err := r.Get(uploadPartKey(in.Upload, cp.Number))
			if errors.Is(err, kv.ErrNotFound) || cp.Number < 1 || cp.Number > MaxUploadParts {
				return &Error{Kind: KindInvalid, Err: fmt.Errorf("%w: part %d", ErrInvalidPart, cp.Number)}
			} else if err != nil {
				return err
			}
			if parts[i], err = decodePart(uint32(cp.Number), v); err != nil {
				return err
			}
			if hex.EncodeToString(parts[i].MD5[:]) != cp.ETag {
				return &Error{Kind: KindInvalid, Err: fmt.Errorf("%w: part %d", ErrInvalidPart, cp.Number)}
			}
			if i < len(in.Parts)-1 && parts[i].Size < in.MinPartSize {
				return &Error{Kind: KindInvalid, Err: fmt.Errorf("%w: part %d has %d bytes", ErrEntityTooSmall, cp.Number, parts[i].Size)}
			}
			if parts[i].Blob != (BlobID{}) {
				b, err := getBlob(r, parts[i].Blob)
				if err != nil {
					return err
				}
				blobs = append(blobs, b)
			}
		}
		return nil
	})
	if err != nil {
		return Object{}, wrap(op, err)
	}
	live, err := e.pinLive(ctx, blobs)
	if err != nil {
		return Object{}, wrap(op, err)
	}
	if !live {
		return Object{}, errorf(op, KindPrecondition, "a listed part was replaced while completing; retry")
	}
	defer e.blobs.unpin(blobIDs(blobs)...)
	o := Object{Attrs: up.Attrs, Tags: up.Tags, Redundancy: Redundancy{Type: RedundancyNone}}
	if o.SHA256, err = e.hashParts(ctx, blobs); err != nil {
		return Object{}, wrap(op, err)
	}
	infos := make([]UploadPartInfo, len(parts))
	md := md5.New()
	for i := range parts {
		infos[i] = parts[i].info()
		md.Write(parts[i].MD5[:])
		o.Size += parts[i].Size
		if parts[i].Blob != (BlobID{}) {
			o.Segments = append(o.Segments, Segment{Blob: parts[i].Blob, Size: parts[i].Size})
		}
	}
	o.ETag = fmt.Sprintf("%x-%d", md.Sum(nil), len(parts))
	if len(blobs) > 0 {
		o.Redundancy = blobs[0].redundancy()
	}
	if in.Finish != nil {
		if o.Checksum, err = in.Finish(&up, infos); err != nil {
			return Object{}, err
		}
	}
	o, err = e.commitKey(ctx, in.Bucket, in.Key, in.Cond, o, func(tx kv.Tx, _, _ *Object, _ bool) error {
		u, err := getUpload(tx, in.Bucket, in.Key, in.Upload)
		if err != nil {
			return err
		}
		for _, p := range parts {
			v, err := tx.Get(uploadPartKey(in.Upload, int(p.Index)))
			if err != nil && !errors.Is(err, kv.ErrNotFound) {
				return err
			}
			if now, derr := decodePart(p.Index, v); err != nil || derr != nil || now.Blob != p.Blob {
				return errorf("", KindPrecondition, "part %d changed while completing; retry", p.Index)
			}
			if p.Blob != (BlobID{}) {
				if err := retainBlob(tx, p.Blob); err != nil {
					return err
				}
			}
		}
		return deleteUploadTx(tx, &u)
	})
	return o, wrap(op, err)
}
