package s3compat_test

//lint:file-ignore SA1019 manager.Uploader is deprecated in favour of transfermanager, but it is what deployed Go programs upload with, so it is the client to test.

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/minio/minio-go/v7"
	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/sigv4"
)

func TestManagerUploader(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	v.bucket("mgr")
	body := data(20, 20*mib+12345)
	want := `"` + multipartETag(body[:8*mib], body[8*mib:16*mib], body[16*mib:]) + `"`
	for _, srv := range []struct {
		name      string
		c         *s3.Client
		streaming bool
	}{{"tls", v.s3(), true}, {"http", v.client(v.plain, v.root), false}} {
		t.Run(srv.name, func(t *testing.T) {
			v.forget()
			key := "mgr/" + srv.name
			up := manager.NewUploader(srv.c, func(u *manager.Uploader) { u.PartSize = 8 * mib; u.Concurrency = 3 })
			out, err := up.Upload(t.Context(), &s3.PutObjectInput{Bucket: aws.String("mgr"), Key: aws.String(key), Body: bytes.NewReader(body)})
			require.NoError(t, err)
			require.Equal(t, want, aws.ToString(out.ETag))
			require.Equal(t, body, v.get("mgr", key))
			parts := v.requests("PUT", "partNumber=")
			require.Len(t, parts, 3)
			for _, p := range parts {
				if srv.streaming {
					require.Equal(t, sigv4.StreamingUnsignedPayloadTrailer, p.payload, "over TLS the SDK sends aws-chunked with a trailer")
					require.Equal(t, "aws-chunked", p.encoding)
					require.Positive(t, p.length, "with a Content-Length")
					require.NotEmpty(t, p.trailer)
				} else {
					require.Len(t, p.payload, 64, "over HTTP the SDK signs the payload's hash")
				}
			}
			o := v.stat("mgr", key)
			require.Empty(t, o.Attrs.ContentEncoding, "aws-chunked is never stored")
			head, err := srv.c.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String("mgr"), Key: aws.String(key)})
			require.NoError(t, err)
			require.Empty(t, aws.ToString(head.ContentEncoding))
			require.Equal(t, int64(len(body)), aws.ToInt64(head.ContentLength))
		})
	}

	t.Run("single part streams through PutObject", func(t *testing.T) {
		small := data(21, 3*mib)
		up := manager.NewUploader(v.s3())
		_, err := up.Upload(t.Context(), &s3.PutObjectInput{Bucket: aws.String("mgr"), Key: aws.String("single"), Body: io.NopCloser(bytes.NewReader(small))})
		require.NoError(t, err)
		require.Equal(t, small, v.get("mgr", "single"))
	})

	t.Run("minio-go multipart", func(t *testing.T) {
		m := v.minio(v.root)
		info, err := m.PutObject(t.Context(), "mgr", "minio", bytes.NewReader(body[:11*mib]), 11*mib, minio.PutObjectOptions{PartSize: 5 * mib})
		require.NoError(t, err)
		require.Equal(t, multipartETag(body[:5*mib], body[5*mib:10*mib], body[10*mib:11*mib]), info.ETag)
		require.Equal(t, body[:11*mib], v.get("mgr", "minio"))
		require.Equal(t, strconv.Itoa(3), strings.Split(info.ETag, "-")[1])
	})
}
