package engine

import (
	"context"
	"errors"
	"io"
	"strings"

	"github.com/jointcloud/jcs/kv"
)

// Objects by S3 key. A key maps to a package and path with SplitKey; these methods create the
// package when a write needs it, and see an object only once it is readable (not a multipart
// upload in progress), as S3 does.

// WriteCondition is a precondition on the object a write would replace, checked atomically
// with the write: S3's If-Match and If-None-Match on PutObject, CopyObject and
// CompleteMultipartUpload. ETags are compared without quotes.
type WriteCondition struct {
	// IfMatch, if set, requires an object whose ETag it is ("*": any object). A missing object
	// fails with KindNotFound, a different ETag with KindPrecondition.
	IfMatch string
	// IfNoneMatch, if set, requires that no object has this ETag ("*": that there is no object
	// at all); else KindPrecondition.
	IfNoneMatch string
}

// check applies c to the object at the key, if exists.
func (c WriteCondition) check(cur *Object, exists bool) error {
	if c.IfMatch != "" {
		if !exists {
			return notFound("If-Match: no object at the key")
		}
		if c.IfMatch != "*" && c.IfMatch != cur.ETag {
			return errorf("", KindPrecondition, "If-Match: the object's ETag differs")
		}
	}
	if c.IfNoneMatch != "" && exists && (c.IfNoneMatch == "*" || c.IfNoneMatch == cur.ETag) {
		return errorf("", KindPrecondition, "If-None-Match: an object matches")
	}
	return nil
}

// validateKey checks an S3 key: it must be a valid path whole (the root package holds some
// keys whole), and the path SplitKey gives it must be valid too.
func validateKey(key string) error {
	if err := validatePath(key); err != nil {
		return errors.New(strings.Replace(err.Error(), "object path", "key", 1))
	}
	return nil
}

// PutObjectInput describes an object written by S3 key.
type PutObjectInput struct {
	Bucket BucketID
	Key    string
	Body   io.Reader
	// Size is the exact length of Body if known, else -1.
	Size  int64
	Attrs Attributes
	Tags  map[string]string
	Cond  WriteCondition
	// Finish, if set, runs once Body has been read to its end and stored, before the object is
	// committed, with the content's MD5. Its error aborts the write (the front end's checksum
	// and digest checks); the checksum it returns is stored with the object.
	Finish func(md5 [16]byte) (Checksum, error)
	// Affinity is the user space preferred for the first shard; 0 for none.
	Affinity SpaceID
	// SHA256, if set, is Body's SHA-256, vouched for by the caller: Body must fail at its end
	// unless its bytes have this hash (a payload hash the front end verifies as the body
	// streams). The engine then does not compute it again. Deduplication relies on it.
	SHA256 *[32]byte
}

// PutObject stores an object at an S3 key, replacing any object there, and returns it. The
// body streams to the user spaces; the object becomes visible only once its data is durable.
// A replaced object keeps its ID and create time.
//
// Errors: KindNotFound for a missing bucket (or, with Cond.IfMatch, a missing object),
// KindInvalid for a bad key or a body that does not match Size, KindPrecondition when Cond
// fails, KindUnavailable when too few user spaces can take shards, and Finish's error.
func (e *Engine) PutObject(ctx context.Context, in PutObjectInput) (Object, error) {
	const op = "engine.PutObject"
	if err := validateKey(in.Key); err != nil {
		return Object{}, &Error{Op: op, Kind: KindInvalid, Err: err}
	}
	// Fail early, before the body is read, when the bucket is missing or the condition
	// already fails; the commit checks both again.
	err := e.kv.View(ctx, func(r kv.Reader) error {
		if _, err := getBucket(r, in.Bucket); err != nil {
			return err
		}
		cur, exists, err := lookupKey(r, in.Bucket, in.Key)
		if err != nil {
			return err
		}
		return in.Cond.check(&cur, exists)
	})
	if err != nil {
		return Object{}, wrap(op, err)
	}
	c, err := e.stageContent(ctx, in.Body, in.Size, in.SHA256, in.Affinity, true)
	if err != nil {
		return Object{}, wrap(op, err)
	}
	o := Object{Size: c.size, SHA256: c.sha, ETag: c.etag(), Attrs: in.Attrs, Tags: in.Tags,
		Redundancy: c.redundancy(), Segments: c.segments()}
	if in.Finish != nil {
		if o.Checksum, err = in.Finish(c.md5); err != nil {
			e.discardContent(ctx, c)
			return Object{}, err
		}
	}
	dup := false
	o, err = e.commitKey(ctx, in.Bucket, in.Key, in.Cond, o, func(tx kv.Tx, o, _ *Object, _ bool) error {
		dup = false
		if c.blob == nil {
			return nil
		}
		id, err := e.commitContent(tx, &c)
		if err != nil {
			return err
		}
		o.Segments[0].Blob = id
		dup = id != c.blob.ID
		return nil
	})
	if errors.Is(err, kv.ErrCommitUnknown) {
		e.unstageContent(c) // the commit may have survived: leave the shards to the sweep
		return Object{}, wrap(op, err)
	}
	if err != nil || dup {
		e.discardContent(ctx, c) // failed, or the same bytes were already stored
	} else {
		e.unstageContent(c)
	}
	return o, wrap(op, err)
}

// commitKey makes o the object at key in one transaction: it creates the key's package if
// needed, checks cond against the object there, runs inTx (which may change o and take
// references), and replaces the old object, releasing its content. o gets its ID, package,
// path and times before inTx runs. A transaction rerun after a conflict starts again from the
// o given.
func (e *Engine) commitKey(ctx context.Context, b BucketID, key string, cond WriteCondition, o Object,
	inTx func(tx kv.Tx, o, old *Object, exists bool) error) (Object, error) {
	objID, err := e.seqObject.Next(ctx)
	if err != nil {
		return Object{}, err
	}
	pkgID, err := e.seqPackage.Next(ctx)
	if err != nil {
		return Object{}, err
	}
	now := e.now()
	_, path := SplitKey(key)
	released, tmpl := false, o
	err = e.kv.Update(ctx, func(tx kv.Tx) error {
		released, o = false, tmpl
		if _, err := getBucket(tx, b); err != nil {
			return err
		}
		p, err := packageForKey(tx, b, key, PackageID(pkgID), now)
		if err != nil {
			return err
		}
		old, exists, err := lookupObject(tx, p.ID, path)
		if err != nil {
			return err
		}
		readable := exists && !old.InProgress()
		if err := cond.check(&old, readable); err != nil {
			return err
		}
		o.ID, o.PackageID, o.Path, o.CreateTime, o.UpdateTime = ObjectID(objID), p.ID, path, now, now
		if exists {
			o.ID, o.CreateTime = old.ID, old.CreateTime
		}
		if inTx != nil {
			if err := inTx(tx, &o, &old, exists); err != nil {
				return err
			}
		}
		if exists {
			if err := releaseContent(tx, &old); err != nil {
				return err
			}
			released = true
		}
		return putObject(tx, &o)
	})
	if err != nil {
		return Object{}, err
	}
	e.stats.objectsWritten.Add(1)
	if released {
		e.wakeCollector()
	}
	return o, nil
}

// StatObject returns the object at an S3 key. Errors: KindNotFound for a missing bucket or key.
func (e *Engine) StatObject(ctx context.Context, b BucketID, key string) (Object, error) {
	const op = "engine.StatObject"
	var o Object
	err := e.kv.View(ctx, func(r kv.Reader) (err error) {
		if _, err := getBucket(r, b); err != nil {
			return err
		}
		o, err = getKey(r, b, key)
		return err
	})
	return o, wrap(op, err)
}

// OpenKey returns a reader over the object at an S3 key; the caller must Close it. Errors:
// KindNotFound for a missing bucket or key.
func (e *Engine) OpenKey(ctx context.Context, b BucketID, key string) (*ObjectReader, error) {
	const op = "engine.OpenKey"
	r, err := e.openObject(ctx, func(r kv.Reader) (Object, error) {
		if _, err := getBucket(r, b); err != nil {
			return Object{}, err
		}
		return getKey(r, b, key)
	})
	return r, wrap(op, err)
}

// DeleteKeys deletes the objects at S3 keys, in one transaction, and releases their data.
// Keys with no object are ignored, as S3 does. Errors: KindNotFound for a missing bucket.
func (e *Engine) DeleteKeys(ctx context.Context, b BucketID, keys []string) error {
	const op = "engine.DeleteKeys"
	released := false
	err := e.kv.Update(ctx, func(tx kv.Tx) error {
		released = false
		if _, err := getBucket(tx, b); err != nil {
			return err
		}
		for _, key := range keys {
			o, ok, err := lookupKey(tx, b, key)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			if err := deleteObjectTx(tx, &o); err != nil {
				return err
			}
			released = true
		}
		return nil
	})
	if err != nil {
		return wrap(op, err)
	}
	if released {
		e.wakeCollector()
	}
	return nil
}

// CopyObjectInput describes a server-side copy between S3 keys.
type CopyObjectInput struct {
	SrcBucket BucketID
	SrcKey    string
	DstBucket BucketID
	DstKey    string
	// Attrs replaces the source's attributes if set (S3's metadata directive REPLACE).
	Attrs *Attributes
	// Tags replaces the source's tags if set (tagging directive REPLACE); an empty map drops them.
	Tags map[string]string
	// SrcCheck, if set, vets the source in the copy's transaction: the copy-source conditions.
	SrcCheck func(src *Object) error
	// Cond applies to the object the copy replaces.
	Cond WriteCondition
}

// CopyObject copies the object at an S3 key to another, sharing its data: nothing is copied
// on the user spaces. Copying an object onto its own key replaces its attributes and tags in
// place. Errors: KindNotFound for a missing bucket or source, KindInvalid for a bad key,
// KindPrecondition when Cond fails, and SrcCheck's error.
func (e *Engine) CopyObject(ctx context.Context, in CopyObjectInput) (Object, error) {
	const op = "engine.CopyObject"
	if err := validateKey(in.DstKey); err != nil {
		return Object{}, &Error{Op: op, Kind: KindInvalid, Err: err}
	}
	o, err := e.commitKey(ctx, in.DstBucket, in.DstKey, in.Cond, Object{}, func(tx kv.Tx, o, _ *Object, _ bool) error {
		if _, err := getBucket(tx, in.SrcBucket); err != nil {
			return err
		}
		src, err := getKey(tx, in.SrcBucket, in.SrcKey)
		if err != nil {
			return err
		}
		if in.SrcCheck != nil {
			if err := in.SrcCheck(&src); err != nil {
				return err
			}
		}
		// The copy takes the source's content and, unless replaced, its attributes and tags;
		// it keeps the identity commitKey gave it.
		id, pkg, path, created, updated := o.ID, o.PackageID, o.Path, o.CreateTime, o.UpdateTime
		*o = src
		o.ID, o.PackageID, o.Path, o.CreateTime, o.UpdateTime = id, pkg, path, created, updated
		if in.Attrs != nil {
			o.Attrs = *in.Attrs
		}
		if in.Tags != nil {
			o.Tags = in.Tags
			if len(in.Tags) == 0 {
				o.Tags = nil
			}
		}
		for _, s := range src.Segments {
			if err := retainBlob(tx, s.Blob); err != nil {
				return err
			}
		}
		return nil
	})
	return o, wrap(op, err)
}
