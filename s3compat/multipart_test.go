package s3compat_test

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/require"
)

// multipartETag computes S3's multipart ETag independently: the hex MD5 of the parts' binary
// MD5s, "-", and the number of parts.
func multipartETag(parts ...[]byte) string {
	var sums []byte
	for _, p := range parts {
		s := md5.Sum(p)
		sums = append(sums, s[:]...)
	}
	s := md5.Sum(sums)
	return fmt.Sprintf("%s-%d", hex.EncodeToString(s[:]), len(parts))
}

func TestMultipartUpload(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	v.bucket("mpu")
	c := v.s3()
	ctx := t.Context()
	parts := [][]byte{data(1, 5*mib), data(2, 5*mib+7), data(3, 1234)}

	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("big/obj"),
		ContentType: aws.String("video/x-test"), Metadata: map[string]string{"Who": "me"}, Tagging: aws.String("k=v")})
	require.NoError(t, err)
	require.Equal(t, "big/obj", aws.ToString(up.Key))
	require.Equal(t, "mpu", aws.ToString(up.Bucket))
	id := up.UploadId
	require.False(t, v.exists("mpu", "big/obj"), "an upload in progress is no object")
	l, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("mpu")})
	require.NoError(t, err)
	require.Empty(t, l.Contents)

	var done []types.CompletedPart
	for i := len(parts) - 1; i >= 0; i-- { // any order
		out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("mpu"), Key: aws.String("big/obj"), UploadId: id,
			PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(parts[i])})
		require.NoError(t, err)
		require.Equal(t, `"`+md5hex(parts[i])+`"`, aws.ToString(out.ETag))
		done = append([]types.CompletedPart{{PartNumber: aws.Int32(int32(i + 1)), ETag: out.ETag}}, done...)
	}
	// Re-uploading a part replaces it.
	_, err = c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("mpu"), Key: aws.String("big/obj"), UploadId: id,
		PartNumber: aws.Int32(3), Body: bytes.NewReader([]byte("replaced"))})
	require.NoError(t, err)
	out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("mpu"), Key: aws.String("big/obj"), UploadId: id,
		PartNumber: aws.Int32(3), Body: bytes.NewReader(parts[2])})
	require.NoError(t, err)
	done[2].ETag = out.ETag

	t.Run("list parts", func(t *testing.T) {
		lp, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String("mpu"), Key: aws.String("big/obj"), UploadId: id})
		require.NoError(t, err)
		require.Len(t, lp.Parts, 3)
		for i, p := range lp.Parts {
			require.Equal(t, int32(i+1), aws.ToInt32(p.PartNumber))
			require.Equal(t, int64(len(parts[i])), aws.ToInt64(p.Size))
			require.Equal(t, `"`+md5hex(parts[i])+`"`, aws.ToString(p.ETag))
		}
		require.False(t, aws.ToBool(lp.IsTruncated))
		var got []int32
		pg := s3.NewListPartsPaginator(c, &s3.ListPartsInput{Bucket: aws.String("mpu"), Key: aws.String("big/obj"), UploadId: id, MaxParts: aws.Int32(1)})
		for pg.HasMorePages() {
			out, err := pg.NextPage(ctx)
			require.NoError(t, err)
			for _, p := range out.Parts {
				got = append(got, aws.ToInt32(p.PartNumber))
			}
		}
		require.Equal(t, []int32{1, 2, 3}, got)
	})

	t.Run("list uploads", func(t *testing.T) {
		other, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("big/other")})
		require.NoError(t, err)
		third, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("small")})
		require.NoError(t, err)
		lu, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("mpu")})
		require.NoError(t, err)
		var keys []string
		for _, u := range lu.Uploads {
			keys = append(keys, aws.ToString(u.Key))
		}
		require.Equal(t, []string{"big/obj", "big/other", "small"}, keys)

		lu, err = c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("mpu"), Delimiter: aws.String("/")})
		require.NoError(t, err)
		require.Equal(t, []string{"big/"}, prefixesOf(lu.CommonPrefixes))
		require.Len(t, lu.Uploads, 1)

		lu, err = c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("mpu"), Prefix: aws.String("big/"), MaxUploads: aws.Int32(1)})
		require.NoError(t, err)
		require.Len(t, lu.Uploads, 1)
		require.True(t, aws.ToBool(lu.IsTruncated))
		lu, err = c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("mpu"), Prefix: aws.String("big/"),
			KeyMarker: lu.NextKeyMarker, UploadIdMarker: lu.NextUploadIdMarker})
		require.NoError(t, err)
		require.Len(t, lu.Uploads, 1)
		require.Equal(t, "big/other", aws.ToString(lu.Uploads[0].Key))

		for _, u := range []*s3.CreateMultipartUploadOutput{other, third} {
			_, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String("mpu"), Key: u.Key, UploadId: u.UploadId})
			require.NoError(t, err)
		}
	})

	t.Run("complete", func(t *testing.T) {
		res, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("big/obj"), UploadId: id,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: done}})
		require.NoError(t, err)
		want := `"` + multipartETag(parts...) + `"`
		require.Equal(t, want, aws.ToString(res.ETag))
		require.Equal(t, bytes.Join(parts, nil), v.get("mpu", "big/obj"))
		head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("mpu"), Key: aws.String("big/obj")})
		require.NoError(t, err)
		require.Equal(t, want, aws.ToString(head.ETag), "HEAD agrees with CompleteMultipartUpload")
		require.Equal(t, "video/x-test", aws.ToString(head.ContentType))
		require.Equal(t, map[string]string{"who": "me"}, head.Metadata)
		require.Equal(t, int32(3), aws.ToInt32(head.PartsCount))
		require.Equal(t, map[string]string{"k": "v"}, v.stat("mpu", "big/obj").Tags)

		l, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("mpu")})
		require.NoError(t, err)
		require.Len(t, l.Contents, 1)
		require.Equal(t, want, aws.ToString(l.Contents[0].ETag))

		attrs, err := c.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: aws.String("mpu"), Key: aws.String("big/obj"),
			ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesObjectParts, types.ObjectAttributesEtag}})
		require.NoError(t, err)
		require.Equal(t, int32(3), aws.ToInt32(attrs.ObjectParts.TotalPartsCount))
		require.Equal(t, strings.Trim(want, `"`), aws.ToString(attrs.ETag))

		// GET by part number.
		for i, p := range parts {
			out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("mpu"), Key: aws.String("big/obj"), PartNumber: aws.Int32(int32(i + 1))})
			require.NoError(t, err)
			b, err := io.ReadAll(out.Body)
			out.Body.Close()
			require.NoError(t, err)
			require.Equal(t, p, b)
			require.Equal(t, int32(3), aws.ToInt32(out.PartsCount))
		}
		hp, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("mpu"), Key: aws.String("big/obj"), PartNumber: aws.Int32(2)})
		require.NoError(t, err)
		require.Equal(t, int64(len(parts[1])), aws.ToInt64(hp.ContentLength))
		require.Equal(t, int32(3), aws.ToInt32(hp.PartsCount))
		_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("mpu"), Key: aws.String("big/obj"), PartNumber: aws.Int32(4)})
		requireAPIError(t, err, http.StatusRequestedRangeNotSatisfiable, "InvalidRange")

		// The upload is gone.
		_, err = c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String("mpu"), Key: aws.String("big/obj"), UploadId: id})
		requireAPIError(t, err, http.StatusNotFound, "NoSuchUpload")
	})

	t.Run("abort", func(t *testing.T) {
		up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("aborted")})
		require.NoError(t, err)
		_, err = c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("mpu"), Key: aws.String("aborted"), UploadId: up.UploadId,
			PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("part"))})
		require.NoError(t, err)
		_, err = c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("aborted"), UploadId: up.UploadId})
		require.NoError(t, err)
		_, err = c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String("mpu"), Key: aws.String("aborted"), UploadId: up.UploadId})
		requireAPIError(t, err, http.StatusNotFound, "NoSuchUpload")
		_, err = c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("mpu"), Key: aws.String("aborted"), UploadId: up.UploadId,
			PartNumber: aws.Int32(2), Body: bytes.NewReader([]byte("part"))})
		requireAPIError(t, err, http.StatusNotFound, "NoSuchUpload")
		_, err = c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("aborted"), UploadId: up.UploadId})
		requireAPIError(t, err, http.StatusNotFound, "NoSuchUpload")
		require.False(t, v.exists("mpu", "aborted"))
	})

	t.Run("bad upload ids and part numbers", func(t *testing.T) {
		_, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("mpu"), Key: aws.String("x"), UploadId: aws.String("garbage"),
			PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("part"))})
		requireAPIError(t, err, http.StatusNotFound, "NoSuchUpload")
		up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("x")})
		require.NoError(t, err)
		// The upload belongs to its key.
		_, err = c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("mpu"), Key: aws.String("y"), UploadId: up.UploadId,
			PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("part"))})
		requireAPIError(t, err, http.StatusNotFound, "NoSuchUpload")
		for _, n := range []string{"0", "10001", "-1", "x"} {
			r := v.raw("PUT", "/mpu/x?partNumber="+n+"&uploadId="+aws.ToString(up.UploadId), []byte("p"), nil)
			r.requireError(t, http.StatusBadRequest, "InvalidArgument")
		}
	})
}

func TestMultipartCompleteErrors(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	v.bucket("mpe")
	c := v.s3()
	ctx := t.Context()

	start := func(key string, parts ...[]byte) (*string, []types.CompletedPart) {
		t.Helper()
		up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("mpe"), Key: aws.String(key)})
		require.NoError(t, err)
		var done []types.CompletedPart
		for i, p := range parts {
			out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("mpe"), Key: aws.String(key), UploadId: up.UploadId,
				PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(p)})
			require.NoError(t, err)
			done = append(done, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.ETag})
		}
		return up.UploadId, done
	}
	complete := func(key string, id *string, parts []types.CompletedPart) error {
		_, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("mpe"), Key: aws.String(key), UploadId: id,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
		return err
	}

	t.Run("small non-last part", func(t *testing.T) {
		id, done := start("small", []byte("tiny"), []byte("last"))
		requireAPIError(t, complete("small", id, done), http.StatusBadRequest, "EntityTooSmall")
		require.False(t, v.exists("mpe", "small"))
		// The upload survives a failed completion; a small last part is fine.
		require.NoError(t, complete("small", id, done[1:2]))
		require.Equal(t, "last", string(v.get("mpe", "small")))
	})

	t.Run("wrong part ETag", func(t *testing.T) {
		id, done := start("wrongetag", []byte("only"))
		done[0].ETag = aws.String(`"` + md5hex([]byte("else")) + `"`)
		requireAPIError(t, complete("wrongetag", id, done), http.StatusBadRequest, "InvalidPart")
		require.False(t, v.exists("mpe", "wrongetag"))
	})

	t.Run("missing part", func(t *testing.T) {
		id, done := start("missing", data(1, 5*mib))
		done = append(done, types.CompletedPart{PartNumber: aws.Int32(2), ETag: done[0].ETag})
		requireAPIError(t, complete("missing", id, done), http.StatusBadRequest, "InvalidPart")
	})

	t.Run("part order", func(t *testing.T) {
		a, b := data(1, 5*mib), data(2, 5*mib)
		id, done := start("order", a, b)
		requireAPIError(t, complete("order", id, []types.CompletedPart{done[1], done[0]}), http.StatusBadRequest, "InvalidPartOrder")
	})

	t.Run("no parts", func(t *testing.T) {
		id, _ := start("none", []byte("x"))
		requireAPIError(t, complete("none", id, nil), http.StatusBadRequest, "MalformedXML")
		for _, body := range []string{"", "<CompleteMultipartUpload></CompleteMultipartUpload>"} {
			r := v.raw("POST", "/mpe/none?uploadId="+aws.ToString(id), []byte(body), nil)
			r.requireError(t, http.StatusBadRequest, "MalformedXML")
		}
		require.False(t, v.exists("mpe", "none"))
	})

	t.Run("malformed XML", func(t *testing.T) {
		id, _ := start("xml", []byte("x"))
		r := v.raw("POST", "/mpe/xml?uploadId="+aws.ToString(id), []byte("<CompleteMultipartUpload><Part>"), nil)
		r.requireError(t, http.StatusBadRequest, "MalformedXML")
	})

	t.Run("If-None-Match on an existing key", func(t *testing.T) {
		v.put("mpe", "exists", []byte("old"))
		id, done := start("exists", []byte("new"))
		_, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("mpe"), Key: aws.String("exists"), UploadId: id,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: done}, IfNoneMatch: aws.String("*")})
		requireAPIError(t, err, http.StatusPreconditionFailed, "PreconditionFailed")
		require.Equal(t, "old", string(v.get("mpe", "exists")))
	})
}

func TestUploadPartCopy(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	v.bucket("upc")
	c := v.s3()
	ctx := t.Context()
	src := data(9, 7*mib)
	v.put("upc", "source", src)
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("upc"), Key: aws.String("dest")})
	require.NoError(t, err)

	p1, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String("upc"), Key: aws.String("dest"), UploadId: up.UploadId,
		PartNumber: aws.Int32(1), CopySource: aws.String("upc/source"), CopySourceRange: aws.String(fmt.Sprintf("bytes=100-%d", 100+5*mib-1))})
	require.NoError(t, err)
	require.Equal(t, `"`+md5hex(src[100:100+5*mib])+`"`, aws.ToString(p1.CopyPartResult.ETag))
	p2, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String("upc"), Key: aws.String("dest"), UploadId: up.UploadId,
		PartNumber: aws.Int32(2), CopySource: aws.String("upc/source")})
	require.NoError(t, err)
	p3, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("upc"), Key: aws.String("dest"), UploadId: up.UploadId,
		PartNumber: aws.Int32(3), Body: bytes.NewReader([]byte("tail"))})
	require.NoError(t, err)

	t.Run("bad ranges and conditions", func(t *testing.T) {
		for _, rng := range []string{fmt.Sprintf("bytes=0-%d", len(src)), fmt.Sprintf("bytes=%d-%d", len(src), len(src)+1),
			"bytes=10-5", "bytes=-5", "bytes=5-", "rows=1-2", "bytes=1-2,4-5"} {
			_, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String("upc"), Key: aws.String("dest"), UploadId: up.UploadId,
				PartNumber: aws.Int32(4), CopySource: aws.String("upc/source"), CopySourceRange: aws.String(rng)})
			requireAPIError(t, err, http.StatusRequestedRangeNotSatisfiable, "InvalidRange")
		}
		_, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String("upc"), Key: aws.String("dest"), UploadId: up.UploadId,
			PartNumber: aws.Int32(4), CopySource: aws.String("upc/source"), CopySourceIfMatch: aws.String(`"nope"`)})
		requireAPIError(t, err, http.StatusPreconditionFailed, "PreconditionFailed")
		_, err = c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String("upc"), Key: aws.String("dest"), UploadId: up.UploadId,
			PartNumber: aws.Int32(4), CopySource: aws.String("upc/absent")})
		requireAPIError(t, err, http.StatusNotFound, "NoSuchKey")
		lp, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String("upc"), Key: aws.String("dest"), UploadId: up.UploadId})
		require.NoError(t, err)
		require.Len(t, lp.Parts, 3, "failed copies add no part")
	})

	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("upc"), Key: aws.String("dest"), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{
			{PartNumber: aws.Int32(1), ETag: p1.CopyPartResult.ETag},
			{PartNumber: aws.Int32(2), ETag: p2.CopyPartResult.ETag},
			{PartNumber: aws.Int32(3), ETag: p3.ETag},
		}}})
	require.NoError(t, err)
	want := append(append(append([]byte{}, src[100:100+5*mib]...), src...), "tail"...)
	require.Equal(t, want, v.get("upc", "dest"))
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("upc"), Key: aws.String("dest")})
	require.NoError(t, err)
	require.Equal(t, `"`+multipartETag(src[100:100+5*mib], src, []byte("tail"))+`"`, aws.ToString(head.ETag))
}
