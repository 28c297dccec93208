package engine

import (
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
	return errors.Join(tx.Delete(blobKey(id)), tx.Set(gcKey(id), encodeBlob(&b)))
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
