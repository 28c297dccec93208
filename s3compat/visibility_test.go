package s3compat_test

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine"
)

// The two front ends share one engine: what one writes, the other sees at once.

func TestCrossFrontEndVisibility(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	v.bucket("shared")
	ctx := t.Context()
	c := v.s3()
	b, err := v.e.GetBucketByName(ctx, "shared")
	require.NoError(t, err)

	t.Run("engine upload, S3 read", func(t *testing.T) {
		pkg, err := v.e.CreatePackage(ctx, b.ID, "dataset")
		require.NoError(t, err)
		files := []engine.UploadFile{
			{Path: "a.txt", Body: strings.NewReader("file a"), Size: 6},
			{Path: "dir/b.bin", Body: bytes.NewReader(data(1, 100<<10)), Size: 100 << 10},
			{Path: "dir/sub/c", Body: strings.NewReader("c"), Size: -1},
		}
		i := 0
		_, err = v.e.UploadObjects(ctx, engine.UploadInput{PackageID: pkg.ID}, func() (engine.UploadFile, error) {
			if i == len(files) {
				return engine.UploadFile{}, io.EOF
			}
			i++
			return files[i-1], nil
		})
		require.NoError(t, err)

		out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("shared"), Prefix: aws.String("dataset/")})
		require.NoError(t, err)
		var keys []string
		for _, o := range out.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
		require.Equal(t, []string{"dataset/a.txt", "dataset/dir/b.bin", "dataset/dir/sub/c"}, keys)
		require.Equal(t, `"`+md5hex([]byte("file a"))+`"`, aws.ToString(out.Contents[0].ETag), "native uploads have S3 ETags")

		out, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("shared"), Delimiter: aws.String("/")})
		require.NoError(t, err)
		require.Equal(t, []string{"dataset/"}, prefixesOf(out.CommonPrefixes))

		require.Equal(t, "file a", string(v.get("shared", "dataset/a.txt")))
		require.Equal(t, data(1, 100<<10), v.get("shared", "dataset/dir/b.bin"))
		head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("shared"), Key: aws.String("dataset/dir/sub/c")})
		require.NoError(t, err)
		require.Equal(t, int64(1), aws.ToInt64(head.ContentLength))
		require.Equal(t, "binary/octet-stream", aws.ToString(head.ContentType))

		// An S3 delete removes the engine's object.
		_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("shared"), Key: aws.String("dataset/a.txt")})
		require.NoError(t, err)
		_, err = v.e.GetObjectByPath(ctx, pkg.ID, "a.txt")
		require.Equal(t, engine.KindNotFound, engine.KindOf(err))
	})

	t.Run("S3 write, engine read", func(t *testing.T) {
		v.put("shared", "newpkg/x/y.txt", []byte("via s3"))
		v.put("shared", "rootkey", []byte("in the root package"))
		v.put("shared", "dir/", []byte("a directory marker"))

		pkg, err := v.e.GetPackageByName(ctx, "shared", "newpkg")
		require.NoError(t, err)
		o, err := v.e.GetObjectByPath(ctx, pkg.ID, "x/y.txt")
		require.NoError(t, err)
		require.Equal(t, int64(6), o.Size)
		rd, err := v.e.OpenObjectByPath(ctx, pkg.ID, "x/y.txt")
		require.NoError(t, err)
		got, err := io.ReadAll(rd)
		rd.Close()
		require.NoError(t, err)
		require.Equal(t, "via s3", string(got))

		root, err := v.e.GetPackageByName(ctx, "shared", engine.RootPackageName)
		require.NoError(t, err)
		for _, path := range []string{"rootkey", "dir/"} {
			_, err = v.e.GetObjectByPath(ctx, root.ID, path)
			require.NoError(t, err, "path %q", path)
		}

		// An engine delete removes what S3 lists.
		require.NoError(t, v.e.DeleteObjects(ctx, []engine.ObjectID{o.ID}))
		require.False(t, v.exists("shared", "newpkg/x/y.txt"))
		out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("shared"), Prefix: aws.String("newpkg/")})
		require.NoError(t, err)
		require.Empty(t, out.Contents)
	})

	t.Run("a bucket created by the engine", func(t *testing.T) {
		_, err := v.e.CreateBucket(ctx, engine.CreateBucketInput{Name: "native-made"})
		require.NoError(t, err)
		_, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("native-made")})
		require.NoError(t, err)
		v.put("native-made", "p/k", []byte("x"))
		require.Equal(t, "x", string(v.get("native-made", "p/k")))
	})
}
