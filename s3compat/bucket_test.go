package s3compat_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/minio-go/v7"
	"github.com/stretchr/testify/require"
)

func TestBuckets(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	c := v.s3()
	ctx := t.Context()

	t.Run("create and list", func(t *testing.T) {
		for _, name := range []string{"alpha", "beta-1", "gamma.2"} {
			_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)})
			require.NoError(t, err)
		}
		out, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
		require.NoError(t, err)
		var got []string
		for _, b := range out.Buckets {
			got = append(got, aws.ToString(b.Name))
			require.NotNil(t, b.CreationDate)
		}
		require.Equal(t, []string{"alpha", "beta-1", "gamma.2"}, got)
		require.NotNil(t, out.Owner)
		require.NotEmpty(t, aws.ToString(out.Owner.ID))
	})

	t.Run("create with a location constraint body", func(t *testing.T) {
		_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("located"),
			CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraintEuWest1}})
		require.NoError(t, err)
	})

	t.Run("invalid names", func(t *testing.T) {
		for _, name := range []string{"ab", "UpperCase", "under_score", "-lead", "trail-", "a..b", "192.168.1.1",
			"waytoolong-" + string(slices.Repeat([]byte("x"), 60))} {
			// The SDK refuses some names client-side; send them by hand.
			r := v.raw("PUT", "/"+name, nil, nil)
			r.requireError(t, http.StatusBadRequest, "InvalidBucketName")
		}
	})

	t.Run("already owned by you", func(t *testing.T) {
		_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("alpha")})
		requireAPIError(t, err, http.StatusConflict, "BucketAlreadyOwnedByYou")
	})

	t.Run("owned by another user", func(t *testing.T) {
		_, bob := v.user("bob")
		bc := v.client(v.tls, bob)
		_, err := bc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("alpha")})
		requireAPIError(t, err, http.StatusConflict, "BucketAlreadyExists")
	})

	t.Run("head", func(t *testing.T) {
		out, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("alpha")})
		require.NoError(t, err)
		require.Equal(t, region, aws.ToString(out.BucketRegion))
		_, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("missing")})
		requireAPIError(t, err, http.StatusNotFound, "")
	})

	t.Run("location", func(t *testing.T) {
		out, err := c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("alpha")})
		require.NoError(t, err)
		require.Equal(t, types.BucketLocationConstraint(""), out.LocationConstraint) // us-east-1
		_, err = c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("missing")})
		requireAPIError(t, err, http.StatusNotFound, "NoSuchBucket")
	})

	t.Run("versioning", func(t *testing.T) {
		out, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String("alpha")})
		require.NoError(t, err)
		require.Empty(t, out.Status)
		require.Empty(t, out.MFADelete)
	})

	t.Run("delete", func(t *testing.T) {
		v.put("beta-1", "k", []byte("x"))
		_, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("beta-1")})
		requireAPIError(t, err, http.StatusConflict, "BucketNotEmpty")
		_, err = c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("beta-1"), Key: aws.String("k")})
		require.NoError(t, err)
		_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("beta-1")})
		require.NoError(t, err)
		_, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("beta-1")})
		requireAPIError(t, err, http.StatusNotFound, "")
		_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("beta-1")})
		requireAPIError(t, err, http.StatusNotFound, "NoSuchBucket")
	})

	t.Run("delete with an upload in progress", func(t *testing.T) {
		v.bucket("pending")
		_, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("pending"), Key: aws.String("k")})
		require.NoError(t, err)
		_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("pending")})
		require.NoError(t, err)
	})

	t.Run("minio-go", func(t *testing.T) {
		m := v.minio(v.root)
		require.NoError(t, m.MakeBucket(ctx, "from-minio", minio.MakeBucketOptions{Region: region}))
		ok, err := m.BucketExists(ctx, "from-minio")
		require.NoError(t, err)
		require.True(t, ok)
		ok, err = m.BucketExists(ctx, "nope-not-here")
		require.NoError(t, err)
		require.False(t, ok)
		bs, err := m.ListBuckets(ctx)
		require.NoError(t, err)
		var names []string
		for _, b := range bs {
			names = append(names, b.Name)
		}
		require.Contains(t, names, "from-minio")
		require.NoError(t, m.RemoveBucket(ctx, "from-minio"))
	})
}
