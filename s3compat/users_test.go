package s3compat_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/minio-go/v7"
	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine"
)

func TestUsers(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	ctx := t.Context()
	aliceID, alice := v.user("alice")
	bobID, bob := v.user("bob")
	a, b := v.client(v.tls, alice), v.client(v.tls, bob)
	root := v.s3()

	for _, name := range []string{"alice-1", "alice-2"} {
		_, err := a.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)})
		require.NoError(t, err)
	}
	_, err := b.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("bob-1")})
	require.NoError(t, err)
	v.bucket("root-1")
	_, err = a.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("alice-1"), Key: aws.String("secret"), Body: strings.NewReader("alice's")})
	require.NoError(t, err)
	up, err := a.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("alice-1"), Key: aws.String("mp")})
	require.NoError(t, err)

	t.Run("owners", func(t *testing.T) {
		ab, err := v.e.GetBucketByName(ctx, "alice-1")
		require.NoError(t, err)
		require.Equal(t, aliceID, ab.Owner)
		bb, err := v.e.GetBucketByName(ctx, "bob-1")
		require.NoError(t, err)
		require.Equal(t, bobID, bb.Owner)
		rb, err := v.e.GetBucketByName(ctx, "root-1")
		require.NoError(t, err)
		require.Equal(t, engine.RootUserID, rb.Owner)
	})

	t.Run("ListBuckets shows each user their own", func(t *testing.T) {
		names := func(c *s3.Client) []string {
			out, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
			require.NoError(t, err)
			var ns []string
			for _, bk := range out.Buckets {
				ns = append(ns, aws.ToString(bk.Name))
			}
			return ns
		}
		require.Equal(t, []string{"alice-1", "alice-2"}, names(a))
		require.Equal(t, []string{"bob-1"}, names(b))
		require.Equal(t, []string{"alice-1", "alice-2", "bob-1", "root-1"}, names(root))
	})

	t.Run("another user's bucket is AccessDenied", func(t *testing.T) {
		denied := func(err error) {
			t.Helper()
			requireAPIError(t, err, http.StatusForbidden, "AccessDenied")
		}
		_, err := b.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("alice-1")})
		denied(err)
		_, err = b.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String("alice-1")})
		denied(err)
		_, err = b.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("alice-1")})
		denied(err)
		_, err = b.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("alice-1")})
		denied(err)
		_, err = b.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("alice-1"), Key: aws.String("secret")})
		denied(err)
		_, err = b.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("alice-1"), Key: aws.String("secret")})
		requireAPIError(t, err, http.StatusForbidden, "")
		_, err = b.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("alice-1")})
		requireAPIError(t, err, http.StatusForbidden, "")
		_, err = b.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("alice-1")})
		denied(err)
		_, err = b.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: aws.String("alice-1"), Key: aws.String("secret")})
		denied(err)
		_, err = b.GetObjectAttributes(ctx, &s3.GetObjectAttributesInput{Bucket: aws.String("alice-1"), Key: aws.String("secret"),
			ObjectAttributes: []types.ObjectAttributes{types.ObjectAttributesEtag}})
		denied(err)

		_, err = b.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("alice-1"), Key: aws.String("secret"), Body: strings.NewReader("bob's")})
		denied(err)
		_, err = b.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("alice-1"), Key: aws.String("new"), Body: strings.NewReader("bob's")})
		denied(err)
		_, err = b.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: aws.String("alice-1"), Key: aws.String("secret"),
			Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("a"), Value: aws.String("b")}}}})
		denied(err)
		_, err = b.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("alice-1"), Key: aws.String("copied"), CopySource: aws.String("bob-1/x")})
		denied(err)
		_, err = b.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("bob-1"), Key: aws.String("stolen"), CopySource: aws.String("alice-1/secret")})
		denied(err)
		_, err = b.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("alice-1"), Key: aws.String("mp2")})
		denied(err)
		_, err = b.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("alice-1"), Key: aws.String("mp"), UploadId: up.UploadId,
			PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("x"))})
		denied(err)
		_, err = b.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String("alice-1"), Key: aws.String("mp"), UploadId: up.UploadId})
		denied(err)
		_, err = b.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("alice-1"), Key: aws.String("mp"), UploadId: up.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: aws.String(`"x"`)}}}})
		denied(err)
		_, err = b.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String("alice-1"), Key: aws.String("mp"), UploadId: up.UploadId})
		denied(err)

		bobUp, err := b.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("bob-1"), Key: aws.String("mp")})
		require.NoError(t, err)
		_, err = b.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: aws.String("bob-1"), Key: aws.String("mp"), UploadId: bobUp.UploadId,
			PartNumber: aws.Int32(1), CopySource: aws.String("alice-1/secret")})
		denied(err)

		_, err = b.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("alice-1"), Key: aws.String("secret")})
		denied(err)
		_, err = b.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String("alice-1"), Delete: &types.Delete{Objects: []types.ObjectIdentifier{{Key: aws.String("secret")}}}})
		denied(err)
		_, err = b.DeleteObjectTagging(ctx, &s3.DeleteObjectTaggingInput{Bucket: aws.String("alice-1"), Key: aws.String("secret")})
		denied(err)
		_, err = b.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("alice-2")})
		denied(err)

		// Nothing changed.
		require.Equal(t, "alice's", string(v.get("alice-1", "secret")))
		require.False(t, v.exists("alice-1", "new"))
		require.False(t, v.exists("bob-1", "stolen"))
		require.Empty(t, v.stat("alice-1", "secret").Tags)
		_, err = v.e.GetBucketByName(ctx, "alice-2")
		require.NoError(t, err)
		lp, err := a.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String("alice-1"), Key: aws.String("mp"), UploadId: up.UploadId})
		require.NoError(t, err)
		require.Empty(t, lp.Parts)
	})

	t.Run("minio-go", func(t *testing.T) {
		m := v.minio(bob)
		_, err := m.GetObject(ctx, "alice-1", "secret", minio.GetObjectOptions{})
		require.NoError(t, err) // minio-go's GetObject is lazy
		_, err = m.StatObject(ctx, "alice-1", "secret", minio.StatObjectOptions{})
		require.Error(t, err)
		require.Equal(t, http.StatusForbidden, minio.ToErrorResponse(err).StatusCode)
		err = m.RemoveObject(ctx, "alice-1", "secret", minio.RemoveObjectOptions{})
		require.Equal(t, "AccessDenied", minio.ToErrorResponse(err).Code)
		require.True(t, v.exists("alice-1", "secret"))
	})

	t.Run("root uses every bucket", func(t *testing.T) {
		require.Equal(t, "alice's", string(v.get("alice-1", "secret")))
		v.put("bob-1", "from-root", []byte("r"))
		_, err := b.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bob-1"), Key: aws.String("from-root")})
		require.NoError(t, err)
		out, err := root.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("alice-1"), FetchOwner: aws.Bool(true)})
		require.NoError(t, err)
		require.Len(t, out.Contents, 1)
		require.NotEqual(t, "", aws.ToString(out.Contents[0].Owner.ID))
	})

	t.Run("owners' own operations", func(t *testing.T) {
		_, err := b.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("bob-1"), Key: aws.String("k"), Body: strings.NewReader("bob's")})
		require.NoError(t, err)
		_, err = b.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("bob-1"), Key: aws.String("k2"), CopySource: aws.String("bob-1/k")})
		require.NoError(t, err)
		_, err = a.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("bob-1"), Key: aws.String("k2")})
		requireAPIError(t, err, http.StatusForbidden, "AccessDenied")
	})

	t.Run("deleted access key", func(t *testing.T) {
		require.NoError(t, v.e.DeleteAccessKey(ctx, bob.AccessKeyID))
		_, err := b.ListBuckets(ctx, &s3.ListBucketsInput{})
		requireAPIError(t, err, http.StatusForbidden, "InvalidAccessKeyId")
		_, bob2 := v.user("bob2")
		_, err = v.client(v.tls, bob2).ListBuckets(ctx, &s3.ListBucketsInput{})
		require.NoError(t, err)
	})
}
