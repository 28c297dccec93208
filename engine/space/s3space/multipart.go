package s3space

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

const (
	// maxParts is S3's limit on the parts of one multipart upload.
	maxParts = 10_000
	// firstReadSize is how much memory a Put of unknown size starts with; it grows towards a
	// whole part only as the source keeps yielding, so small blobs stay cheap.
	firstReadSize = 64 << 10
	// abortTimeout bounds the abort of a failed upload, which runs even when the caller's
	// context is cancelled.
	abortTimeout = 30 * time.Second
)

// putParts uploads src, of unknown or very large size, in parts. A source that ends within the
// first part goes up as one PutObject.
func (s *Space) putParts(ctx context.Context, op, key string, src *source) error {
	partSize := s.tune.partSize
	if src.size > 0 {
		partSize = max(partSize, (src.size+maxParts-1)/maxParts)
	}
	first, last, err := src.readGrowing(int(partSize))
	switch {
	case err != nil:
		return err
	case last:
		return s.putObject(ctx, op, key, bytes.NewReader(first), int64(len(first)), bufferedUpload)
	}
	return s.multipart(ctx, op, key, src, first)
}

// readGrowing reads up to limit bytes from the source into a buffer that starts small and
// doubles as data keeps coming. last reports whether the source is exhausted.
func (s *source) readGrowing(limit int) (buf []byte, last bool, err error) {
	buf = make([]byte, 0, min(limit, firstReadSize))
	for {
		n, last, err := s.readPart(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil || last || len(buf) == limit {
			return buf, last, err
		}
		grown := make([]byte, len(buf), min(2*cap(buf), limit))
		copy(grown, buf)
		buf = grown
	}
}

// multipart uploads first, a whole part, and the rest of src as a multipart upload, and
// completes it. On failure it aborts the upload.
func (s *Space) multipart(ctx context.Context, op, key string, src *source, first []byte) error {
	out, err := s.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket: aws.String(s.bucket),
		Key:    aws.String(key),
	})
	if err != nil {
		return uploadError(ctx, op, key, err)
	}
	id := aws.ToString(out.UploadId)
	parts, err := s.uploadParts(ctx, op, key, id, src, first)
	if err == nil {
		_, err = s.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
			Bucket:          aws.String(s.bucket),
			Key:             aws.String(key),
			UploadId:        aws.String(id),
			MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
		})
		if err == nil {
			return nil
		}
		err = uploadError(ctx, op, key, err)
	}
	s.abort(ctx, key, id)
	return err
}

// partResult is the outcome of one UploadPart.
type partResult struct {
	etag *string
	err  error
}

// uploadParts sends first and the rest of src as parts of upload id. Each part is sent while
// the next one is read, so reading the source and sending overlap, and at most two part
// buffers exist.
func (s *Space) uploadParts(ctx context.Context, op, key, id string, src *source, first []byte) ([]types.CompletedPart, error) {
	var parts []types.CompletedPart
	cur, spare := first, make([]byte, len(first))
	last := false
	for num := int32(1); ; num++ {
		sent := make(chan partResult, 1)
		go func(data []byte) {
			etag, err := s.uploadPart(ctx, op, key, id, num, data)
			sent <- partResult{etag, err}
		}(cur)
		n, rerr := 0, error(nil)
		if !last {
			n, last, rerr = src.readPart(spare)
		}
		res := <-sent
		switch {
		case res.err != nil:
			return nil, res.err
		case rerr != nil:
			return nil, rerr
		}
		parts = append(parts, types.CompletedPart{ETag: res.etag, PartNumber: aws.Int32(num)})
		if n == 0 {
			return parts, nil
		}
		if num == maxParts {
			return nil, fmt.Errorf("s3space: %s %s: more than %d parts of %d bytes", op, quote(key), maxParts, len(first))
		}
		cur, spare = spare[:n], cur[:cap(cur)]
	}
}

// uploadPart sends one part from memory; the client retries it on transient failures.
func (s *Space) uploadPart(ctx context.Context, op, key, id string, num int32, data []byte) (*string, error) {
	out, err := s.client.UploadPart(ctx, &s3.UploadPartInput{
		Bucket:        aws.String(s.bucket),
		Key:           aws.String(key),
		UploadId:      aws.String(id),
		PartNumber:    aws.Int32(num),
		Body:          bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))),
	}, bufferedUpload)
	if err != nil {
		return nil, uploadError(ctx, op, key, err)
	}
	return out.ETag, nil
}

// abort aborts upload id of key, even when ctx is cancelled. It reports nothing: an upload it
// cannot abort stays invisible, and SweepTemp aborts it later.
func (s *Space) abort(ctx context.Context, key, id string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abortTimeout)
	defer cancel()
	s.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
		Bucket:   aws.String(s.bucket),
		Key:      aws.String(key),
		UploadId: aws.String(id),
	})
}

// SweepTemp implements space.TempSweeper: it aborts the multipart uploads under Prefix that
// were initiated before before, and returns how many it aborted. Such uploads are left by
// processes that crashed during a Put, or whose abort failed; they are invisible but S3 bills
// their parts. Pass a time well before the start of any Put still running: a Put whose upload
// is aborted fails. Uploads of WriteFile outside Prefix are not swept.
func (s *Space) SweepTemp(ctx context.Context, before time.Time) (int, error) {
	in := &s3.ListMultipartUploadsInput{Bucket: aws.String(s.bucket)}
	if s.prefix != "" {
		in.Prefix = aws.String(s.prefix)
	}
	removed := 0
	for {
		out, err := s.client.ListMultipartUploads(ctx, in)
		if errorCode(err) == "NoSuchUpload" {
			return removed, nil // gofakes3's answer for a bucket that never had an upload
		}
		if err != nil {
			return removed, requestError(ctx, "sweep", s.prefix, err)
		}
		for _, u := range out.Uploads {
			if u.Initiated == nil || !u.Initiated.Before(before) {
				continue
			}
			aborted, err := s.abortOld(ctx, u)
			if err != nil {
				return removed, err
			}
			if aborted {
				removed++
			}
		}
		if !aws.ToBool(out.IsTruncated) {
			return removed, nil
		}
		in.KeyMarker, in.UploadIdMarker = out.NextKeyMarker, out.NextUploadIdMarker
	}
}

// abortOld aborts an upload that SweepTemp found, and reports whether it did: one that is
// already gone, completed or aborted by someone else meanwhile, is not counted.
func (s *Space) abortOld(ctx context.Context, u types.MultipartUpload) (bool, error) {
	_, err := s.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
		Bucket:   aws.String(s.bucket),
		Key:      u.Key,
		UploadId: u.UploadId,
	})
	switch {
	case err == nil:
		return true, nil
	case errorCode(err) == "NoSuchUpload" || httpStatus(err) == http.StatusNotFound:
		return false, nil
	}
	return false, requestError(ctx, "sweep", aws.ToString(u.Key), err)
}
