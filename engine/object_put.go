package engine

import (
	"bytes"
	"cmp"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/jointcloud/jcs/kv"
)

// MaxUploadFiles bounds the files of one UploadObjects call: they commit in one transaction.
const MaxUploadFiles = 10000

// UploadInput says where UploadObjects puts its files.
type UploadInput struct {
	PackageID PackageID
	// Affinity is the user space preferred for each object's first shard; 0 for none.
	Affinity SpaceID
}

// UploadFile is one file of an upload.
type UploadFile struct {
	Path string
	Body io.Reader
	// Size is the exact length of Body if the caller knows it, else -1.
	Size int64
}

// UploadObjects stores the files that next returns, in order, as objects of a package, and
// returns them in the same order. next returns io.EOF after the last file; any other error
// aborts the upload. Each body is streamed to the user spaces as it is read and is not
// retained. A file whose path already holds an object replaces it, keeping its ID and create
// time.
//
// The upload is all or nothing: the objects become visible together, in one transaction,
// after every file's data is durable, and if anything fails (a bad path, a path given twice,
// a body that cannot be read, too few healthy spaces, the package deleted meanwhile) none of
// them is created or replaced and the data written so far is deleted.
//
// The affinity space, if set, must exist; when it cannot take shards (unavailable, full) the
// upload is placed elsewhere, since affinity is a preference.
//
// Errors: KindNotFound for a missing package, KindInvalid for a bad or repeated path, an
// unknown affinity space or an unreadable body, KindUnavailable when too few user spaces can
// take shards.
func (e *Engine) UploadObjects(ctx context.Context, in UploadInput, next func() (UploadFile, error)) ([]Object, error) {
	const op = "engine.UploadObjects"
	if _, err := e.GetPackage(ctx, in.PackageID); err != nil {
		return nil, wrap(op, err)
	}
	if in.Affinity != 0 && !e.spaces.registered(in.Affinity) {
		return nil, errorf(op, KindInvalid, "affinity: user space %d does not exist", in.Affinity)
	}
	var staged []stagedObject
	committed := false
	defer func() {
		if !committed {
			for _, s := range staged {
				e.discardContent(ctx, s.content)
			}
		}
	}()
	seen := make(map[string]bool)
	for {
		f, err := next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, wrap(op, wrapSource(err))
		}
		if err := validatePath(f.Path); err != nil {
			return nil, &Error{Op: op, Kind: KindInvalid, Err: err}
		}
		if len(staged) == MaxUploadFiles {
			return nil, errorf(op, KindInvalid, "more than %d files in one upload", MaxUploadFiles)
		}
		if seen[f.Path] {
			return nil, &Error{Op: op, Kind: KindInvalid, Path: f.Path, Err: errors.New("path appears twice in one upload")}
		}
		seen[f.Path] = true
		c, err := e.stageContent(ctx, f.Body, f.Size, nil, in.Affinity, true)
		if err != nil {
			return nil, &Error{Op: op, Kind: KindOf(err), Path: f.Path, Err: err}
		}
		staged = append(staged, stagedObject{path: f.Path, content: c})
	}
	objs, err := e.commitUploads(ctx, in.PackageID, staged)
	if errors.Is(err, kv.ErrCommitUnknown) {
		// The records may be visible and may survive: deleting their shards could leave
		// objects without data. Leave them; after a restart the sweep collects them if the
		// commit was lost.
		committed = true
		for _, s := range staged {
			e.unstageContent(s.content)
		}
	}
	if err != nil {
		return nil, wrap(op, err)
	}
	committed = true
	for _, s := range staged {
		e.unstageContent(s.content)
	}
	return objs, nil
}

// content is the data of an object written to the user spaces but not yet in the index.
type content struct {
	size int64
	sha  [32]byte
	md5  [16]byte
	blob *blobLayout // nil for empty content
	// data is the content of a deferred blob (blob.Deferred), to commit with it.
	data []byte
}

// etag returns the S3 ETag of an object made of this content alone.
func (c content) etag() string { return hex.EncodeToString(c.md5[:]) }

type stagedObject struct {
	path    string
	content content
}

func (c content) redundancy() Redundancy {
	if c.blob == nil {
		return Redundancy{Type: RedundancyNone}
	}
	return c.blob.redundancy()
}

func (c content) segments() []Segment {
	if c.blob == nil {
		return nil
	}
	return []Segment{{Blob: c.blob.ID, Size: c.size}}
}

// peekPool holds buffers of SmallObjectSize+1 bytes for reading small bodies ahead.
var peekPool sync.Pool

// stageContent writes body to the user spaces as a new staged blob, choosing its redundancy by
// size: bodies of at most SmallObjectSize bytes become ParityShards+1 replicas (the same fault
// tolerance as erasure coding, with fewer, smaller files), larger ones are erasure-coded.
//
// A body that may be small (its size is unknown or small) is read ahead up to SmallObjectSize+1
// bytes. If it all fits, it is written from memory, and when the write fails on an unavailable
// space it is placed once more, away from the spaces that just failed (which the failure took
// out of placement). A larger body streams and cannot be retried.
//
// With deferOK, a body of at most DeferMax bytes is not written at all: it comes back as a
// deferred blob whose content the caller commits with its record through commitContent (see
// deferred.go).
//
// A non-nil sha is the body's SHA-256 as the caller vouches for it (PutObjectInput.SHA256),
// used instead of hashing the body again.
func (e *Engine) stageContent(ctx context.Context, body io.Reader, size int64, sha *[32]byte, affinity SpaceID, deferOK bool) (content, error) {
	small := e.opts.SmallObjectSize
	declared := size
	var inMemory *bytes.Reader
	var peeked *[]byte
	if small >= 0 && size <= small {
		buf, _ := peekPool.Get().(*[]byte)
		if buf == nil || len(*buf) != int(small)+1 {
			b := make([]byte, small+1)
			buf = &b
		}
		defer peekPool.Put(buf)
		peeked = buf
		n, err := io.ReadFull(body, *buf)
		switch {
		case err == io.EOF || err == io.ErrUnexpectedEOF:
			inMemory = bytes.NewReader((*buf)[:n])
			body, size = inMemory, int64(n)
		case err != nil:
			return content{}, wrapSource(err)
		default:
			body = io.MultiReader(bytes.NewReader(*buf), body)
		}
		if declared >= 0 && (inMemory == nil || size != declared) {
			return content{}, &Error{Kind: KindInvalid, Err: fmt.Errorf("content does not match the announced %d bytes", declared)}
		}
	}
	if size == 0 {
		// Nothing to store, but the body must still be read to its end: a signed body is
		// verified at EOF.
		if n, err := io.Copy(io.Discard, body); err != nil || n != 0 {
			return content{}, wrapSource(cmp.Or(err, errors.New("content is longer than the announced 0 bytes")))
		}
		return content{sha: sha256.Sum256(nil), md5: md5.Sum(nil)}, nil
	}
	spec := writeSpec{k: e.opts.DataShards, m: e.opts.ParityShards, chunk: e.opts.ChunkSize, affinity: affinity, size: size}
	if size >= 0 && size <= small {
		spec.k = 1
	}
	if inMemory != nil && spec.k == 1 {
		spec.data = (*peeked)[:size]
	}
	if deferOK && spec.data != nil {
		c, ok, err := e.deferContent(spec.data, affinity)
		if err != nil || ok {
			c.md5 = md5.Sum(spec.data)
			if sha != nil {
				c.sha = *sha
			} else {
				c.sha = sha256.Sum256(spec.data)
			}
			return c, err
		}
	}
	h, m := sha256.New(), md5.New()
	spec.observers = []io.Writer{h, m} // each hashes on its own thread (see hashers)
	if sha != nil {
		spec.observers = []io.Writer{m}
	}
	b, err := e.writeBlob(ctx, body, spec)
	if err != nil && inMemory != nil && KindOf(err) == KindUnavailable && ctx.Err() == nil {
		inMemory.Seek(0, io.SeekStart)
		h.Reset()
		m.Reset()
		b, err = e.writeBlob(ctx, inMemory, spec)
	}
	if err != nil {
		return content{}, err
	}
	c := content{size: b.Size, blob: &b}
	if sha != nil {
		c.sha = *sha
	} else {
		h.Sum(c.sha[:0])
	}
	m.Sum(c.md5[:0])
	if b.Size == 0 {
		// An unknown-size body turned out empty: keep no blob for it.
		e.discardBlob(ctx, b)
		c.blob = nil
	}
	return c, nil
}

// discardContent deletes content that will not be committed. A deferred blob has nothing
// to delete.
func (e *Engine) discardContent(ctx context.Context, c content) {
	if c.blob != nil && !c.blob.Deferred {
		e.discardBlob(ctx, *c.blob)
	}
}

// unstageContent hands content whose commit went through (or may have) to the collector, or
// for a deferred blob to the placer.
func (e *Engine) unstageContent(c content) {
	switch {
	case c.blob == nil:
	case c.blob.Deferred:
		e.committedDeferred(c.size)
	default:
		e.blobs.unstage(c.blob.ID)
	}
}

// commitUploads makes staged objects visible in one transaction.
func (e *Engine) commitUploads(ctx context.Context, pkg PackageID, staged []stagedObject) ([]Object, error) {
	ids := make([]ObjectID, len(staged))
	for i := range ids {
		id, err := e.seqObject.Next(ctx)
		if err != nil {
			return nil, err
		}
		ids[i] = ObjectID(id)
	}
	now := e.now()
	var out []Object
	released := false
	dup := make([]bool, len(staged))
	err := e.kv.Update(ctx, func(tx kv.Tx) error {
		out, released = out[:0], false
		clear(dup)
		if _, err := getPackage(tx, pkg); err != nil {
			return err
		}
		for i, s := range staged {
			o := Object{
				ID: ids[i], PackageID: pkg, Path: s.path, Size: s.content.size, SHA256: s.content.sha,
				Redundancy: s.content.redundancy(), CreateTime: now, UpdateTime: now,
				Segments: s.content.segments(), ETag: s.content.etag(),
			}
			old, exists, err := lookupObject(tx, pkg, s.path)
			if err != nil {
				return err
			}
			if exists {
				o.ID, o.CreateTime = old.ID, old.CreateTime
				if err := releaseContent(tx, &old); err != nil {
					return fmt.Errorf("replacing %q: %w", s.path, err)
				}
				released = true
			}
			if s.content.blob != nil {
				id, err := e.commitContent(tx, &staged[i].content)
				if err != nil {
					return err
				}
				o.Segments[0].Blob = id
				dup[i] = id != s.content.blob.ID
			}
			if err := putObject(tx, &o); err != nil {
				return err
			}
			out = append(out, o)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	e.stats.objectsWritten.Add(int64(len(out)))
	for i := range staged {
		// The copy that lost to an existing blob is nobody's: delete it now. The others are
		// unstaged by the caller.
		if dup[i] {
			e.discardContent(ctx, staged[i].content)
			staged[i].content.blob = nil
		}
	}
	if released {
		e.wakeCollector()
	}
	return out, nil
}
