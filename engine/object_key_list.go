package engine

import (
	"context"
	"errors"
	"strings"

	"github.com/jointcloud/jcs/kv"
)

// SetObjectTags replaces the tags of the object at an S3 key (nil or empty: removes them) and
// returns the object. Errors: KindNotFound for a missing bucket or key.
func (e *Engine) SetObjectTags(ctx context.Context, b BucketID, key string, tags map[string]string) (Object, error) {
	const op = "engine.SetObjectTags"
	if len(tags) == 0 {
		tags = nil
	}
	var o Object
	err := e.kv.Update(ctx, func(tx kv.Tx) (err error) {
		if _, err := getBucket(tx, b); err != nil {
			return err
		}
		if o, err = getKey(tx, b, key); err != nil {
			return err
		}
		o.Tags = tags
		return putObject(tx, &o)
	})
	return o, wrap(op, err)
}

// ListKeysInput selects the objects of a bucket by S3 key.
type ListKeysInput struct {
	Bucket BucketID
	// Prefix limits the listing to keys that start with it.
	Prefix string
	// Delimiter, if set, folds the keys that contain it after Prefix into common prefixes:
	// Prefix, what follows up to the delimiter, and the delimiter.
	Delimiter string
	// After resumes the listing after this key, or after every key of this common prefix.
	After string
	// Limit bounds the objects plus common prefixes returned; 0 returns none (but still
	// reports whether any exist), larger values than MaxListKeys are capped to it.
	Limit int
}

// KeyEntry is one object of a key listing.
type KeyEntry struct {
	Key    string
	Object Object
}

// ListKeysResult is one page of a key listing, in byte order of keys and prefixes.
type ListKeysResult struct {
	Objects        []KeyEntry
	CommonPrefixes []string
	// Truncated reports that more entries follow; Next is the last one returned, to pass back
	// as After.
	Truncated bool
	Next      string
}

// ListKeys lists the objects of a bucket by S3 key, as S3's ListObjects does. A common
// prefix costs one seek, however many keys it folds. Errors: KindNotFound for a missing bucket.
func (e *Engine) ListKeys(ctx context.Context, in ListKeysInput) (ListKeysResult, error) {
	const op = "engine.ListKeys"
	in.Limit = min(max(in.Limit, 0), MaxListKeys)
	var res ListKeysResult
	err := e.kv.View(ctx, func(r kv.Reader) error {
		if _, err := getBucket(r, in.Bucket); err != nil {
			return err
		}
		var err error
		res, err = listKeys(r, in)
		return err
	})
	return res, wrap(op, err)
}

func listKeys(r kv.Reader, in ListKeysInput) (ListKeysResult, error) {
	var res ListKeysResult
	stem := kv.Key(kv.PrefixObjectKey).Uint64(uint64(in.Bucket))
	lower, upper := kv.PrefixRange(objectKeyKey(in.Bucket, in.Prefix))
	it := r.Iter(lower, upper)
	ok := it.First()
	if in.After != "" && in.After >= in.Prefix {
		ok = it.SeekGE(resumeKey(in.Bucket, in.Prefix, in.Delimiter, in.After))
	}
	count := 0
	for ok {
		key := string(it.Key()[len(stem):])
		if count == in.Limit {
			res.Truncated = true
			break
		}
		if in.Delimiter != "" {
			if i := strings.Index(key[len(in.Prefix):], in.Delimiter); i >= 0 {
				cp := key[:len(in.Prefix)+i+len(in.Delimiter)]
				res.CommonPrefixes = append(res.CommonPrefixes, cp)
				count, res.Next = count+1, cp
				_, after := kv.PrefixRange(objectKeyKey(in.Bucket, cp))
				ok = it.SeekGE(after)
				continue
			}
		}
		id, err := decodeID(it.Value())
		if err != nil {
			it.Close()
			return res, err
		}
		_, path := SplitKey(key)
		o, found, err := lookupObject(r, PackageID(id), path)
		if err == nil && !found {
			err = errorf("", KindInternal, "index inconsistent: key %q points at a missing object", key)
		}
		if err != nil {
			it.Close()
			return res, err
		}
		res.Objects = append(res.Objects, KeyEntry{Key: key, Object: o})
		count, res.Next = count+1, key
		ok = it.Next()
	}
	return res, it.Close()
}

// resumeKey returns the index key a listing resumes at after the entry after: past every key
// of the common prefix after names, or just past the key.
func resumeKey(b BucketID, prefix, delim, after string) []byte {
	if delim != "" && len(after) >= len(prefix)+len(delim) && strings.HasSuffix(after, delim) && strings.HasPrefix(after, prefix) &&
		strings.Index(after[len(prefix):], delim) == len(after)-len(prefix)-len(delim) {
		_, past := kv.PrefixRange(objectKeyKey(b, after))
		return past
	}
	return append(objectKeyKey(b, after), 0)
}

// DeleteEmptyBucket deletes a bucket that holds no objects, as S3's DeleteBucket does: its
// packages (all empty) go with it, and so do multipart uploads still in progress. Errors:
// KindNotFound for a missing bucket, KindNotEmpty if an object or a /v1 multipart upload
// remains.
func (e *Engine) DeleteEmptyBucket(ctx context.Context, id BucketID) error {
	const op = "engine.DeleteEmptyBucket"
	err := e.kv.Update(ctx, func(tx kv.Tx) error {
		b, err := getBucket(tx, id)
		if err != nil {
			return err
		}
		pkgs, err := bucketPackages(tx, id)
		if err != nil {
			return err
		}
		for _, p := range pkgs {
			if nonEmpty, err := hasAny(tx, kv.Key(kv.PrefixObject).Uint64(uint64(p.ID))); err != nil || nonEmpty {
				return cmpErr(err, errorf("", KindNotEmpty, "bucket %q is not empty", b.Name))
			}
		}
		if err := abortUploadsTx(tx, id); err != nil {
			return err
		}
		for i := range pkgs {
			if err := deletePackageTx(tx, &pkgs[i]); err != nil {
				return err
			}
		}
		return errors.Join(tx.Delete(bucketKey(b.ID)), tx.Delete(bucketNameKey(b.Name)))
	})
	if err != nil {
		return wrap(op, err)
	}
	e.wakeCollector()
	return nil
}

// hasAny reports whether any key starts with prefix.
func hasAny(r kv.Reader, prefix []byte) (bool, error) {
	lower, upper := kv.PrefixRange(prefix)
	it := r.Iter(lower, upper)
	ok := it.First()
	return ok, it.Close()
}

// cmpErr returns err if it is not nil, else alt.
func cmpErr(err, alt error) error {
	if err != nil {
		return err
	}
	return alt
}
