package engine

import (
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"math"
	"time"

	"github.com/jointcloud/jcs/kv"
)

// part is one uploaded part of a multipart upload: its own blob, referenced once by its record
// until the upload completes or is restarted.
type part struct {
	Index      uint32
	Blob       BlobID
	Size       int64
	CreateTime time.Time
	MD5        [16]byte // of the part's bytes: its S3 ETag
	Checksum   string   // the S3 checksum value the client declared, if any
}

// MaxPartIndex is the largest part index UploadPart accepts.
const MaxPartIndex = math.MaxInt32

// CreateMultipartUpload starts a multipart upload at path in a package and returns its object:
// in the multipartUpload state, with size 0 and a zero hash, visible in listings but not
// readable until completed. An object already at path becomes the upload, keeping its ID and
// create time; its content (or the parts of an earlier upload) is released.
//
// Errors: KindNotFound for a missing package, KindInvalid for a bad path.
func (e *Engine) CreateMultipartUpload(ctx context.Context, pkg PackageID, path string) (Object, error) {
	const op = "engine.CreateMultipartUpload"
	if err := validatePath(path); err != nil {
		return Object{}, &Error{Op: op, Kind: KindInvalid, Err: err}
	}
	id, err := e.seqObject.Next(ctx)
	if err != nil {
		return Object{}, wrap(op, err)
	}
	now := e.now()
	var o Object
	released := false
	err = e.kv.Update(ctx, func(tx kv.Tx) error {
		// Built afresh on every run: a rerun after a conflict must not keep an ID or create
		// time taken from an object that has moved away meanwhile.
		o = Object{
			ID: ObjectID(id), PackageID: pkg, Path: path, Redundancy: Redundancy{Type: RedundancyMultipart},
			CreateTime: now, UpdateTime: now,
		}
		released = false
		if _, err := getPackage(tx, pkg); err != nil {
			return err
		}
		old, exists, err := lookupObject(tx, pkg, path)
		if err != nil || !exists {
			return errors.Join(err, putObject(tx, &o))
		}
		o.ID, o.CreateTime, released = old.ID, old.CreateTime, true
		return errors.Join(releaseContent(tx, &old), putObject(tx, &o))
	})
	if err != nil {
		return Object{}, wrap(op, err)
	}
	if released {
		e.wakeCollector()
	}
	return o, nil
}

// UploadPart stores body as part index of a multipart upload, replacing any part with that
// index. size is the body's exact length, or -1. Parts are erasure-coded on the user spaces
// like any object data and survive restarts.
//
// Errors: KindNotFound for a missing object, KindPrecondition if it is not a multipart upload in
// progress, KindInvalid for an index outside [0, MaxPartIndex] or an unreadable body,
// KindUnavailable when too few user spaces can take shards.
func (e *Engine) UploadPart(ctx context.Context, obj ObjectID, index int, body io.Reader, size int64) error {
	const op = "engine.UploadPart"
	if index < 0 || index > MaxPartIndex {
		return errorf(op, KindInvalid, "part index %d outside [0, %d]", index, MaxPartIndex)
	}
	if _, err := e.uploadInProgress(ctx, obj); err != nil {
		return wrap(op, err)
	}
	spec := writeSpec{k: e.opts.DataShards, m: e.opts.ParityShards, chunk: e.opts.ChunkSize, size: size}
	b, err := e.writeBlob(ctx, body, spec)
	if err != nil {
		return wrap(op, err)
	}
	p := part{Index: uint32(index), Blob: b.ID, Size: b.Size, CreateTime: e.now()}
	replaced := false
	err = e.kv.Update(ctx, func(tx kv.Tx) error {
		replaced = false
		if _, err := uploadInProgressTx(tx, obj); err != nil {
			return err
		}
		v, err := tx.Get(partKey(obj, p.Index))
		if err == nil {
			old, err := decodePart(p.Index, v)
			if err != nil {
				return err
			}
			if err := releaseBlob(tx, old.Blob); err != nil {
				return err
			}
			replaced = true
		} else if !errors.Is(err, kv.ErrNotFound) {
			return err
		}
		return errors.Join(putNewBlob(tx, &b), tx.Set(partKey(obj, p.Index), encodePart(&p)))
	})
	switch {
	case errors.Is(err, kv.ErrCommitUnknown):
		e.blobs.unstage(b.ID) // the part may survive: its shards stay for the sweep to judge
		return wrap(op, err)
	case err != nil:
		e.discardBlob(ctx, b)
		return wrap(op, err)
	}
	e.blobs.unstage(b.ID)
	if replaced {
		e.wakeCollector()
	}
	return nil
}

// CompleteMultipartUpload finishes a multipart upload: the object's content becomes the
// listed parts joined in the listed order (an index may appear more than once), parts not
// listed are dropped, and the object gets its size and the SHA-256 of the joined content.
// Nothing is copied on the user spaces: the object refers to the parts' blobs. Computing the
// hash reads the parts once.
//
// Errors: KindNotFound for a missing object, KindPrecondition if it is not a multipart upload
// in progress or a listed part was replaced while completing, KindInvalid for an empty list or
// an index with no part.
func (e *Engine) CompleteMultipartUpload(ctx context.Context, obj ObjectID, indexes []int) (Object, error) {
	const op = "engine.CompleteMultipartUpload"
	if len(indexes) == 0 {
		return Object{}, errorf(op, KindInvalid, "no parts listed")
	}
	parts, blobs, err := e.listedParts(ctx, obj, indexes)
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
	sum, err := e.hashParts(ctx, blobs)
	if err != nil {
		return Object{}, wrap(op, err)
	}
	var o Object
	err = e.kv.Update(ctx, func(tx kv.Tx) (err error) {
		if o, err = completeTx(tx, obj, parts, blobs); err != nil {
			return err
		}
		o.SHA256, o.UpdateTime = sum, e.now()
		return putObject(tx, &o)
	})
	if err != nil {
		return Object{}, wrap(op, err)
	}
	e.wakeCollector()
	return o, nil
}

// listedParts loads the parts named by indexes, in order, with their blobs.
func (e *Engine) listedParts(ctx context.Context, obj ObjectID, indexes []int) ([]part, []blobLayout, error) {
	parts := make([]part, len(indexes))
	blobs := make([]blobLayout, len(indexes))
	err := e.kv.View(ctx, func(r kv.Reader) error {
		if _, err := uploadInProgressTx(r, obj); err != nil {
			return err
		}
		for i, index := range indexes {
			if index < 0 || index > MaxPartIndex {
				return errorf("", KindInvalid, "part index %d outside [0, %d]", index, MaxPartIndex)
			}
			v, err := get(r, partKey(obj, uint32(index)), func() error {
				return errorf("", KindInvalid, "part %d has not been uploaded", index)
			})
			if err != nil {
				return err
			}
			if parts[i], err = decodePart(uint32(index), v); err != nil {
				return err
			}
			if blobs[i], err = getBlob(r, parts[i].Blob); err != nil {
				return err
			}
		}
		return nil
	})
	return parts, blobs, err
}

// hashParts returns the SHA-256 of the blobs' contents joined in order.
func (e *Engine) hashParts(ctx context.Context, blobs []blobLayout) ([32]byte, error) {
	h := sha256.New()
	for i := range blobs {
		if err := e.readBlobRange(ctx, h, &blobs[i], 0, blobs[i].Size); err != nil {
			return [32]byte{}, err
		}
	}
	var sum [32]byte
	h.Sum(sum[:0])
	return sum, nil
}

// completeTx turns the upload into an object made of the listed parts. Each listed occurrence
// takes a reference on its part's blob; then every part record is deleted, dropping the
// reference it held, so unlisted parts are released.
func completeTx(tx kv.Tx, obj ObjectID, parts []part, blobs []blobLayout) (Object, error) {
	o, err := uploadInProgressTx(tx, obj)
	if err != nil {
		return Object{}, err
	}
	o.Size, o.Segments = 0, make([]Segment, len(parts))
	for i, p := range parts {
		v, err := tx.Get(partKey(obj, p.Index))
		if err != nil && !errors.Is(err, kv.ErrNotFound) {
			return Object{}, err
		}
		if now, derr := decodePart(p.Index, v); err != nil || derr != nil || now.Blob != p.Blob {
			return Object{}, errorf("", KindPrecondition, "part %d changed while completing; retry", p.Index)
		}
		if err := retainBlob(tx, p.Blob); err != nil {
			return Object{}, err
		}
		o.Segments[i] = Segment{Blob: p.Blob, Size: p.Size}
		o.Size += p.Size
	}
	o.Redundancy = blobs[0].redundancy()
	return o, deleteParts(tx, obj)
}

// uploadInProgress returns the object if it is a multipart upload in progress.
func (e *Engine) uploadInProgress(ctx context.Context, obj ObjectID) (o Object, err error) {
	err = e.kv.View(ctx, func(r kv.Reader) error {
		o, err = uploadInProgressTx(r, obj)
		return err
	})
	return o, err
}

func uploadInProgressTx(r kv.Reader, obj ObjectID) (Object, error) {
	o, err := getObject(r, obj)
	if err == nil && !o.InProgress() {
		err = errorf("", KindPrecondition, "object %d is not a multipart upload in progress", obj)
	}
	return o, err
}

// deleteParts deletes every part record of obj and releases the blobs they refer to.
func deleteParts(tx kv.Tx, obj ObjectID) error {
	var parts []part
	err := scanPrefix(tx, kv.Key(kv.PrefixPart).Uint64(uint64(obj)), func(k, v []byte) error {
		r := kv.NewKeyReader(k)
		r.Prefix()
		r.Uint64()
		p, err := decodePart(r.Uint32(), v)
		parts = append(parts, p)
		return errors.Join(err, r.Err())
	})
	if err != nil {
		return err
	}
	for _, p := range parts {
		if err := errors.Join(tx.Delete(partKey(obj, p.Index)), releaseBlob(tx, p.Blob)); err != nil {
			return err
		}
	}
	return nil
}
