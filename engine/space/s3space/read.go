package s3space

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/jointcloud/jcs/engine/space"
)

// errClosed is returned by ReadAt after Close.
var errClosed = errors.New("s3space: read from closed reader")

// Open implements space.Space. It sends one HeadObject for the blob's size and ETag; each
// ReadAt is then one ranged GetObject. The reader reads with ctx: once ctx is done, ReadAt
// fails, so pass a context that lives as long as the reader is used. The caller must Close
// the reader, although it holds no connection between reads.
//
// If the blob is replaced or deleted after Open, ReadAt fails with an error wrapping
// space.ErrNotExist rather than return bytes of another blob: every GET is conditional on the
// ETag seen at Open (If-Match), and the ETag of the answer is checked as well, for servers that
// ignore the condition.
func (s *Space) Open(ctx context.Context, name string) (space.Reader, error) {
	if err := s.check(ctx, "open", name); err != nil {
		return nil, err
	}
	key := s.key(name)
	out, err := s.head(ctx, key)
	if err != nil {
		return nil, requestError(ctx, "open", key, err)
	}
	return &reader{s: s, ctx: ctx, key: key, size: aws.ToInt64(out.ContentLength), etag: aws.ToString(out.ETag)}, nil
}

// Stat implements space.Space with one HeadObject.
func (s *Space) Stat(ctx context.Context, name string) (space.Info, error) {
	if err := s.check(ctx, "stat", name); err != nil {
		return space.Info{}, err
	}
	out, err := s.head(ctx, s.key(name))
	if err != nil {
		return space.Info{}, requestError(ctx, "stat", s.key(name), err)
	}
	return space.Info{Name: name, Size: aws.ToInt64(out.ContentLength), ModTime: aws.ToTime(out.LastModified)}, nil
}

func (s *Space) head(ctx context.Context, key string) (*s3.HeadObjectOutput, error) {
	return s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
}

// Delete implements space.Space with one DeleteObject, which S3 answers with success whether
// or not the object existed. A server that reports a missing object anyway is forgiven.
func (s *Space) Delete(ctx context.Context, name string) error {
	if err := s.check(ctx, "delete", name); err != nil {
		return err
	}
	key := s.key(name)
	_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil {
		if err := requestError(ctx, "delete", key, err); !errors.Is(err, space.ErrNotExist) {
			return err
		}
	}
	return nil
}

// reader is the space.Reader that Open returns. It holds no connection: every ReadAt is a
// request of its own, so concurrent ReadAts are independent requests.
type reader struct {
	s      *Space
	ctx    context.Context
	key    string
	size   int64
	etag   string // "" if the server sent none; then changes go unnoticed
	closed atomic.Bool
}

// ReadAt implements io.ReaderAt with a GetObject of the bytes p covers within the blob. A read
// that reaches past the end returns io.EOF itself, unwrapped; reads wholly past the end send
// no request at all.
func (r *reader) ReadAt(p []byte, off int64) (int, error) {
	switch {
	case r.closed.Load():
		return 0, errClosed
	case off < 0:
		return 0, fmt.Errorf("s3space: read %s: negative offset %d", quote(r.key), off)
	case len(p) == 0:
		return 0, nil
	case off >= r.size:
		return 0, io.EOF
	}
	want := min(int64(len(p)), r.size-off)
	n, err := r.readRange(p[:want], off)
	if err != nil {
		return n, err
	}
	if want < int64(len(p)) {
		return n, io.EOF
	}
	return n, nil
}

// readRange fills p with the bytes at off, which all lie within the blob as Open saw it.
func (r *reader) readRange(p []byte, off int64) (int, error) {
	in := &s3.GetObjectInput{
		Bucket: aws.String(r.s.bucket),
		Key:    aws.String(r.key),
		Range:  aws.String(fmt.Sprintf("bytes=%d-%d", off, off+int64(len(p))-1)),
	}
	if r.etag != "" {
		in.IfMatch = aws.String(r.etag)
	}
	out, err := r.s.client.GetObject(r.ctx, in)
	if err != nil {
		return 0, r.error(err)
	}
	defer out.Body.Close()
	if got := aws.ToString(out.ETag); r.etag != "" && got != "" && got != r.etag {
		return 0, fmt.Errorf("s3space: read %s: blob replaced since open: %w", quote(r.key), space.ErrNotExist)
	}
	if out.ContentRange == nil && off > 0 {
		// The server ignored the range and sent the whole object.
		if _, err := io.CopyN(io.Discard, out.Body, off); err != nil {
			return 0, r.error(err)
		}
	}
	n, err := io.ReadFull(out.Body, p)
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF // the blob is at least off+len(p) bytes long
		}
		return n, r.error(err)
	}
	return n, nil
}

// error classifies a failed read. A failed precondition or an unsatisfiable range means the
// blob changed since Open, which the contract reports as a vanished blob.
func (r *reader) error(err error) error {
	status := httpStatus(err)
	changed := status == http.StatusPreconditionFailed || status == http.StatusRequestedRangeNotSatisfiable
	if changed && r.ctx.Err() == nil {
		return fmt.Errorf("s3space: read %s: blob replaced since open: %w", quote(r.key), space.ErrNotExist)
	}
	return requestError(r.ctx, "read", r.key, err)
}

func (r *reader) Size() int64 { return r.size }

// Close makes later ReadAts fail. There is nothing to release.
func (r *reader) Close() error {
	r.closed.Store(true)
	return nil
}
