package s3space

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// tuning holds the sizes that decide how an upload travels. Tests shrink them to reach every
// path with small blobs.
type tuning struct {
	// bufferMax is the largest known size read into memory first and sent as a retryable
	// PutObject. Empty blobs always go this way: a request without a body would never read
	// the source, so it could not tell an empty source from one that yields bytes.
	bufferMax int64
	// streamMax is the largest known size streamed from the source in one PutObject, which
	// cannot be retried because the source cannot be rewound. S3 allows 5 GiB.
	streamMax int64
	// partSize is the part size of multipart uploads; S3 requires at least 5 MiB for every
	// part but the last.
	partSize int64
}

var defaultTuning = tuning{bufferMax: 1 << 20, streamMax: 5 << 30, partSize: 16 << 20}

// Put implements space.Space. The bytes travel one of three ways:
//   - a known size up to 1 MiB is read into memory and sent as one PutObject, which the client
//     retries on transient failures;
//   - a known size up to 5 GiB streams from r in one PutObject with Content-Length set, never
//     held in memory; it is not retried, since r cannot be rewound;
//   - an unknown size, or more than 5 GiB, is read in parts of 16 MiB (more if 10,000 parts
//     would not hold the size) that go up as a multipart upload, reading the next part while
//     the previous one is sent, so at most two parts are in memory. A blob of unknown size
//     that fits in one part is sent as one PutObject instead.
//
// A failed Put publishes nothing: a PutObject whose body is cut short is discarded by S3, and
// a failed multipart upload is aborted, or, if even that fails, left for SweepTemp. One case
// escapes the contract, as it does for any remote store: when ctx is cancelled after the last
// byte is sent, S3 may have stored the blob although Put reports the cancellation.
//
// Put does not use r's io.WriterTo: the HTTP transport pulls the body, so WriteTo would only
// add a pipe. Put reads r until io.EOF, never closes it, and never touches it after returning,
// even though the transport may still hold the request body: it waits for a Read in progress
// instead.
func (s *Space) Put(ctx context.Context, name string, r io.Reader, size int64) error {
	if err := s.check(ctx, "put", name); err != nil {
		return err
	}
	return s.upload(ctx, "put", s.key(name), r, size)
}

// upload stores the bytes of r under key; Put and WriteFile share it. The source's own
// verdict (r's error, a size mismatch, a cancellation) takes precedence over the SDK's error,
// which is only the consequence.
func (s *Space) upload(ctx context.Context, op, key string, r io.Reader, size int64) error {
	src := newSource(ctx, r, size)
	err := s.uploadFrom(ctx, op, key, src)
	if serr := src.detach(); serr != nil {
		return fmt.Errorf("s3space: %s %s: %w", op, quote(key), serr)
	}
	return err
}

// uploadFrom chooses the way src travels; see Put.
func (s *Space) uploadFrom(ctx context.Context, op, key string, src *source) error {
	switch size := src.size; {
	case size == 0 || (size > 0 && size <= s.tune.bufferMax):
		data, err := src.readAll()
		if err != nil {
			return err
		}
		return s.putObject(ctx, op, key, bytes.NewReader(data), int64(len(data)), bufferedUpload)
	case size > 0 && size <= s.tune.streamMax:
		return s.putObject(ctx, op, key, src, size, streamingUpload)
	default:
		return s.putParts(ctx, op, key, src)
	}
}

// putObject sends body, of exactly size bytes, in one PutObject.
func (s *Space) putObject(ctx context.Context, op, key string, body io.Reader, size int64, opt func(*s3.Options)) error {
	_, err := s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(s.bucket),
		Key:           aws.String(key),
		Body:          body,
		ContentLength: aws.Int64(size),
	}, opt)
	if err != nil {
		return uploadError(ctx, op, key, err)
	}
	return nil
}
