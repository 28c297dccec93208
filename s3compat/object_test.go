package s3compat_test

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/minio-go/v7"
	"github.com/stretchr/testify/require"
)

func md5hex(b []byte) string {
	s := md5.Sum(b)
	return hex.EncodeToString(s[:])
}

func TestObjectRoundTrip(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	v.bucket("objs")
	ctx := t.Context()
	for _, size := range []int{0, 1, smallSize, smallSize + 1, 3*chunkSize + 17} {
		for _, srv := range []struct {
			name string
			c    *s3.Client
		}{{"tls", v.s3()}, {"http", v.client(v.plain, v.root)}} {
			t.Run(fmt.Sprintf("%s/%d", srv.name, size), func(t *testing.T) {
				key := fmt.Sprintf("size/%s/%d", srv.name, size)
				body := data(size, size)
				put, err := srv.c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("objs"), Key: aws.String(key), Body: bytes.NewReader(body)})
				require.NoError(t, err)
				require.Equal(t, `"`+md5hex(body)+`"`, aws.ToString(put.ETag))

				got, err := srv.c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("objs"), Key: aws.String(key)})
				require.NoError(t, err)
				b, err := io.ReadAll(got.Body)
				got.Body.Close()
				require.NoError(t, err)
				require.Equal(t, body, b)
				require.Equal(t, int64(size), aws.ToInt64(got.ContentLength))
				require.Equal(t, put.ETag, got.ETag)
				require.Equal(t, "application/octet-stream", aws.ToString(got.ContentType), "the SDK's default, stored")
				require.Equal(t, "bytes", aws.ToString(got.AcceptRanges))
				require.NotNil(t, got.LastModified)

				head, err := srv.c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("objs"), Key: aws.String(key)})
				require.NoError(t, err)
				require.Equal(t, int64(size), aws.ToInt64(head.ContentLength))
				require.Equal(t, put.ETag, head.ETag)
				require.Equal(t, got.LastModified, head.LastModified)
			})
		}
	}

	t.Run("overwrite", func(t *testing.T) {
		v.put("objs", "over", []byte("one"))
		v.put("objs", "over", []byte("two, longer"))
		require.Equal(t, []byte("two, longer"), v.get("objs", "over"))
	})

	t.Run("missing", func(t *testing.T) {
		c := v.s3()
		_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("objs"), Key: aws.String("nope")})
		requireAPIError(t, err, http.StatusNotFound, "NoSuchKey")
		_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("objs"), Key: aws.String("nope")})
		requireAPIError(t, err, http.StatusNotFound, "")
		_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("nobucket"), Key: aws.String("nope")})
		requireAPIError(t, err, http.StatusNotFound, "NoSuchBucket")
		_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("nobucket"), Key: aws.String("k"), Body: strings.NewReader("x")})
		requireAPIError(t, err, http.StatusNotFound, "NoSuchBucket")
	})

	t.Run("delete", func(t *testing.T) {
		c := v.s3()
		v.put("objs", "del", []byte("x"))
		_, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("objs"), Key: aws.String("del")})
		require.NoError(t, err)
		require.False(t, v.exists("objs", "del"))
		// Deleting a missing key succeeds, as in S3.
		_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("objs"), Key: aws.String("del")})
		require.NoError(t, err)
		v.put("objs", "del", []byte("x"))
		_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("objs"), Key: aws.String("del"), VersionId: aws.String("null")})
		require.NoError(t, err)
		require.False(t, v.exists("objs", "del"))
		_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("objs"), Key: aws.String("del"), VersionId: aws.String("3HL4kqtJlcpXroDTDmJ")})
		requireAPIError(t, err, http.StatusNotFound, "NoSuchVersion")
	})

	t.Run("version null", func(t *testing.T) {
		c := v.s3()
		v.put("objs", "ver", []byte("x"))
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("objs"), Key: aws.String("ver"), VersionId: aws.String("null")})
		require.NoError(t, err)
		out.Body.Close()
		_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("objs"), Key: aws.String("ver"), VersionId: aws.String("null")})
		require.NoError(t, err)
		_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("objs"), Key: aws.String("ver"), VersionId: aws.String("abc")})
		requireAPIError(t, err, http.StatusNotFound, "NoSuchVersion")
	})

	t.Run("minio-go", func(t *testing.T) {
		m := v.minio(v.root)
		body := data(7, 2*mib+5)
		info, err := m.PutObject(ctx, "objs", "minio/obj", bytes.NewReader(body), int64(len(body)), minio.PutObjectOptions{ContentType: "text/plain"})
		require.NoError(t, err)
		require.Equal(t, md5hex(body), info.ETag)
		o, err := m.GetObject(ctx, "objs", "minio/obj", minio.GetObjectOptions{})
		require.NoError(t, err)
		b, err := io.ReadAll(o)
		require.NoError(t, err)
		require.Equal(t, body, b)
		st, err := m.StatObject(ctx, "objs", "minio/obj", minio.StatObjectOptions{})
		require.NoError(t, err)
		require.Equal(t, "text/plain", st.ContentType)
		require.NoError(t, m.RemoveObject(ctx, "objs", "minio/obj", minio.RemoveObjectOptions{}))
		require.False(t, v.exists("objs", "minio/obj"))
	})

	t.Run("minio-go unknown size streams as multipart", func(t *testing.T) {
		m := v.minio(v.root)
		body := data(8, 6*mib+3)
		_, err := m.PutObject(ctx, "objs", "minio/stream", io.NopCloser(bytes.NewReader(body)), -1, minio.PutObjectOptions{PartSize: 5 * mib})
		require.NoError(t, err)
		require.Equal(t, body, v.get("objs", "minio/stream"))
	})
}

func TestDeleteObjects(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	v.bucket("multi")
	c := v.s3()
	ctx := t.Context()
	var keys []string
	for i := range 1000 {
		keys = append(keys, fmt.Sprintf("k/%04d", i))
	}
	v.fill("multi", keys)

	t.Run("1000 keys, verbose", func(t *testing.T) {
		var ids []types.ObjectIdentifier
		for _, k := range keys {
			ids = append(ids, types.ObjectIdentifier{Key: aws.String(k)})
		}
		out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String("multi"), Delete: &types.Delete{Objects: ids}})
		require.NoError(t, err)
		require.Len(t, out.Deleted, 1000)
		require.Empty(t, out.Errors)
		l, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("multi")})
		require.NoError(t, err)
		require.Empty(t, l.Contents)
	})

	t.Run("1001 keys", func(t *testing.T) {
		var ids []types.ObjectIdentifier
		for i := range 1001 {
			ids = append(ids, types.ObjectIdentifier{Key: aws.String(fmt.Sprint(i))})
		}
		_, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String("multi"), Delete: &types.Delete{Objects: ids}})
		requireAPIError(t, err, http.StatusBadRequest, "MalformedXML")
	})

	t.Run("quiet, versions and missing keys", func(t *testing.T) {
		v.fill("multi", []string{"a", "b", "c"})
		out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String("multi"), Delete: &types.Delete{Quiet: aws.Bool(true),
			Objects: []types.ObjectIdentifier{
				{Key: aws.String("a")},
				{Key: aws.String("b"), VersionId: aws.String("null")},
				{Key: aws.String("c"), VersionId: aws.String("other")},
				{Key: aws.String("never-was")},
			}}})
		require.NoError(t, err)
		require.Empty(t, out.Deleted, "quiet lists no successes")
		require.Len(t, out.Errors, 1)
		require.Equal(t, "c", aws.ToString(out.Errors[0].Key))
		require.Equal(t, "NoSuchVersion", aws.ToString(out.Errors[0].Code))
		require.False(t, v.exists("multi", "a"))
		require.False(t, v.exists("multi", "b"))
		require.True(t, v.exists("multi", "c"))
	})

	t.Run("minio-go", func(t *testing.T) {
		v.fill("multi", []string{"m1", "m2"})
		ch := make(chan minio.ObjectInfo, 2)
		ch <- minio.ObjectInfo{Key: "m1"}
		ch <- minio.ObjectInfo{Key: "m2"}
		close(ch)
		for e := range v.minio(v.root).RemoveObjects(ctx, "multi", ch, minio.RemoveObjectsOptions{}) {
			require.NoError(t, e.Err)
		}
		require.False(t, v.exists("multi", "m1"))
		require.False(t, v.exists("multi", "m2"))
	})
}

func TestRanges(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	v.bucket("rng")
	body := data(1, 3*chunkSize+100)
	v.put("rng", "obj", body)
	v.put("rng", "empty", nil)
	c := v.s3()
	ctx := t.Context()
	size := int64(len(body))

	cases := []struct {
		name, rng  string
		off, n     int64
		whole      bool
		wantStatus int
	}{
		{name: "first byte", rng: "bytes=0-0", off: 0, n: 1},
		{name: "middle", rng: "bytes=1000-299999", off: 1000, n: 299000},
		{name: "across chunks", rng: fmt.Sprintf("bytes=%d-%d", chunkSize-3, 2*chunkSize+3), off: chunkSize - 3, n: chunkSize + 7},
		{name: "suffix", rng: "bytes=-100", off: size - 100, n: 100},
		{name: "suffix longer than object", rng: fmt.Sprintf("bytes=-%d", size+10), off: 0, n: size},
		{name: "open", rng: "bytes=500-", off: 500, n: size - 500},
		{name: "end past size", rng: fmt.Sprintf("bytes=10-%d", size+1000), off: 10, n: size - 10},
		{name: "last byte", rng: fmt.Sprintf("bytes=%d-", size-1), off: size - 1, n: 1},
		{name: "multiple ranges: whole object", rng: "bytes=0-1,5-6", whole: true},
		{name: "not bytes: whole object", rng: "items=0-1", whole: true},
		{name: "reversed: whole object", rng: "bytes=9-3", whole: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("rng"), Key: aws.String("obj"), Range: aws.String(tc.rng)})
			require.NoError(t, err)
			b, err := io.ReadAll(out.Body)
			out.Body.Close()
			require.NoError(t, err)
			if tc.whole {
				require.Equal(t, body, b)
				require.Nil(t, out.ContentRange)
				return
			}
			require.Equal(t, body[tc.off:tc.off+tc.n], b)
			require.Equal(t, fmt.Sprintf("bytes %d-%d/%d", tc.off, tc.off+tc.n-1, size), aws.ToString(out.ContentRange))
			require.Equal(t, tc.n, aws.ToInt64(out.ContentLength))

			r := v.raw("GET", "/rng/obj", nil, http.Header{"Range": {tc.rng}})
			require.Equal(t, http.StatusPartialContent, r.status)
			h := v.raw("HEAD", "/rng/obj", nil, http.Header{"Range": {tc.rng}})
			require.Equal(t, http.StatusPartialContent, h.status)
			require.Equal(t, fmt.Sprint(tc.n), h.header.Get("Content-Length"))
		})
	}

	t.Run("unsatisfiable", func(t *testing.T) {
		for _, rng := range []string{fmt.Sprintf("bytes=%d-", size), fmt.Sprintf("bytes=%d-%d", size+5, size+10), "bytes=-0"} {
			_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("rng"), Key: aws.String("obj"), Range: aws.String(rng)})
			requireAPIError(t, err, http.StatusRequestedRangeNotSatisfiable, "InvalidRange")
			r := v.raw("GET", "/rng/obj", nil, http.Header{"Range": {rng}})
			r.requireError(t, http.StatusRequestedRangeNotSatisfiable, "InvalidRange")
			require.Empty(t, r.header.Get("Content-Range"))
		}
		_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("rng"), Key: aws.String("empty"), Range: aws.String("bytes=0-")})
		requireAPIError(t, err, http.StatusRequestedRangeNotSatisfiable, "InvalidRange")
	})

	t.Run("part numbers of a single-part object", func(t *testing.T) {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("rng"), Key: aws.String("obj"), PartNumber: aws.Int32(1)})
		require.NoError(t, err)
		b, err := io.ReadAll(out.Body)
		out.Body.Close()
		require.NoError(t, err)
		require.Equal(t, body, b, "part 1 is the whole object")
		_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("rng"), Key: aws.String("obj"), PartNumber: aws.Int32(2)})
		requireAPIError(t, err, http.StatusRequestedRangeNotSatisfiable, "InvalidRange")
		_, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("rng"), Key: aws.String("obj"), PartNumber: aws.Int32(2)})
		requireAPIError(t, err, http.StatusRequestedRangeNotSatisfiable, "")
		r := v.raw("GET", "/rng/obj?partNumber=0", nil, nil)
		r.requireError(t, http.StatusBadRequest, "InvalidArgument")
	})

	t.Run("minio-go", func(t *testing.T) {
		opts := minio.GetObjectOptions{}
		require.NoError(t, opts.SetRange(10, 19))
		o, err := v.minio(v.root).GetObject(ctx, "rng", "obj", opts)
		require.NoError(t, err)
		b, err := io.ReadAll(o)
		require.NoError(t, err)
		require.Equal(t, body[10:20], b)
	})
}

func TestResponseOverrides(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	v.bucket("ovr")
	_, err := v.s3().PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String("ovr"), Key: aws.String("k"), Body: strings.NewReader("hello"),
		ContentType: aws.String("text/plain"), CacheControl: aws.String("no-cache")})
	require.NoError(t, err)
	out, err := v.s3().GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String("ovr"), Key: aws.String("k"),
		ResponseContentType:        aws.String("application/x-test"),
		ResponseContentDisposition: aws.String(`attachment; filename="x.txt"`),
		ResponseContentEncoding:    aws.String("identity"),
		ResponseContentLanguage:    aws.String("fr"),
		ResponseCacheControl:       aws.String("max-age=60"),
		ResponseExpires:            aws.Time(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)),
	})
	require.NoError(t, err)
	out.Body.Close()
	require.Equal(t, "application/x-test", aws.ToString(out.ContentType))
	require.Equal(t, `attachment; filename="x.txt"`, aws.ToString(out.ContentDisposition))
	require.Equal(t, "identity", aws.ToString(out.ContentEncoding))
	require.Equal(t, "fr", aws.ToString(out.ContentLanguage))
	require.Equal(t, "max-age=60", aws.ToString(out.CacheControl))
	require.Equal(t, "Wed, 02 Jan 2030 03:04:05 GMT", aws.ToString(out.ExpiresString))

	// Overrides answer for one request only.
	head, err := v.s3().HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String("ovr"), Key: aws.String("k")})
	require.NoError(t, err)
	require.Equal(t, "text/plain", aws.ToString(head.ContentType))
	require.Equal(t, "no-cache", aws.ToString(head.CacheControl))
}

func TestReadConditions(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	v.bucket("cond")
	put := v.put("cond", "k", []byte("content"))
	etag := aws.ToString(put.ETag)
	mtime := v.stat("cond", "k").UpdateTime
	before := mtime.Add(-time.Hour).UTC().Format(http.TimeFormat)
	after := mtime.Add(time.Hour).UTC().Format(http.TimeFormat)
	same := mtime.UTC().Format(http.TimeFormat)

	cases := []struct {
		name   string
		hdr    http.Header
		status int
	}{
		{"If-Match matches", http.Header{"If-Match": {etag}}, 200},
		{"If-Match unquoted", http.Header{"If-Match": {strings.Trim(etag, `"`)}}, 200},
		{"If-Match list", http.Header{"If-Match": {`"nope", ` + etag}}, 200},
		{"If-Match star", http.Header{"If-Match": {"*"}}, 200},
		{"If-Match differs", http.Header{"If-Match": {`"0123"`}}, 412},
		{"If-None-Match matches", http.Header{"If-None-Match": {etag}}, 304},
		{"If-None-Match star", http.Header{"If-None-Match": {"*"}}, 304},
		{"If-None-Match differs", http.Header{"If-None-Match": {`"0123"`}}, 200},
		{"If-Modified-Since before", http.Header{"If-Modified-Since": {before}}, 200},
		{"If-Modified-Since after", http.Header{"If-Modified-Since": {after}}, 304},
		{"If-Modified-Since same second", http.Header{"If-Modified-Since": {same}}, 304},
		{"If-Unmodified-Since after", http.Header{"If-Unmodified-Since": {after}}, 200},
		{"If-Unmodified-Since before", http.Header{"If-Unmodified-Since": {before}}, 412},
		{"If-Match wins over If-Unmodified-Since", http.Header{"If-Match": {etag}, "If-Unmodified-Since": {before}}, 200},
		{"If-None-Match wins over If-Modified-Since", http.Header{"If-None-Match": {`"0123"`}, "If-Modified-Since": {after}}, 200},
		{"If-Match fails before If-None-Match", http.Header{"If-Match": {`"0123"`}, "If-None-Match": {etag}}, 412},
		{"bad date ignored", http.Header{"If-Modified-Since": {"yesterday"}}, 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, method := range []string{"GET", "HEAD"} {
				r := v.raw(method, "/cond/k", nil, tc.hdr)
				require.Equal(t, tc.status, r.status, "%s: %s", method, r.body)
				switch {
				case tc.status == 304:
					require.Empty(t, r.body)
					require.Equal(t, etag, r.header.Get("ETag"))
					require.NotEmpty(t, r.header.Get("Last-Modified"))
				case tc.status == 412 && method == "GET":
					r.requireError(t, 412, "PreconditionFailed")
				case tc.status == 200 && method == "GET":
					require.Equal(t, "content", string(r.body))
				}
			}
		})
	}

	t.Run("sdk", func(t *testing.T) {
		_, err := v.s3().GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String("cond"), Key: aws.String("k"), IfMatch: aws.String(`"abc"`)})
		requireAPIError(t, err, 412, "PreconditionFailed")
		_, err = v.s3().GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String("cond"), Key: aws.String("k"), IfNoneMatch: aws.String(etag)})
		requireAPIError(t, err, 304, "")
		_, err = v.s3().HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String("cond"), Key: aws.String("k"), IfUnmodifiedSince: aws.Time(mtime.Add(-time.Hour))})
		requireAPIError(t, err, 412, "")
	})
}

func TestWriteConditions(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	v.bucket("wcond")
	c := v.s3()
	ctx := t.Context()
	put := func(key, body string, f func(*s3.PutObjectInput)) error {
		in := &s3.PutObjectInput{Bucket: aws.String("wcond"), Key: aws.String(key), Body: strings.NewReader(body)}
		f(in)
		_, err := c.PutObject(ctx, in)
		return err
	}

	require.NoError(t, put("k", "first", func(in *s3.PutObjectInput) { in.IfNoneMatch = aws.String("*") }), "If-None-Match * on a new key")
	err := put("k", "second", func(in *s3.PutObjectInput) { in.IfNoneMatch = aws.String("*") })
	requireAPIError(t, err, http.StatusPreconditionFailed, "PreconditionFailed")
	require.Equal(t, "first", string(v.get("wcond", "k")))

	err = put("k", "third", func(in *s3.PutObjectInput) { in.IfMatch = aws.String(`"0123456789abcdef0123456789abcdef"`) })
	requireAPIError(t, err, http.StatusPreconditionFailed, "PreconditionFailed")
	require.Equal(t, "first", string(v.get("wcond", "k")))

	require.NoError(t, put("k", "fourth", func(in *s3.PutObjectInput) { in.IfMatch = aws.String(`"` + md5hex([]byte("first")) + `"`) }))
	require.Equal(t, "fourth", string(v.get("wcond", "k")))

	err = put("absent", "x", func(in *s3.PutObjectInput) { in.IfMatch = aws.String(`"` + md5hex([]byte("x")) + `"`) })
	requireAPIError(t, err, http.StatusNotFound, "NoSuchKey")
	require.False(t, v.exists("wcond", "absent"))

	r := v.raw("PUT", "/wcond/k", []byte("x"), http.Header{"If-None-Match": {`"abc"`}})
	require.Equal(t, http.StatusNotImplemented, r.status)
	require.Equal(t, "fourth", string(v.get("wcond", "k")))
}

func TestMetadataHygiene(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	v.bucket("meta")

	t.Run("sdk", func(t *testing.T) {
		_, err := v.s3().PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String("meta"), Key: aws.String("k"), Body: strings.NewReader("x"),
			Metadata:           map[string]string{"Lower": "a", "MiXeD-Case": "B", "plain": "c"},
			ContentDisposition: aws.String("inline"), ContentLanguage: aws.String("en"), CacheControl: aws.String("max-age=1"),
			Expires: aws.Time(time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC)), ContentEncoding: aws.String("gzip")})
		require.NoError(t, err)
		head, err := v.s3().HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String("meta"), Key: aws.String("k")})
		require.NoError(t, err)
		require.Equal(t, map[string]string{"lower": "a", "mixed-case": "B", "plain": "c"}, head.Metadata)
		require.Equal(t, "inline", aws.ToString(head.ContentDisposition))
		require.Equal(t, "en", aws.ToString(head.ContentLanguage))
		require.Equal(t, "max-age=1", aws.ToString(head.CacheControl))
		require.Equal(t, "gzip", aws.ToString(head.ContentEncoding))
		require.Equal(t, "Wed, 01 Jan 2031 00:00:00 GMT", aws.ToString(head.ExpiresString))
		o := v.stat("meta", "k")
		require.Equal(t, map[string]string{"lower": "a", "mixed-case": "B", "plain": "c"}, o.Attrs.Meta)
	})

	t.Run("raw headers", func(t *testing.T) {
		hdr := http.Header{
			"X-Amz-Meta-Camel":    {"v1"},
			"X-Amz-Acl":           {"public-read"},
			"X-Amz-Storage-Class": {"STANDARD"},
			"X-Custom":            {"nope"},
			"Authorization-Extra": {"nope"},
			"Content-Encoding":    {"aws-chunked"},
			"Content-Type":        {"text/x-test"},
			"X-Amz-Website-Extra": {"nope"},
			"Origin":              {"https://example.com"},
		}
		r := v.raw("PUT", "/meta/raw", []byte("body"), hdr)
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		o := v.stat("meta", "raw")
		require.Equal(t, map[string]string{"camel": "v1"}, o.Attrs.Meta)
		require.Empty(t, o.Attrs.ContentEncoding, "aws-chunked is framing, never stored")
		require.Equal(t, "text/x-test", o.Attrs.ContentType)

		g := v.raw("GET", "/meta/raw", nil, nil)
		require.Equal(t, http.StatusOK, g.status)
		require.Equal(t, "v1", g.header.Get("X-Amz-Meta-Camel"))
		wire := v.wire(v.sign(v.newRequest(v.plain, "GET", "/meta/raw", nil), v.root, emptySHA256, time.Now()))
		require.Contains(t, wire, "\r\nx-amz-meta-camel: v1\r\n", "stored lower-case, sent as stored")
		for k := range g.header {
			lk := strings.ToLower(k)
			require.NotContains(t, []string{"x-custom", "x-amz-acl", "x-amz-storage-class", "content-encoding", "authorization-extra",
				"x-amz-website-extra", "x-amz-content-sha256", "x-amz-date", "authorization", "origin"}, lk, "header %s replayed", k)
		}
		require.Equal(t, "text/x-test", g.header.Get("Content-Type"))
	})

	t.Run("default content type", func(t *testing.T) {
		r := v.raw("PUT", "/meta/noct", []byte("body"), nil)
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		require.Empty(t, v.stat("meta", "noct").Attrs.ContentType)
		g := v.raw("GET", "/meta/noct", nil, nil)
		require.Equal(t, "binary/octet-stream", g.header.Get("Content-Type"))
		head, err := v.s3().HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String("meta"), Key: aws.String("noct")})
		require.NoError(t, err)
		require.Equal(t, "binary/octet-stream", aws.ToString(head.ContentType))
	})

	t.Run("aws-chunked among other codings", func(t *testing.T) {
		r := v.raw("PUT", "/meta/gz", []byte("body"), http.Header{"Content-Encoding": {"aws-chunked, gzip"}})
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		require.Equal(t, "gzip", v.stat("meta", "gz").Attrs.ContentEncoding)
	})

	t.Run("too large", func(t *testing.T) {
		r := v.raw("PUT", "/meta/big", []byte("x"), http.Header{"X-Amz-Meta-Big": {strings.Repeat("v", 2100)}})
		r.requireError(t, http.StatusBadRequest, "MetadataTooLarge")
		require.False(t, v.exists("meta", "big"))
	})

	t.Run("minio-go user metadata", func(t *testing.T) {
		m := v.minio(v.root)
		_, err := m.PutObject(t.Context(), "meta", "mk", strings.NewReader("x"), 1, minio.PutObjectOptions{UserMetadata: map[string]string{"Hello": "World"}})
		require.NoError(t, err)
		st, err := m.StatObject(t.Context(), "meta", "mk", minio.StatObjectOptions{})
		require.NoError(t, err)
		require.Equal(t, "World", st.UserMetadata["Hello"])
		require.Equal(t, map[string]string{"hello": "World"}, v.stat("meta", "mk").Attrs.Meta)
	})
}

func TestKeyRoundTrips(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	v.bucket("keys")
	long := strings.Repeat("k", 1024)
	longPkg := "pkg/" + strings.Repeat("é", 510) // 4 + 1020 bytes
	keys := []string{"a", "a/b", "/lead", "trail/", "a//b", "../x", "./y", "pkg/", "pkg/..", "pkg/./z", "pkg//double",
		"ünïcödé", "日本/語", "sp ace/and+plus", "per%25cent", "semi;colon", "q?mark", "hash#tag", "tilde~", long, longPkg,
		"a/b/c/d/e/f", "emoji/😀"}
	require.Len(t, longPkg, 1024)
	c := v.s3()
	ctx := t.Context()
	for _, k := range keys {
		v.put("keys", k, []byte("body of "+k))
	}
	for _, k := range keys {
		require.Equal(t, []byte("body of "+k), v.get("keys", k), "key %q", k)
	}
	var listed []string
	for p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String("keys"), MaxKeys: aws.Int32(5)}); p.HasMorePages(); {
		out, err := p.NextPage(ctx)
		require.NoError(t, err)
		for _, o := range out.Contents {
			listed = append(listed, aws.ToString(o.Key))
		}
	}
	want := slices.Clone(keys)
	slices.Sort(want)
	require.Equal(t, want, listed)

	t.Run("raw paths are not cleaned", func(t *testing.T) {
		for _, k := range []string{"../x", "a//b", "/lead", "./y"} {
			r := v.raw("GET", "/keys/"+k, nil, nil)
			require.Equal(t, http.StatusOK, r.status, "key %q: %s", k, r.body)
			require.Equal(t, "body of "+k, string(r.body))
		}
	})

	t.Run("invalid keys", func(t *testing.T) {
		for _, k := range []string{"nul%00byte", "bad%FFutf8"} {
			r := v.raw("PUT", "/keys/"+k, []byte("x"), nil)
			require.Equal(t, http.StatusBadRequest, r.status, "key %q: %s", k, r.body)
			r.errDoc(t)
		}
	})

	t.Run("too long", func(t *testing.T) {
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("keys"), Key: aws.String(long + "x"), Body: strings.NewReader("x")})
		requireAPIError(t, err, http.StatusBadRequest, "")
	})

	t.Run("minio-go", func(t *testing.T) {
		m := v.minio(v.root)
		for _, k := range []string{"a", "a/b", "trail/", "a//b", "ünïcödé", "sp ace/and+plus"} {
			o, err := m.GetObject(ctx, "keys", k, minio.GetObjectOptions{})
			require.NoError(t, err)
			b, err := io.ReadAll(o)
			require.NoError(t, err, "key %q", k)
			require.Equal(t, "body of "+k, string(b))
		}
	})

	t.Run("delete", func(t *testing.T) {
		for _, k := range keys {
			_, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("keys"), Key: aws.String(k)})
			require.NoError(t, err, "key %q", k)
		}
		out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("keys")})
		require.NoError(t, err)
		require.Empty(t, out.Contents)
	})
}
