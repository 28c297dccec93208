package s3compat_test

import (
	"encoding/xml"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/require"
)

func TestUnknownSubresources(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	v.bucket("subs")
	v.put("subs", "obj", []byte("original"))
	policy := []byte(`{"Version":"2012-10-17","Statement":[]}`)
	acl := []byte(`<AccessControlPolicy><Owner><ID>x</ID></Owner><AccessControlList/></AccessControlPolicy>`)
	versioning := []byte(`<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>`)

	cases := []struct {
		method, target string
		body           []byte
	}{
		{"PUT", "/subs?policy", policy},
		{"GET", "/subs?policy", nil},
		{"DELETE", "/subs?policy", nil},
		{"GET", "/subs?acl", nil},
		{"PUT", "/subs?acl", acl},
		{"PUT", "/subs?versioning", versioning},
		{"PUT", "/subs?cors", []byte("<CORSConfiguration/>")},
		{"DELETE", "/subs?cors", nil},
		{"PUT", "/subs?lifecycle", []byte("<LifecycleConfiguration/>")},
		{"DELETE", "/subs?lifecycle", nil},
		{"PUT", "/subs?tagging", []byte("<Tagging><TagSet/></Tagging>")},
		{"DELETE", "/subs?tagging", nil},
		{"GET", "/subs?website", nil},
		{"PUT", "/subs?encryption", []byte("<x/>")},
		{"PUT", "/subs?object-lock", []byte("<x/>")},
		{"GET", "/subs?notification", nil},
		{"DELETE", "/subs?website", nil},
		{"PUT", "/subs/obj?acl", acl},
		{"GET", "/subs/obj?acl", nil},
		{"PUT", "/subs/obj?retention", []byte("<x/>")},
		{"PUT", "/subs/obj?legal-hold", []byte("<x/>")},
		{"GET", "/subs/obj?torrent", nil},
		{"POST", "/subs/obj?restore", []byte("<RestoreRequest/>")},
		{"POST", "/subs/obj?select&select-type=2", []byte("<x/>")},
		{"DELETE", "/subs/obj?acl", nil},
		{"PUT", "/subs/obj?tagging&acl", []byte("<x/>")},
		{"GET", "/subs/obj?uploads", nil},
		{"PATCH", "/subs/obj", []byte("x")},
		{"POST", "/subs/obj", []byte("x")},
		{"POST", "/subs", []byte("x")},
		{"PUT", "/", nil},
		{"DELETE", "/", nil},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.target, func(t *testing.T) {
			r := v.raw(tc.method, tc.target, tc.body, nil)
			r.requireError(t, http.StatusNotImplemented, "NotImplemented")
			require.Equal(t, "application/xml", r.header.Get("Content-Type"))
		})
	}

	// Nothing changed: the object, the bucket, its versioning.
	require.Equal(t, "original", string(v.get("subs", "obj")))
	o := v.stat("subs", "obj")
	require.Empty(t, o.Tags)
	require.Empty(t, o.Attrs.Meta)
	out, err := v.s3().GetBucketVersioning(t.Context(), &s3.GetBucketVersioningInput{Bucket: aws.String("subs")})
	require.NoError(t, err)
	require.Empty(t, out.Status)
	l, err := v.s3().ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: aws.String("subs")})
	require.NoError(t, err)
	require.Len(t, l.Contents, 1)

	t.Run("sdk", func(t *testing.T) {
		_, err := v.s3().PutBucketVersioning(t.Context(), &s3.PutBucketVersioningInput{Bucket: aws.String("subs"),
			VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}})
		requireAPIError(t, err, http.StatusNotImplemented, "NotImplemented")
		_, err = v.s3().PutObjectAcl(t.Context(), &s3.PutObjectAclInput{Bucket: aws.String("subs"), Key: aws.String("obj"), ACL: types.ObjectCannedACLPublicRead})
		requireAPIError(t, err, http.StatusNotImplemented, "NotImplemented")
		_, err = v.s3().GetBucketPolicy(t.Context(), &s3.GetBucketPolicyInput{Bucket: aws.String("subs")})
		requireAPIError(t, err, http.StatusNotImplemented, "NotImplemented")
		_, err = v.s3().PutBucketCors(t.Context(), &s3.PutBucketCorsInput{Bucket: aws.String("subs"), CORSConfiguration: &types.CORSConfiguration{
			CORSRules: []types.CORSRule{{AllowedMethods: []string{"GET"}, AllowedOrigins: []string{"*"}}}}})
		requireAPIError(t, err, http.StatusNotImplemented, "NotImplemented")
		require.Equal(t, "original", string(v.get("subs", "obj")))
	})

	t.Run("a second bucket is not created by a sub-resource PUT", func(t *testing.T) {
		r := v.raw("PUT", "/newbucket?policy", policy, nil)
		r.requireError(t, http.StatusNotImplemented, "NotImplemented")
		_, err := v.e.GetBucketByName(t.Context(), "newbucket")
		require.Error(t, err)
	})

	t.Run("unknown non-sub-resource parameters are ignored", func(t *testing.T) {
		r := v.raw("GET", "/subs/obj?x-id=GetObject&foo=bar", nil, nil)
		require.Equal(t, http.StatusOK, r.status)
		require.Equal(t, "original", string(r.body))
	})
}

func TestErrorDocuments(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	v.bucket("errs")

	r := v.raw("GET", "/errs/missing%20key", nil, nil)
	r.requireError(t, http.StatusNotFound, "NoSuchKey")
	d := r.errDoc(t)
	require.Equal(t, "/errs/missing key", d.Resource)
	require.Len(t, d.RequestID, 16)
	require.Equal(t, "application/xml", r.header.Get("Content-Type"))

	// Every response carries a request ID, and each is different.
	ok := v.raw("GET", "/errs", nil, nil)
	require.Equal(t, http.StatusOK, ok.status)
	require.NotEmpty(t, ok.header.Get("X-Amz-Request-Id"))
	require.NotEqual(t, ok.header.Get("X-Amz-Request-Id"), r.header.Get("X-Amz-Request-Id"))

	// A HEAD error has the status alone.
	h := v.raw("HEAD", "/errs/missing", nil, nil)
	require.Equal(t, http.StatusNotFound, h.status)
	require.Empty(t, h.body)
	require.NotEmpty(t, h.header.Get("X-Amz-Request-Id"))

	// A failed GET carries no object headers.
	v.put("errs", "obj", []byte("x"))
	g := v.raw("GET", "/errs/obj", nil, map[string][]string{"If-Match": {`"nope"`}})
	g.requireError(t, http.StatusPreconditionFailed, "PreconditionFailed")
	require.Empty(t, g.header.Get("ETag"))
	require.Empty(t, g.header.Get("Accept-Ranges"))

	// The document is S3's shape exactly.
	var raw struct {
		XMLName xml.Name
		Fields  []struct {
			XMLName xml.Name
		} `xml:",any"`
	}
	require.NoError(t, xml.Unmarshal(r.body, &raw))
	require.Equal(t, "Error", raw.XMLName.Local)
	var names []string
	for _, f := range raw.Fields {
		names = append(names, f.XMLName.Local)
	}
	require.Equal(t, []string{"Code", "Message", "Resource", "RequestId"}, names)

	t.Run("internal errors reveal nothing", func(t *testing.T) {
		require.NotContains(t, string(r.body), "engine")
	})
}

func TestOperationNames(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	for _, tc := range []struct {
		method, target, header, want string
	}{
		{"GET", "/", "", "ListBuckets"},
		{"PUT", "/b", "", "CreateBucket"},
		{"GET", "/b?list-type=2", "", "ListObjects"},
		{"PUT", "/b/k", "", "PutObject"},
		{"PUT", "/b/k", "X-Amz-Copy-Source", "CopyObject"},
		{"PUT", "/b/k?partNumber=1&uploadId=x", "", "UploadPart"},
		{"PUT", "/b/k?partNumber=1&uploadId=x", "X-Amz-Copy-Source", "UploadPartCopy"},
		{"GET", "/b/k\nwith newline", "", "GetObject"},
		{"PUT", "/b?policy", "", "unknown"},
		{"PATCH", "/b/k", "", "unknown"},
	} {
		req, err := http.NewRequest(tc.method, "http://s3.test/", nil)
		require.NoError(t, err)
		req.URL.Path = tc.target
		if p, q, ok := strings.Cut(tc.target, "?"); ok {
			req.URL.Path, req.URL.RawQuery = p, q
		}
		if tc.header != "" {
			req.Header.Set(tc.header, "src/key")
		}
		require.Equal(t, tc.want, v.h.Operation(req), "%s %s", tc.method, tc.target)
	}
}
