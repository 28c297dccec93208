package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/jointcloud/jcs/kv"
)

// OpenObject returns a reader over the content of the object with the given ID. The caller
// must Close it. Errors: KindNotFound if there is no such object, KindPrecondition if it is a
// multipart upload in progress.
func (e *Engine) OpenObject(ctx context.Context, id ObjectID) (*ObjectReader, error) {
	const op = "engine.OpenObject"
	r, err := e.openObject(ctx, func(r kv.Reader) (Object, error) { return getObject(r, id) })
	return r, wrap(op, err)
}

// OpenObjectByPath is OpenObject for the object at path in a package.
func (e *Engine) OpenObjectByPath(ctx context.Context, pkg PackageID, path string) (*ObjectReader, error) {
	const op = "engine.OpenObjectByPath"
	r, err := e.openObject(ctx, func(r kv.Reader) (Object, error) { return getObjectByPath(r, pkg, path) })
	return r, wrap(op, err)
}

// openObject resolves an object and pins its blobs so the collector keeps their shards until
// the reader is closed. A blob found in one snapshot may be released and collected before the
// pin takes hold; so after pinning, openObject checks that every blob is still in the index
// (the collector only deletes shards of blobs that are not, and it checks pins after that), and
// resolves again if one is not.
func (e *Engine) openObject(ctx context.Context, lookup func(kv.Reader) (Object, error)) (*ObjectReader, error) {
	for range 8 {
		var o Object
		var blobs []blobLayout
		err := e.kv.View(ctx, func(r kv.Reader) (err error) {
			if o, err = lookup(r); err != nil {
				return err
			}
			if o.InProgress() {
				return errorf("", KindPrecondition, "object %d is a multipart upload that has not been completed", o.ID)
			}
			blobs, err = segmentBlobs(r, &o)
			return err
		})
		if err != nil {
			return nil, err
		}
		live, err := e.pinLive(ctx, blobs)
		if err != nil {
			return nil, err
		}
		if live {
			return &ObjectReader{Object: o, e: e, ctx: ctx, blobs: blobs}, nil
		}
	}
	return nil, errorf("", KindUnavailable, "object changed while being opened; try again")
}

// pinLive pins blobs found in an earlier snapshot and reports whether they are all still in the
// index. If they are, the collector, which deletes only shards of blobs gone from the index and
// checks pins after that, cannot take them until they are unpinned. If not, or on error, it
// unpins them again: the caller must look them up afresh.
func (e *Engine) pinLive(ctx context.Context, blobs []blobLayout) (bool, error) {
	ids := blobIDs(blobs)
	e.blobs.pin(ids...)
	live := true
	err := e.kv.View(ctx, func(r kv.Reader) error {
		for _, id := range ids {
			if _, err := getBlob(r, id); KindOf(err) == KindNotFound {
				live = false
			} else if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || !live {
		e.blobs.unpin(ids...)
	}
	return live && err == nil, err
}

func segmentBlobs(r kv.Reader, o *Object) ([]blobLayout, error) {
	blobs := make([]blobLayout, len(o.Segments))
	for i, s := range o.Segments {
		b, err := getBlob(r, s.Blob)
		if KindOf(err) == KindNotFound {
			// In one snapshot an object's blobs always have records: this is corruption.
			return nil, fmt.Errorf("engine: index inconsistent: object %d segment %d names blob %s, which has no record", o.ID, i, s.Blob)
		}
		if err != nil {
			return nil, fmt.Errorf("object %d segment %d: %w", o.ID, i, err)
		}
		blobs[i] = b
	}
	return blobs, nil
}

func blobIDs(blobs []blobLayout) []BlobID {
	ids := make([]BlobID, len(blobs))
	for i := range blobs {
		ids[i] = blobs[i].ID
	}
	return ids
}

// ObjectReader reads the content of one object as it was when it was opened, even if the
// object is replaced or deleted meanwhile. It is an io.WriterTo (the fast path: blocks go
// straight from the shards to the writer) and an io.Reader. The caller must Close it. Its
// methods use the context given to OpenObject. It is not safe for concurrent use.
type ObjectReader struct {
	// Object is the object being read.
	Object Object

	e      *Engine
	ctx    context.Context
	blobs  []blobLayout
	pr     *io.PipeReader // for Read, started on first use
	done   chan struct{}  // closed when the goroutine behind pr returns
	once   sync.Once
	closed bool
}

// WriteRange writes bytes [off, off+n) of the object to w and returns how many it wrote. It
// fails with KindInvalid if the range is not within the object, KindUnavailable if too few
// shards of some stripe can be read; an error after some bytes were written leaves w with a
// correct prefix of the range.
func (r *ObjectReader) WriteRange(w io.Writer, off, n int64) (int64, error) {
	const op = "engine.ObjectReader.WriteRange"
	if r.closed {
		return 0, errorf(op, KindInternal, "reader closed")
	}
	return r.writeRange(w, off, n)
}

func (r *ObjectReader) writeRange(w io.Writer, off, n int64) (int64, error) {
	const op = "engine.ObjectReader.WriteRange"
	if off < 0 || n < 0 || off > r.Object.Size || n > r.Object.Size-off {
		return 0, errorf(op, KindInvalid, "range [%d, %d) is outside the object's %d bytes", off, off+n, r.Object.Size)
	}
	cw := &countingWriter{w: w}
	var segStart int64
	for i, s := range r.Object.Segments {
		segEnd := segStart + s.Size
		if lo, hi := max(off, segStart), min(off+n, segEnd); lo < hi {
			if err := r.readSegment(cw, &r.blobs[i], lo-segStart, hi-lo); err != nil {
				r.e.stats.bytesRead.Add(cw.n)
				return cw.n, wrap(op, err)
			}
		}
		segStart = segEnd
	}
	r.e.stats.bytesRead.Add(cw.n)
	return cw.n, nil
}

func (r *ObjectReader) readSegment(w io.Writer, b *blobLayout, off, n int64) error {
	return r.e.readBlobRange(r.ctx, w, b, off, n)
}

// WriteTo writes the whole object to w.
func (r *ObjectReader) WriteTo(w io.Writer) (int64, error) {
	return r.WriteRange(w, 0, r.Object.Size)
}

// Read reads the object sequentially. It runs WriteTo on a goroutine behind a pipe, so prefer
// WriteTo or WriteRange where the consumer is an io.Writer.
func (r *ObjectReader) Read(p []byte) (int, error) {
	if r.closed {
		return 0, errors.New("engine: read from a closed ObjectReader")
	}
	r.once.Do(func() {
		pr, pw := io.Pipe()
		r.pr, r.done = pr, make(chan struct{})
		go func() {
			defer close(r.done)
			_, err := r.writeRange(pw, 0, r.Object.Size)
			pw.CloseWithError(err)
		}()
	})
	return r.pr.Read(p)
}

// Close releases the object's data to the collector. It must be called once; WriteRange must
// not be running.
func (r *ObjectReader) Close() error {
	if r.closed {
		return errors.New("engine: ObjectReader closed twice")
	}
	if r.pr != nil {
		r.pr.CloseWithError(errors.New("engine: ObjectReader closed"))
		<-r.done
	}
	r.closed = true
	r.e.blobs.unpin(blobIDs(r.blobs)...)
	return nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
