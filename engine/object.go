package engine

import (
	"bytes"
	"context"
	"errors"

	"github.com/jointcloud/jcs/kv"
)

// GetObject returns the object with the given ID, or an error of KindNotFound.
func (e *Engine) GetObject(ctx context.Context, id ObjectID) (Object, error) {
	const op = "engine.GetObject"
	var o Object
	err := e.kv.View(ctx, func(r kv.Reader) (err error) {
		o, err = getObject(r, id)
		return err
	})
	return o, wrap(op, err)
}

// GetObjectByPath returns the object at path in a package, or an error of KindNotFound.
func (e *Engine) GetObjectByPath(ctx context.Context, pkg PackageID, path string) (Object, error) {
	const op = "engine.GetObjectByPath"
	var o Object
	err := e.kv.View(ctx, func(r kv.Reader) (err error) {
		o, err = getObjectByPath(r, pkg, path)
		return err
	})
	return o, wrap(op, err)
}

// The transaction helpers below keep one invariant: a blob's reference count equals the number
// of object segments and multipart parts that name it. The transaction that drops the last
// reference deletes the blob record and queues the blob for collection in the same batch, so a
// crash can never leave shards that nothing refers to and nothing will collect, nor collect
// shards that something still refers to.

// putNewBlob records a freshly written blob with its first reference.
func putNewBlob(tx kv.Tx, b *blobLayout) error {
	b.Refs = 1
	return tx.Set(blobKey(b.ID), encodeBlob(b))
}

// retainBlob adds a reference to a blob.
func retainBlob(tx kv.Tx, id BlobID) error {
	b, err := getBlob(tx, id)
	if err != nil {
		return err
	}
	b.Refs++
	return tx.Set(blobKey(id), encodeBlob(&b))
}

// releaseBlob drops a reference to a blob, queueing it for collection when none remain.
func releaseBlob(tx kv.Tx, id BlobID) error {
	b, err := getBlob(tx, id)
	if err != nil {
		return err
	}
	if b.Refs > 1 {
		b.Refs--
		return tx.Set(blobKey(id), encodeBlob(&b))
	}
	b.Refs = 0
	if b.Hashed {
		// The content index names this blob no more; another one may have taken the key.
		key := contentKey(&b)
		switch v, err := tx.Get(key); {
		case err == nil && bytes.Equal(v, id[:]):
			if err := tx.Delete(key); err != nil {
				return err
			}
		case err != nil && !errors.Is(err, kv.ErrNotFound):
			return err
		}
	}
	return errors.Join(tx.Delete(blobKey(id)), tx.Set(gcKey(id), encodeBlob(&b)))
}

// contentKey is the content index key of a hashed blob: its bytes and their coding.
func contentKey(b *blobLayout) []byte {
	return kv.Key(kv.PrefixContent).Bytes(b.Hash[:]).Uint64(uint64(b.Size)).
		Uint32(uint32(b.K)).Uint32(uint32(b.N)).Uint32(uint32(b.Chunk))
}

// Deduplication. An uploaded object's bytes are written before their hash is known, so the
// engine cannot skip the write; it can keep only one copy. At commit, a new blob whose content
// (SHA-256, size and coding) is already held by a live blob on usable spaces is dropped: the
// object references the old blob, one more reference, and the new shards are deleted once the
// commit is durable. Otherwise the new blob enters the content index. Reference counting does
// the rest: the shared blob goes only when its last object does. Parts of multipart uploads
// are not deduplicated.

// commitContent records the blob of freshly written content and returns the blob the object
// must name: c's own, or an existing live blob with the same content.
func (e *Engine) commitContent(tx kv.Tx, c *content) (BlobID, error) {
	b := c.blob
	b.Hashed, b.Hash = true, c.sha
	key := contentKey(b)
	switch v, err := tx.Get(key); {
	case err == nil && len(v) == len(BlobID{}):
		old, err := getBlob(tx, BlobID(v))
		switch {
		case err == nil && e.usableLayout(&old):
			old.Refs++
			return old.ID, tx.Set(blobKey(old.ID), encodeBlob(&old))
		case err != nil && KindOf(err) != KindNotFound:
			return BlobID{}, err
		}
		// Gone or damaged: the new blob takes the key over.
	case err != nil && !errors.Is(err, kv.ErrNotFound):
		return BlobID{}, err
	}
	if err := putNewBlob(tx, b); err != nil {
		return BlobID{}, err
	}
	if b.Deferred {
		if err := tx.Set(blobDataKey(b.ID), encodeBlobData(c.data)); err != nil {
			return BlobID{}, err
		}
	}
	return b.ID, tx.Set(key, b.ID[:])
}

// usableLayout reports whether every shard of b is on a registered space that is not down or
// draining: a blob worth sharing instead of a fresh, fully redundant copy.
func (e *Engine) usableLayout(b *blobLayout) bool {
	for _, id := range b.Spaces {
		v, ok := e.spaces.view(id)
		if !ok || v.sp == nil || v.health == HealthDown || v.info.Draining {
			return false
		}
	}
	return true
}

// releaseContent drops the references o's content holds: its segments and, for a multipart
// upload in progress, its parts.
func releaseContent(tx kv.Tx, o *Object) error {
	for _, s := range o.Segments {
		if err := releaseBlob(tx, s.Blob); err != nil {
			return err
		}
	}
	if o.InProgress() {
		return deleteParts(tx, o.ID)
	}
	return nil
}

// deleteObjectTx removes o from the index and releases its content.
func deleteObjectTx(tx kv.Tx, o *Object) error {
	if err := deleteObjectRecord(tx, o); err != nil {
		return err
	}
	return releaseContent(tx, o)
}
