package s3space

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/jointcloud/jcs/engine/space"
)

const (
	// defaultLimit is the number of blobs List returns when the caller passes limit <= 0.
	defaultLimit = 1000
	// maxListKeys is the most keys S3 returns per ListObjectsV2 request.
	maxListKeys = 1000
)

// List implements space.Space with ListObjectsV2 under Prefix+prefix, starting after
// Prefix+after. S3 lists keys in byte order of their UTF-8 encoding, which is the order the
// contract asks for. Objects whose names are not valid (directory markers ending in '/',
// probes in ProbeDir, files of other tools) are skipped, and List asks for more pages until
// it has limit blobs and one more, which tells whether another page exists.
//
// prefix and after are arbitrary strings, while S3 keys are UTF-8: List sends only their
// longest valid UTF-8 prefixes, which select a superset, and filters the rest itself.
func (s *Space) List(ctx context.Context, prefix, after string, limit int) ([]space.Info, string, error) {
	if limit <= 0 {
		limit = defaultLimit
	}
	var infos []space.Info
	err := s.listKeys(ctx, s.prefix+validPrefix(prefix), s.prefix, validPrefix(after), func(o types.Object) bool {
		name := strings.TrimPrefix(aws.ToString(o.Key), s.prefix)
		if !strings.HasPrefix(name, prefix) || name <= after || s.validateName(name) != nil {
			return true
		}
		infos = append(infos, space.Info{Name: name, Size: aws.ToInt64(o.Size), ModTime: aws.ToTime(o.LastModified)})
		return len(infos) <= limit
	}, func() int32 { return int32(min(limit+1-len(infos), maxListKeys)) })
	if err != nil {
		return nil, "", requestError(ctx, "list", s.prefix+prefix, err)
	}
	if len(infos) > limit {
		infos = infos[:limit]
		return infos, infos[limit-1].Name, nil
	}
	return infos, "", nil
}

// listKeys calls fn for every object whose key starts with keyPrefix, in key order, starting
// after base+after (when after is not empty), until fn returns false or the listing ends.
// pageSize returns the page size of the next request. Errors are the SDK's, unclassified.
func (s *Space) listKeys(ctx context.Context, keyPrefix, base, after string, fn func(types.Object) bool, pageSize func() int32) error {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(s.bucket)}
	if keyPrefix != "" {
		in.Prefix = aws.String(keyPrefix)
	}
	if after != "" {
		in.StartAfter = aws.String(base + after)
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		in.MaxKeys = aws.Int32(pageSize())
		out, err := s.client.ListObjectsV2(ctx, in)
		if err != nil {
			return err
		}
		for _, o := range out.Contents {
			if !strings.HasPrefix(aws.ToString(o.Key), keyPrefix) {
				continue // a server that ignores the prefix
			}
			if !fn(o) {
				return nil
			}
		}
		if !aws.ToBool(out.IsTruncated) || aws.ToString(out.NextContinuationToken) == "" {
			return nil
		}
		in.ContinuationToken = out.NextContinuationToken
	}
}

// validPrefix returns the longest prefix of s that is valid UTF-8. Every key that starts
// with s starts with it, and it sorts at or before s.
func validPrefix(s string) string {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return s[:i]
		}
		i += size
	}
	return s
}
