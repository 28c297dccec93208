package s3compat_test

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/crc64nvme"
	"github.com/stretchr/testify/require"
)

// checksumAlgorithms are S3's flexible checksums, each with an independent implementation.
var checksumAlgorithms = []struct {
	alg  types.ChecksumAlgorithm
	name string // header spelling
	new  func() hash.Hash
}{
	{types.ChecksumAlgorithmCrc32, "CRC32", func() hash.Hash { return crc32.NewIEEE() }},
	{types.ChecksumAlgorithmCrc32c, "CRC32C", func() hash.Hash { return crc32.New(crc32.MakeTable(crc32.Castagnoli)) }},
	{types.ChecksumAlgorithmCrc64nvme, "CRC64NVME", func() hash.Hash { return crc64nvme.New() }},
	{types.ChecksumAlgorithmSha1, "SHA1", sha1.New},
	{types.ChecksumAlgorithmSha256, "SHA256", sha256.New},
}

func sum64(newHash func() hash.Hash, b []byte) string {
	h := newHash()
	h.Write(b)
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

func sha256b64(b []byte) string { return sum64(sha256.New, b) }

func md5b64(b []byte) string {
	s := md5.Sum(b)
	return base64.StdEncoding.EncodeToString(s[:])
}

// checksumOf returns the checksum of alg a GetObject or HeadObject output carries.
func checksumOf(alg types.ChecksumAlgorithm, crc32v, crc32c, crc64, sha1v, sha256v *string) string {
	switch alg {
	case types.ChecksumAlgorithmCrc32:
		return aws.ToString(crc32v)
	case types.ChecksumAlgorithmCrc32c:
		return aws.ToString(crc32c)
	case types.ChecksumAlgorithmCrc64nvme:
		return aws.ToString(crc64)
	case types.ChecksumAlgorithmSha1:
		return aws.ToString(sha1v)
	}
	return aws.ToString(sha256v)
}

func TestChecksumsPutObject(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	v.bucket("sums")
	ctx := t.Context()
	body := data(11, 300<<10)
	for _, a := range checksumAlgorithms {
		for _, srv := range []struct {
			name string
			c    *s3.Client
		}{{"tls", v.s3()}, {"http", v.client(v.plain, v.root)}} {
			t.Run(a.name+"/"+srv.name, func(t *testing.T) {
				c := srv.c
				key := "sum/" + a.name + "/" + srv.name
				want := sum64(a.new, body)
				put, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("sums"), Key: aws.String(key), Body: bytes.NewReader(body), ChecksumAlgorithm: a.alg})
				require.NoError(t, err)
				require.Equal(t, want, checksumOf(a.alg, put.ChecksumCRC32, put.ChecksumCRC32C, put.ChecksumCRC64NVME, put.ChecksumSHA1, put.ChecksumSHA256))
				o := v.stat("sums", key)
				require.Equal(t, a.name, o.Checksum.Algorithm)
				require.Equal(t, want, o.Checksum.Value)
				require.Equal(t, "FULL_OBJECT", o.Checksum.Type)

				get, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("sums"), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
				require.NoError(t, err)
				b, err := io.ReadAll(get.Body) // the SDK validates the checksum at EOF
				get.Body.Close()
				require.NoError(t, err)
				require.Equal(t, body, b)
				require.Equal(t, want, checksumOf(a.alg, get.ChecksumCRC32, get.ChecksumCRC32C, get.ChecksumCRC64NVME, get.ChecksumSHA1, get.ChecksumSHA256))
				require.Equal(t, types.ChecksumTypeFullObject, get.ChecksumType)

				head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("sums"), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
				require.NoError(t, err)
				require.Equal(t, want, checksumOf(a.alg, head.ChecksumCRC32, head.ChecksumCRC32C, head.ChecksumCRC64NVME, head.ChecksumSHA1, head.ChecksumSHA256))

				ranged, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("sums"), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled,
					Range: aws.String("bytes=10-99")})
				require.NoError(t, err)
				b, err = io.ReadAll(ranged.Body)
				ranged.Body.Close()
				require.NoError(t, err)
				require.Equal(t, body[10:100], b)
				require.Empty(t, checksumOf(a.alg, ranged.ChecksumCRC32, ranged.ChecksumCRC32C, ranged.ChecksumCRC64NVME, ranged.ChecksumSHA1, ranged.ChecksumSHA256),
					"never a whole-object checksum on a ranged GET")

				// Without x-amz-checksum-mode, no checksum is sent.
				r := v.raw("GET", "/sums/"+key, nil, nil)
				require.Equal(t, http.StatusOK, r.status)
				require.Empty(t, r.header.Get("X-Amz-Checksum-"+a.name))
				r = v.raw("GET", "/sums/"+key, nil, http.Header{"X-Amz-Checksum-Mode": {"ENABLED"}, "Range": {"bytes=0-0"}})
				require.Equal(t, http.StatusPartialContent, r.status)
				require.Empty(t, r.header.Get("X-Amz-Checksum-"+a.name))
				r = v.raw("GET", "/sums/"+key, nil, http.Header{"X-Amz-Checksum-Mode": {"ENABLED"}})
				require.Equal(t, want, r.header.Get("X-Amz-Checksum-"+a.name))
			})
		}
	}

	t.Run("wrong checksum header", func(t *testing.T) {
		for _, a := range checksumAlgorithms {
			r := v.raw("PUT", "/sums/bad-"+a.name, []byte("hello"), http.Header{"X-Amz-Checksum-" + a.name: {sum64(a.new, []byte("other"))}})
			r.requireError(t, http.StatusBadRequest, "BadDigest")
			require.False(t, v.exists("sums", "bad-"+a.name))
		}
	})

	t.Run("two checksum headers", func(t *testing.T) {
		r := v.raw("PUT", "/sums/two", []byte("hello"), http.Header{
			"X-Amz-Checksum-Crc32":  {sum64(checksumAlgorithms[0].new, []byte("hello"))},
			"X-Amz-Checksum-Sha256": {sha256b64([]byte("hello"))},
		})
		r.requireError(t, http.StatusBadRequest, "InvalidRequest")
		require.False(t, v.exists("sums", "two"))
	})

	t.Run("sdk algorithm differs from the header", func(t *testing.T) {
		r := v.raw("PUT", "/sums/mismatch", []byte("hello"), http.Header{
			"X-Amz-Checksum-Sha256":        {sha256b64([]byte("hello"))},
			"X-Amz-Sdk-Checksum-Algorithm": {"CRC32"},
		})
		r.requireError(t, http.StatusBadRequest, "InvalidRequest")
	})
}

func TestContentMD5(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	v.bucket("md5s")
	c := v.s3()
	ctx := t.Context()
	body := []byte("the body")

	_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("md5s"), Key: aws.String("good"), Body: bytes.NewReader(body), ContentMD5: aws.String(md5b64(body))})
	require.NoError(t, err)
	require.True(t, v.exists("md5s", "good"))

	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("md5s"), Key: aws.String("bad"), Body: bytes.NewReader(body), ContentMD5: aws.String(md5b64([]byte("other")))})
	requireAPIError(t, err, http.StatusBadRequest, "BadDigest")
	require.False(t, v.exists("md5s", "bad"))

	// Over HTTP too, where the SDK signs the payload's hash.
	_, err = v.client(v.plain, v.root).PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("md5s"), Key: aws.String("bad"), Body: bytes.NewReader(body),
		ContentMD5: aws.String(md5b64([]byte("other")))})
	requireAPIError(t, err, http.StatusBadRequest, "BadDigest")
	require.False(t, v.exists("md5s", "bad"))

	r := v.raw("PUT", "/md5s/bad", body, http.Header{"Content-Md5": {"not base64!"}})
	r.requireError(t, http.StatusBadRequest, "InvalidDigest")
	require.False(t, v.exists("md5s", "bad"))

	// An overwrite with a bad digest leaves the old object.
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("md5s"), Key: aws.String("good"), Body: strings.NewReader("new"), ContentMD5: aws.String(md5b64(body))})
	requireAPIError(t, err, http.StatusBadRequest, "BadDigest")
	require.Equal(t, body, v.get("md5s", "good"))

	t.Run("upload part", func(t *testing.T) {
		up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("md5s"), Key: aws.String("mp")})
		require.NoError(t, err)
		_, err = c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("md5s"), Key: aws.String("mp"), UploadId: up.UploadId, PartNumber: aws.Int32(1),
			Body: bytes.NewReader(body), ContentMD5: aws.String(md5b64([]byte("other")))})
		requireAPIError(t, err, http.StatusBadRequest, "BadDigest")
		parts, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String("md5s"), Key: aws.String("mp"), UploadId: up.UploadId})
		require.NoError(t, err)
		require.Empty(t, parts.Parts)
	})
}

func TestChecksumsMultipart(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	v.bucket("mpsums")
	ctx := t.Context()
	parts := [][]byte{data(21, 5*mib), data(22, 100<<10)}
	whole := bytes.Join(parts, nil)
	for _, a := range checksumAlgorithms {
		// S3's types: COMPOSITE for all but CRC64NVME, FULL_OBJECT for the CRCs.
		typs := []types.ChecksumType{types.ChecksumTypeComposite}
		switch a.alg {
		case types.ChecksumAlgorithmCrc64nvme:
			typs = []types.ChecksumType{""} // FULL_OBJECT by default
		case types.ChecksumAlgorithmCrc32, types.ChecksumAlgorithmCrc32c:
			typs = append(typs, types.ChecksumTypeFullObject)
		}
		for _, typ := range typs {
			for _, srv := range []struct {
				name string
				c    *s3.Client
			}{{"tls", v.s3()}, {"http", v.client(v.plain, v.root)}} {
				t.Run(a.name+"/"+string(typ)+"/"+srv.name, func(t *testing.T) {
					c := srv.c
					key := "mp/" + a.name + "/" + string(typ) + "/" + srv.name
					up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("mpsums"), Key: aws.String(key),
						ChecksumAlgorithm: a.alg, ChecksumType: typ})
					require.NoError(t, err)
					require.Equal(t, a.alg, up.ChecksumAlgorithm)
					fullObject := typ == types.ChecksumTypeFullObject || a.alg == types.ChecksumAlgorithmCrc64nvme
					var done []types.CompletedPart
					var raw []byte
					for i, p := range parts {
						want := sum64(a.new, p)
						out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("mpsums"), Key: aws.String(key), UploadId: up.UploadId,
							PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(p), ChecksumAlgorithm: a.alg})
						require.NoError(t, err)
						require.Equal(t, want, checksumOf(a.alg, out.ChecksumCRC32, out.ChecksumCRC32C, out.ChecksumCRC64NVME, out.ChecksumSHA1, out.ChecksumSHA256))
						cp := types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32,
							ChecksumCRC32C: out.ChecksumCRC32C, ChecksumCRC64NVME: out.ChecksumCRC64NVME, ChecksumSHA1: out.ChecksumSHA1, ChecksumSHA256: out.ChecksumSHA256}
						done = append(done, cp)
						rb, err := base64.StdEncoding.DecodeString(want)
						require.NoError(t, err)
						raw = append(raw, rb...)
					}
					lp, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String("mpsums"), Key: aws.String(key), UploadId: up.UploadId})
					require.NoError(t, err)
					require.Len(t, lp.Parts, 2)
					require.Equal(t, sum64(a.new, parts[1]), checksumOf(a.alg, lp.Parts[1].ChecksumCRC32, lp.Parts[1].ChecksumCRC32C,
						lp.Parts[1].ChecksumCRC64NVME, lp.Parts[1].ChecksumSHA1, lp.Parts[1].ChecksumSHA256))

					out, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("mpsums"), Key: aws.String(key),
						UploadId: up.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: done}})
					require.NoError(t, err)
					require.Equal(t, whole, v.get("mpsums", key))

					// The expected value, computed independently: the whole object's checksum for
					// FULL_OBJECT, the checksum of the parts' digests and "-N" for COMPOSITE.
					want, wantType := sum64(a.new, whole), types.ChecksumTypeFullObject
					if !fullObject {
						want, wantType = fmt.Sprintf("%s-%d", sum64(a.new, raw), len(parts)), types.ChecksumTypeComposite
					}
					got := checksumOf(a.alg, out.ChecksumCRC32, out.ChecksumCRC32C, out.ChecksumCRC64NVME, out.ChecksumSHA1, out.ChecksumSHA256)
					require.Equal(t, want, got)
					require.Equal(t, wantType, out.ChecksumType)
					o := v.stat("mpsums", key)
					require.Equal(t, want, o.Checksum.Value)
					require.Equal(t, string(wantType), o.Checksum.Type)

					head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("mpsums"), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
					require.NoError(t, err)
					require.Equal(t, want, checksumOf(a.alg, head.ChecksumCRC32, head.ChecksumCRC32C, head.ChecksumCRC64NVME, head.ChecksumSHA1, head.ChecksumSHA256))
					require.Equal(t, wantType, head.ChecksumType)

					// A GET of the whole object: the SDK validates a FULL_OBJECT checksum.
					get, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("mpsums"), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
					require.NoError(t, err)
					b, err := io.ReadAll(get.Body)
					get.Body.Close()
					require.NoError(t, err)
					require.Equal(t, whole, b)
				})
			}
		}
	}

	t.Run("type not supported with the algorithm", func(t *testing.T) {
		for _, tc := range []struct {
			alg types.ChecksumAlgorithm
			typ types.ChecksumType
		}{{types.ChecksumAlgorithmSha256, types.ChecksumTypeFullObject}, {types.ChecksumAlgorithmCrc64nvme, types.ChecksumTypeComposite}} {
			_, err := v.s3().CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("mpsums"), Key: aws.String("x"),
				ChecksumAlgorithm: tc.alg, ChecksumType: tc.typ})
			requireAPIError(t, err, http.StatusBadRequest, "InvalidRequest")
		}
	})

	t.Run("part with another algorithm", func(t *testing.T) {
		c := v.s3()
		up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("mpsums"), Key: aws.String("mixed"), ChecksumAlgorithm: types.ChecksumAlgorithmSha256})
		require.NoError(t, err)
		_, err = c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("mpsums"), Key: aws.String("mixed"), UploadId: up.UploadId,
			PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("x")), ChecksumAlgorithm: types.ChecksumAlgorithmCrc32})
		requireAPIError(t, err, http.StatusBadRequest, "InvalidRequest")
	})

	t.Run("complete lists a wrong part checksum", func(t *testing.T) {
		c := v.s3()
		up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("mpsums"), Key: aws.String("wrongsum"), ChecksumAlgorithm: types.ChecksumAlgorithmSha256})
		require.NoError(t, err)
		out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("mpsums"), Key: aws.String("wrongsum"), UploadId: up.UploadId,
			PartNumber: aws.Int32(1), Body: bytes.NewReader([]byte("x")), ChecksumAlgorithm: types.ChecksumAlgorithmSha256})
		require.NoError(t, err)
		_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("mpsums"), Key: aws.String("wrongsum"), UploadId: up.UploadId,
			MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{PartNumber: aws.Int32(1), ETag: out.ETag, ChecksumSHA256: aws.String(sha256b64([]byte("y")))}}}})
		requireAPIError(t, err, http.StatusBadRequest, "InvalidPart")
		require.False(t, v.exists("mpsums", "wrongsum"))
	})
}
