package s3compat_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/tags"
	"github.com/stretchr/testify/require"
)

func TestCopyObject(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	v.bucket("src")
	v.bucket("dst")
	c := v.s3()
	ctx := t.Context()
	body := data(3, 100<<10)
	put, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("src"), Key: aws.String("dir/orig name+1"), Body: strings.NewReader(string(body)),
		ContentType: aws.String("text/orig"), Metadata: map[string]string{"origin": "src"}, Tagging: aws.String("t1=v1")})
	require.NoError(t, err)
	etag := aws.ToString(put.ETag)
	mtime := v.stat("src", "dir/orig name+1").UpdateTime
	source := "src/" + url.PathEscape("dir/orig name+1")

	head := func(bucket, key string) *s3.HeadObjectOutput {
		t.Helper()
		out, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		require.NoError(t, err)
		return out
	}

	t.Run("COPY directive", func(t *testing.T) {
		out, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("copied"), CopySource: aws.String(source)})
		require.NoError(t, err)
		require.Equal(t, etag, aws.ToString(out.CopyObjectResult.ETag))
		require.NotNil(t, out.CopyObjectResult.LastModified)
		require.Equal(t, body, v.get("dst", "copied"))
		h := head("dst", "copied")
		require.Equal(t, "text/orig", aws.ToString(h.ContentType))
		require.Equal(t, map[string]string{"origin": "src"}, h.Metadata)
		require.Equal(t, map[string]string{"t1": "v1"}, v.stat("dst", "copied").Tags)
	})

	t.Run("REPLACE directive", func(t *testing.T) {
		_, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("replaced"), CopySource: aws.String(source),
			MetadataDirective: types.MetadataDirectiveReplace, ContentType: aws.String("text/new"), Metadata: map[string]string{"fresh": "yes"},
			TaggingDirective: types.TaggingDirectiveReplace, Tagging: aws.String("t2=v2")})
		require.NoError(t, err)
		h := head("dst", "replaced")
		require.Equal(t, "text/new", aws.ToString(h.ContentType))
		require.Equal(t, map[string]string{"fresh": "yes"}, h.Metadata, "REPLACE drops the old metadata")
		o := v.stat("dst", "replaced")
		require.Equal(t, map[string]string{"t2": "v2"}, o.Tags)
		require.Empty(t, o.Attrs.ContentEncoding)
		for k := range o.Attrs.Meta {
			require.NotContains(t, k, "copy", "request headers are not metadata")
		}
	})

	t.Run("bad directive", func(t *testing.T) {
		r := v.raw("PUT", "/dst/x", nil, http.Header{"X-Amz-Copy-Source": {source}, "X-Amz-Metadata-Directive": {"MERGE"}})
		r.requireError(t, http.StatusBadRequest, "InvalidArgument")
	})

	t.Run("source conditions", func(t *testing.T) {
		past, future := mtime.Add(-time.Hour), mtime.Add(time.Hour)
		cases := []struct {
			name string
			in   func(*s3.CopyObjectInput)
			ok   bool
		}{
			{"if-match ok", func(in *s3.CopyObjectInput) { in.CopySourceIfMatch = aws.String(etag) }, true},
			{"if-match wrong", func(in *s3.CopyObjectInput) { in.CopySourceIfMatch = aws.String(`"bad"`) }, false},
			{"if-none-match matching", func(in *s3.CopyObjectInput) { in.CopySourceIfNoneMatch = aws.String(etag) }, false},
			{"if-none-match other", func(in *s3.CopyObjectInput) { in.CopySourceIfNoneMatch = aws.String(`"bad"`) }, true},
			{"if-modified-since past", func(in *s3.CopyObjectInput) { in.CopySourceIfModifiedSince = aws.Time(past) }, true},
			{"if-modified-since future", func(in *s3.CopyObjectInput) { in.CopySourceIfModifiedSince = aws.Time(future) }, false},
			{"if-unmodified-since future", func(in *s3.CopyObjectInput) { in.CopySourceIfUnmodifiedSince = aws.Time(future) }, true},
			{"if-unmodified-since past", func(in *s3.CopyObjectInput) { in.CopySourceIfUnmodifiedSince = aws.Time(past) }, false},
			{"if-match beats if-unmodified-since", func(in *s3.CopyObjectInput) {
				in.CopySourceIfMatch = aws.String(etag)
				in.CopySourceIfUnmodifiedSince = aws.Time(past)
			}, true},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				key := "cond/" + strings.ReplaceAll(tc.name, " ", "-")
				in := &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String(key), CopySource: aws.String(source)}
				tc.in(in)
				_, err := c.CopyObject(ctx, in)
				if tc.ok {
					require.NoError(t, err)
					require.True(t, v.exists("dst", key))
					return
				}
				requireAPIError(t, err, http.StatusPreconditionFailed, "PreconditionFailed")
				require.False(t, v.exists("dst", key))
			})
		}
	})

	t.Run("destination write conditions", func(t *testing.T) {
		v.put("dst", "taken", []byte("keep"))
		_, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("taken"), CopySource: aws.String(source),
			IfNoneMatch: aws.String("*")})
		requireAPIError(t, err, http.StatusPreconditionFailed, "PreconditionFailed")
		require.Equal(t, "keep", string(v.get("dst", "taken")))
	})

	t.Run("onto itself", func(t *testing.T) {
		v.put("src", "self", []byte("me"))
		_, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("src"), Key: aws.String("self"), CopySource: aws.String("src/self")})
		requireAPIError(t, err, http.StatusBadRequest, "InvalidRequest")
		_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("src"), Key: aws.String("self"), CopySource: aws.String("src/self"),
			MetadataDirective: types.MetadataDirectiveReplace, Metadata: map[string]string{"touched": "1"}, ContentType: aws.String("text/self")})
		require.NoError(t, err)
		require.Equal(t, "me", string(v.get("src", "self")))
		h := head("src", "self")
		require.Equal(t, map[string]string{"touched": "1"}, h.Metadata)
		require.Equal(t, "text/self", aws.ToString(h.ContentType))
	})

	t.Run("source versions", func(t *testing.T) {
		_, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("vnull"), CopySource: aws.String(source + "?versionId=null")})
		require.NoError(t, err)
		_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("vother"), CopySource: aws.String(source + "?versionId=abc")})
		requireAPIError(t, err, http.StatusNotFound, "NoSuchVersion")
	})

	t.Run("missing source", func(t *testing.T) {
		_, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("m"), CopySource: aws.String("src/nothing")})
		requireAPIError(t, err, http.StatusNotFound, "NoSuchKey")
		_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("m"), CopySource: aws.String("nobucket/nothing")})
		requireAPIError(t, err, http.StatusNotFound, "NoSuchBucket")
		_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("nobucket"), Key: aws.String("m"), CopySource: aws.String(source)})
		requireAPIError(t, err, http.StatusNotFound, "NoSuchBucket")
		r := v.raw("PUT", "/dst/m", nil, http.Header{"X-Amz-Copy-Source": {"justabucket"}})
		r.requireError(t, http.StatusBadRequest, "InvalidArgument")
	})

	t.Run("leading slash in the source", func(t *testing.T) {
		_, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("dst"), Key: aws.String("slash"), CopySource: aws.String("/" + source)})
		require.NoError(t, err)
		require.Equal(t, body, v.get("dst", "slash"))
	})

	t.Run("minio-go", func(t *testing.T) {
		m := v.minio(v.root)
		_, err := m.CopyObject(ctx, minio.CopyDestOptions{Bucket: "dst", Object: "by-minio"}, minio.CopySrcOptions{Bucket: "src", Object: "dir/orig name+1"})
		require.NoError(t, err)
		require.Equal(t, body, v.get("dst", "by-minio"))
		_, err = m.CopyObject(ctx, minio.CopyDestOptions{Bucket: "dst", Object: "by-minio-2"},
			minio.CopySrcOptions{Bucket: "src", Object: "dir/orig name+1", MatchETag: "bad"})
		require.Error(t, err)
		require.Equal(t, "PreconditionFailed", minio.ToErrorResponse(err).Code)
	})
}

func TestTagging(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	v.bucket("tags")
	c := v.s3()
	ctx := t.Context()
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("tags"), Key: aws.String("k"), Body: strings.NewReader("body"),
		Tagging: aws.String("a=1&b=two%20words")})
	require.NoError(t, err)

	get := func() map[string]string {
		t.Helper()
		out, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String("tags"), Key: aws.String("k")})
		require.NoError(t, err)
		m := map[string]string{}
		for _, tg := range out.TagSet {
			m[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
		}
		return m
	}

	require.Equal(t, map[string]string{"a": "1", "b": "two words"}, get())
	h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("tags"), Key: aws.String("k")})
	require.NoError(t, err)
	_ = h
	r := v.raw("HEAD", "/tags/k", nil, nil)
	require.Equal(t, "2", r.header.Get("X-Amz-Tagging-Count"))

	_, err = c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String("tags"), Key: aws.String("k"),
		Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("z"), Value: aws.String("26")}, {Key: aws.String("y"), Value: aws.String("")}}}})
	require.NoError(t, err)
	require.Equal(t, map[string]string{"z": "26", "y": ""}, get())
	require.Equal(t, "body", string(v.get("tags", "k")), "tagging leaves the body alone")

	out, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String("tags"), Key: aws.String("k")})
	require.NoError(t, err)
	require.Equal(t, "y", aws.ToString(out.TagSet[0].Key), "tags sorted by key")

	_, err = c.DeleteObjectTagging(ctx, &s3.DeleteObjectTaggingInput{Bucket: aws.String("tags"), Key: aws.String("k")})
	require.NoError(t, err)
	require.Empty(t, get())
	require.Equal(t, "body", string(v.get("tags", "k")))

	t.Run("invalid", func(t *testing.T) {
		var eleven []types.Tag
		for i := range 11 {
			eleven = append(eleven, types.Tag{Key: aws.String(strings.Repeat("k", i+1)), Value: aws.String("v")})
		}
		for _, ts := range [][]types.Tag{
			eleven,
			{{Key: aws.String("dup"), Value: aws.String("1")}, {Key: aws.String("dup"), Value: aws.String("2")}},
			{{Key: aws.String(strings.Repeat("k", 129)), Value: aws.String("v")}},
			{{Key: aws.String("k"), Value: aws.String(strings.Repeat("v", 257))}},
		} {
			_, err := c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String("tags"), Key: aws.String("k"), Tagging: &types.Tagging{TagSet: ts}})
			requireAPIError(t, err, http.StatusBadRequest, "InvalidTag")
		}
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("tags"), Key: aws.String("bad"), Body: strings.NewReader("x"), Tagging: aws.String("a=1&a=2")})
		requireAPIError(t, err, http.StatusBadRequest, "InvalidTag")
		require.False(t, v.exists("tags", "bad"))
		r := v.raw("PUT", "/tags/k?tagging", []byte("<Tagging><TagSet><Tag>"), nil)
		r.requireError(t, http.StatusBadRequest, "MalformedXML")
	})

	t.Run("missing key", func(t *testing.T) {
		_, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String("tags"), Key: aws.String("nope")})
		requireAPIError(t, err, http.StatusNotFound, "NoSuchKey")
		_, err = c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String("tags"), Key: aws.String("nope"),
			Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}}})
		requireAPIError(t, err, http.StatusNotFound, "NoSuchKey")
		require.False(t, v.exists("tags", "nope"))
	})

	t.Run("minio-go", func(t *testing.T) {
		m := v.minio(v.root)
		tg, err := tags.NewTags(map[string]string{"m": "n"}, true)
		require.NoError(t, err)
		require.NoError(t, m.PutObjectTagging(ctx, "tags", "k", tg, minio.PutObjectTaggingOptions{}))
		got, err := m.GetObjectTagging(ctx, "tags", "k", minio.GetObjectTaggingOptions{})
		require.NoError(t, err)
		require.Equal(t, map[string]string{"m": "n"}, got.ToMap())
		require.NoError(t, m.RemoveObjectTagging(ctx, "tags", "k", minio.RemoveObjectTaggingOptions{}))
		o, err := m.GetObject(ctx, "tags", "k", minio.GetObjectOptions{})
		require.NoError(t, err)
		b, err := io.ReadAll(o)
		require.NoError(t, err)
		require.Equal(t, "body", string(b))
	})
}

func TestGetObjectAttributes(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	v.bucket("attrs")
	c := v.s3()
	ctx := t.Context()
	body := data(5, 1000)
	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("attrs"), Key: aws.String("k"), Body: strings.NewReader(string(body)),
		ChecksumAlgorithm: types.ChecksumAlgorithmSha256})
	require.NoError(t, err)

	out, err := c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: aws.String("attrs"), Key: aws.String("k"),
		ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesEtag, types.ObjectAttributesObjectSize,
			types.ObjectAttributesStorageClass, types.ObjectAttributesChecksum, types.ObjectAttributesObjectParts}})
	require.NoError(t, err)
	require.Equal(t, md5hex(body), aws.ToString(out.ETag), "unquoted, as S3 sends it")
	require.Equal(t, int64(1000), aws.ToInt64(out.ObjectSize))
	require.Equal(t, types.StorageClassStandard, out.StorageClass)
	require.NotNil(t, out.Checksum)
	require.Equal(t, sha256b64(body), aws.ToString(out.Checksum.ChecksumSHA256))
	require.Nil(t, out.ObjectParts, "a single PUT has no parts")
	require.NotNil(t, out.LastModified)

	out, err = c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: aws.String("attrs"), Key: aws.String("k"),
		ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesObjectSize}})
	require.NoError(t, err)
	require.Empty(t, aws.ToString(out.ETag), "only what was asked for")
	require.Nil(t, out.Checksum)

	r := v.raw("GET", "/attrs/k?attributes", nil, nil)
	r.requireError(t, http.StatusBadRequest, "InvalidRequest")
	r = v.raw("GET", "/attrs/k?attributes", nil, http.Header{"X-Amz-Object-Attributes": {"ETag,Color"}})
	r.requireError(t, http.StatusBadRequest, "InvalidArgument")
	_, err = c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: aws.String("attrs"), Key: aws.String("nope"),
		ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesEtag}})
	requireAPIError(t, err, http.StatusNotFound, "NoSuchKey")
}
