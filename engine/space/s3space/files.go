package s3space

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/jointcloud/jcs/engine/space"
)

// The space.Files view is rooted at the bucket's root, not at Prefix: a path is an object key
// as it stands. S3 has no directories and no symbolic links, so a "directory" is a key prefix
// ending in '/', and every object whose key is a valid path is a regular file. Objects whose
// keys are not valid paths (directory markers ending in '/', keys with "//" or a leading '/')
// are not visited and cannot be opened.

// Walk implements space.Files. When an object is named dir, fn sees it alone, even if keys
// under dir+"/" exist as well (S3 allows both); otherwise Walk lists dir+"/" with
// ListObjectsV2, in byte order of keys. dir is missing, and Walk fails with
// space.ErrNotExist, when neither exists; a dir holding only skipped keys is empty, not
// missing.
func (s *Space) Walk(ctx context.Context, dir string, fn func(space.FileInfo) error) error {
	if dir != "" {
		if err := space.ValidatePath(dir); err != nil {
			return fmt.Errorf("s3space: walk: %w", err)
		}
		out, err := s.head(ctx, dir)
		if err == nil {
			return fn(space.FileInfo{Path: dir, Size: aws.ToInt64(out.ContentLength), ModTime: aws.ToTime(out.LastModified)})
		}
		if err := requestError(ctx, "walk", dir, err); !errors.Is(err, space.ErrNotExist) {
			return err
		}
	}
	return s.walkDir(ctx, dir, fn)
}

// walkDir calls fn for every file under dir, or under the root when dir is "".
func (s *Space) walkDir(ctx context.Context, dir string, fn func(space.FileInfo) error) error {
	keyPrefix := ""
	if dir != "" {
		keyPrefix = dir + "/"
	}
	var seen bool
	var fnErr error
	err := s.listKeys(ctx, keyPrefix, "", "", func(o types.Object) bool {
		seen = true
		p := aws.ToString(o.Key)
		if space.ValidatePath(p) != nil {
			return true
		}
		fnErr = fn(space.FileInfo{Path: p, Size: aws.ToInt64(o.Size), ModTime: aws.ToTime(o.LastModified)})
		return fnErr == nil
	}, func() int32 { return maxListKeys })
	switch {
	case fnErr != nil:
		return fnErr
	case err != nil:
		return requestError(ctx, "walk", keyPrefix, err)
	case dir != "" && !seen:
		return &RequestError{Op: "walk", Key: dir, Err: space.ErrNotExist}
	}
	return nil
}

// OpenFile implements space.Files with one GetObject. The body streams from the response and
// is read with ctx, so ctx must stay alive until the caller is done reading; the caller must
// Close it, which releases the connection.
func (s *Space) OpenFile(ctx context.Context, path string) (io.ReadCloser, space.FileInfo, error) {
	if err := space.ValidatePath(path); err != nil {
		return nil, space.FileInfo{}, fmt.Errorf("s3space: open file: %w", err)
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(path)})
	if err != nil {
		return nil, space.FileInfo{}, requestError(ctx, "open file", path, err)
	}
	info := space.FileInfo{Path: path, Size: aws.ToInt64(out.ContentLength), ModTime: aws.ToTime(out.LastModified)}
	return &fileBody{ctx: ctx, key: path, body: out.Body}, info, nil
}

// fileBody classifies the errors of a GetObject body, so that a dropped connection reads as a
// temporary error. io.EOF stays io.EOF.
type fileBody struct {
	ctx  context.Context
	key  string
	body io.ReadCloser
}

func (b *fileBody) Read(p []byte) (int, error) {
	n, err := b.body.Read(p)
	if err != nil && err != io.EOF {
		err = requestError(b.ctx, "read file", b.key, err)
	}
	return n, err
}

func (b *fileBody) Close() error { return b.body.Close() }

// WriteFile implements space.Files. The bytes travel as Put's do, and with the same
// guarantees: a failed WriteFile leaves path as it was. S3 has no directories to create.
func (s *Space) WriteFile(ctx context.Context, path string, r io.Reader, size int64) error {
	if err := space.ValidatePath(path); err != nil {
		return fmt.Errorf("s3space: write file: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("s3space: write file %s: %w", quote(path), err)
	}
	return s.upload(ctx, "write file", path, r, size)
}
