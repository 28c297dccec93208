package s3compat_test

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/minio/minio-go/v7"
	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine"
)

// fill stores an empty object at each key, through the engine: fast, and what the listing
// sees is the same index an S3 PUT writes.
func (v *env) fill(bucket string, keys []string) {
	v.t.Helper()
	b, err := v.e.GetBucketByName(v.t.Context(), bucket)
	require.NoError(v.t, err)
	for _, k := range keys {
		_, err := v.e.PutObject(v.t.Context(), engine.PutObjectInput{Bucket: b.ID, Key: k, Body: strings.NewReader(""), Size: 0})
		require.NoError(v.t, err, "key %q", k)
	}
}

// manyKeys returns a few thousand keys over a tree of prefixes, in no particular order.
func manyKeys() []string {
	var keys []string
	for d := range 12 {
		for s := range 5 {
			for f := range 40 {
				keys = append(keys, fmt.Sprintf("dir%02d/sub%d/file%03d", d, s, f))
			}
		}
		keys = append(keys, fmt.Sprintf("dir%02d/top", d))
	}
	for f := range 300 {
		keys = append(keys, fmt.Sprintf("root%03d", f))
	}
	keys = append(keys, "dir", "dir0", "dir00x", "z/", "z//y")
	slices.Reverse(keys)
	return keys
}

// expectList computes what a listing with prefix and delimiter returns.
func expectList(keys []string, prefix, delim string) (contents, prefixes []string) {
	seen := map[string]bool{}
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		if delim != "" {
			if i := strings.Index(k[len(prefix):], delim); i >= 0 {
				cp := k[:len(prefix)+i+len(delim)]
				if !seen[cp] {
					seen[cp] = true
					prefixes = append(prefixes, cp)
				}
				continue
			}
		}
		contents = append(contents, k)
	}
	sort.Strings(contents)
	sort.Strings(prefixes)
	return contents, prefixes
}

func TestListPagination(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	v.bucket("many")
	keys := manyKeys()
	v.fill("many", keys)
	c := v.s3()
	ctx := t.Context()

	cases := []struct {
		name, prefix, delim string
		pageSize            int32
	}{
		{name: "all", pageSize: 250},
		{name: "all in pages of 1000", pageSize: 1000},
		{name: "odd page size", pageSize: 7, prefix: "dir03/"},
		{name: "delimiter", delim: "/", pageSize: 5},
		{name: "prefix and delimiter", prefix: "dir05/", delim: "/", pageSize: 2},
		{name: "prefix not ending at a delimiter", prefix: "dir0", delim: "/", pageSize: 3},
		{name: "deep prefix", prefix: "dir07/sub3/", delim: "/", pageSize: 11},
		{name: "multi-byte delimiter", delim: "/sub", pageSize: 4},
		{name: "no match", prefix: "nothing", pageSize: 10},
		{name: "repeated slashes", prefix: "z/", delim: "/", pageSize: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantC, wantP := expectList(keys, tc.prefix, tc.delim)

			t.Run("v2", func(t *testing.T) {
				in := &s3.ListObjectsV2Input{Bucket: aws.String("many"), MaxKeys: aws.Int32(tc.pageSize)}
				if tc.prefix != "" {
					in.Prefix = aws.String(tc.prefix)
				}
				if tc.delim != "" {
					in.Delimiter = aws.String(tc.delim)
				}
				var gotC, gotP []string
				pages := 0
				for p := s3.NewListObjectsV2Paginator(c, in); p.HasMorePages(); {
					out, err := p.NextPage(ctx)
					require.NoError(t, err)
					pages++
					n := len(out.Contents) + len(out.CommonPrefixes)
					require.LessOrEqual(t, n, int(tc.pageSize))
					require.Equal(t, int32(n), aws.ToInt32(out.KeyCount))
					for _, o := range out.Contents {
						gotC = append(gotC, aws.ToString(o.Key))
						require.Nil(t, o.Owner, "Owner without fetch-owner")
					}
					for _, cp := range out.CommonPrefixes {
						gotP = append(gotP, aws.ToString(cp.Prefix))
					}
				}
				require.Equal(t, wantC, gotC)
				require.Equal(t, wantP, gotP)
				require.GreaterOrEqual(t, pages, (len(wantC)+len(wantP))/int(tc.pageSize))
			})

			t.Run("v1", func(t *testing.T) {
				var gotC, gotP []string
				marker := ""
				for {
					in := &s3.ListObjectsInput{Bucket: aws.String("many"), MaxKeys: aws.Int32(tc.pageSize), Marker: aws.String(marker)}
					if tc.prefix != "" {
						in.Prefix = aws.String(tc.prefix)
					}
					if tc.delim != "" {
						in.Delimiter = aws.String(tc.delim)
					}
					out, err := c.ListObjects(ctx, in)
					require.NoError(t, err)
					require.Equal(t, marker, aws.ToString(out.Marker))
					for _, o := range out.Contents {
						gotC = append(gotC, aws.ToString(o.Key))
						require.NotNil(t, o.Owner, "v1 lists owners")
					}
					for _, cp := range out.CommonPrefixes {
						gotP = append(gotP, aws.ToString(cp.Prefix))
					}
					if !aws.ToBool(out.IsTruncated) {
						break
					}
					next := aws.ToString(out.NextMarker)
					require.NotEmpty(t, next)
					require.Greater(t, next, marker)
					marker = next
				}
				require.Equal(t, wantC, gotC)
				require.Equal(t, wantP, gotP)
			})

			t.Run("minio-go", func(t *testing.T) {
				var gotC, gotP []string
				for o := range v.minio(v.root).ListObjects(ctx, "many", minio.ListObjectsOptions{Prefix: tc.prefix, Recursive: tc.delim == "", MaxKeys: int(tc.pageSize)}) {
					require.NoError(t, o.Err)
					if strings.HasSuffix(o.Key, "/") && o.Size == 0 && o.ETag == "" {
						gotP = append(gotP, o.Key)
					} else {
						gotC = append(gotC, o.Key)
					}
				}
				if tc.delim == "" || tc.delim == "/" {
					require.Equal(t, wantC, gotC)
					require.Equal(t, wantP, gotP)
				}
			})
		})
	}

	t.Run("start-after", func(t *testing.T) {
		want, _ := expectList(keys, "", "")
		for _, after := range []string{"dir04/sub2/file017", "dir04/sub2/", "a", "zzz", "root150"} {
			var got []string
			p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String("many"), StartAfter: aws.String(after), MaxKeys: aws.Int32(333)})
			for p.HasMorePages() {
				out, err := p.NextPage(ctx)
				require.NoError(t, err)
				require.Equal(t, after, aws.ToString(out.StartAfter))
				for _, o := range out.Contents {
					got = append(got, aws.ToString(o.Key))
				}
			}
			i, _ := slices.BinarySearch(want, after)
			if i < len(want) && want[i] == after {
				i++
			}
			if i == len(want) {
				require.Empty(t, got, "start-after %q", after)
				continue
			}
			require.Equal(t, want[i:], got, "start-after %q", after)
		}
	})

	t.Run("start-after with a delimiter skips the prefix it names", func(t *testing.T) {
		out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("many"), Delimiter: aws.String("/"),
			StartAfter: aws.String("dir05/"), MaxKeys: aws.Int32(2)})
		require.NoError(t, err)
		require.Empty(t, out.Contents)
		require.Equal(t, []string{"dir06/", "dir07/"}, prefixesOf(out.CommonPrefixes))
	})

	t.Run("max-keys 0", func(t *testing.T) {
		out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("many"), MaxKeys: aws.Int32(0)})
		require.NoError(t, err)
		require.Empty(t, out.Contents)
		require.Empty(t, out.CommonPrefixes)
		require.Equal(t, int32(0), aws.ToInt32(out.KeyCount))
		require.Equal(t, int32(0), aws.ToInt32(out.MaxKeys))
		v1, err := c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String("many"), MaxKeys: aws.Int32(0)})
		require.NoError(t, err)
		require.Empty(t, v1.Contents)
	})

	t.Run("default max-keys is 1000", func(t *testing.T) {
		out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("many")})
		require.NoError(t, err)
		require.Len(t, out.Contents, 1000)
		require.True(t, aws.ToBool(out.IsTruncated))
		require.Equal(t, int32(1000), aws.ToInt32(out.MaxKeys))
		out, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("many"), MaxKeys: aws.Int32(5000)})
		require.NoError(t, err)
		require.Len(t, out.Contents, 1000, "max-keys is capped at 1000")
	})

	t.Run("bad parameters", func(t *testing.T) {
		for _, q := range []string{"list-type=2&continuation-token=%21%21", "list-type=2&max-keys=-1", "list-type=3",
			"encoding-type=base64", "list-type=2&fetch-owner=maybe"} {
			v.raw("GET", "/many?"+q, nil, nil).requireError(t, http.StatusBadRequest, "InvalidArgument")
		}
	})

	t.Run("missing bucket", func(t *testing.T) {
		_, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("absent")})
		requireAPIError(t, err, http.StatusNotFound, "NoSuchBucket")
	})
}

func prefixesOf(cps []types.CommonPrefix) []string {
	var out []string
	for _, cp := range cps {
		out = append(out, aws.ToString(cp.Prefix))
	}
	return out
}

// listResult is ListBucketResult as a client reads it, for raw requests.
type listResult struct {
	Name                  string
	Prefix                string
	Delimiter             string
	Marker                string
	NextMarker            string
	StartAfter            string
	NextContinuationToken string
	EncodingType          string
	KeyCount              int
	MaxKeys               int
	IsTruncated           bool
	Contents              []struct {
		Key   string
		ETag  string
		Size  int64
		Owner *struct{ ID string }
	}
	CommonPrefixes []struct{ Prefix string }
}

func TestListEncodingTypeURL(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	v.bucket("enc")
	keys := []string{"with space", "plus+sign", "per%cent", "ctl\x01char", "tab\there", "new\nline", "ünïcödé/日本語", "amp&lt<gt>",
		"q?uery#frag", "pkg/a b+c"}
	for _, k := range keys {
		v.put("enc", k, []byte(k))
	}
	sort.Strings(keys)

	t.Run("raw", func(t *testing.T) {
		for _, lt := range []string{"", "list-type=2&"} {
			r := v.raw("GET", "/enc?"+lt+"encoding-type=url&prefix="+url.QueryEscape("pkg/a b"), nil, nil)
			require.Equal(t, http.StatusOK, r.status, "%s", r.body)
			var res listResult
			require.NoError(t, xml.Unmarshal(r.body, &res))
			require.Equal(t, "url", res.EncodingType)
			require.Equal(t, "pkg%2Fa+b", res.Prefix, "the prefix is echoed encoded")
			require.Len(t, res.Contents, 1)
			require.Equal(t, "pkg%2Fa+b%2Bc", res.Contents[0].Key)

			r = v.raw("GET", "/enc?"+lt+"encoding-type=url", nil, nil)
			require.Equal(t, http.StatusOK, r.status)
			res = listResult{}
			require.NoError(t, xml.Unmarshal(r.body, &res))
			var got []string
			for _, c := range res.Contents {
				require.NotContains(t, c.Key, "\x01")
				k, err := url.QueryUnescape(c.Key)
				require.NoError(t, err)
				got = append(got, k)
			}
			require.Equal(t, keys, got)
		}
	})

	t.Run("sdk", func(t *testing.T) {
		out, err := v.s3().ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: aws.String("enc"), EncodingType: types.EncodingTypeUrl})
		require.NoError(t, err)
		require.Equal(t, types.EncodingTypeUrl, out.EncodingType)
		var got []string
		for _, o := range out.Contents {
			k, err := url.QueryUnescape(aws.ToString(o.Key))
			require.NoError(t, err)
			got = append(got, k)
		}
		require.Equal(t, keys, got)
	})

	t.Run("minio-go", func(t *testing.T) {
		// minio-go asks for encoding-type=url and decodes the keys itself.
		var got []string
		for o := range v.minio(v.root).ListObjects(t.Context(), "enc", minio.ListObjectsOptions{Recursive: true}) {
			require.NoError(t, o.Err)
			got = append(got, o.Key)
		}
		require.Equal(t, keys, got)
	})

	t.Run("without encoding the XML stays well-formed", func(t *testing.T) {
		r := v.raw("GET", "/enc?list-type=2", nil, nil)
		require.Equal(t, http.StatusOK, r.status)
		var res listResult
		require.NoError(t, xml.Unmarshal(r.body, &res))
		require.Len(t, res.Contents, len(keys))
	})
}

func TestListFetchOwner(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	v.bucket("own")
	v.put("own", "k", []byte("v"))
	c := v.s3()
	out, err := c.ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: aws.String("own"), FetchOwner: aws.Bool(true)})
	require.NoError(t, err)
	require.Len(t, out.Contents, 1)
	require.NotNil(t, out.Contents[0].Owner)
	require.NotEmpty(t, aws.ToString(out.Contents[0].Owner.ID))
	out, err = c.ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: aws.String("own"), FetchOwner: aws.Bool(false)})
	require.NoError(t, err)
	require.Nil(t, out.Contents[0].Owner)

	r := v.raw("GET", "/own?list-type=2&fetch-owner=false", nil, nil)
	require.Equal(t, http.StatusOK, r.status)
	require.NotContains(t, string(r.body), "<Owner>", "fetch-owner=false is not mere presence")
}

func TestListObjectVersions(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	v.bucket("ver")
	keys := []string{"a", "b/c", "b/d", "e"}
	for _, k := range keys {
		v.put("ver", k, []byte(k))
	}
	c := v.s3()
	ctx := t.Context()
	out, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("ver")})
	require.NoError(t, err)
	var got []string
	for _, ov := range out.Versions {
		got = append(got, aws.ToString(ov.Key))
		require.Equal(t, "null", aws.ToString(ov.VersionId))
		require.True(t, aws.ToBool(ov.IsLatest))
		require.NotEmpty(t, aws.ToString(ov.ETag))
	}
	require.Equal(t, keys, got)
	require.Empty(t, out.DeleteMarkers)

	t.Run("paginated", func(t *testing.T) {
		var got []string
		p := s3.NewListObjectVersionsPaginator(c, &s3.ListObjectVersionsInput{Bucket: aws.String("ver"), MaxKeys: aws.Int32(1)})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			require.NoError(t, err)
			for _, ov := range out.Versions {
				got = append(got, aws.ToString(ov.Key))
			}
			if aws.ToBool(out.IsTruncated) {
				require.Equal(t, "null", aws.ToString(out.NextVersionIdMarker))
			}
		}
		require.Equal(t, keys, got)
	})

	t.Run("delimiter", func(t *testing.T) {
		out, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("ver"), Delimiter: aws.String("/")})
		require.NoError(t, err)
		require.Equal(t, []string{"b/"}, prefixesOf(out.CommonPrefixes))
		require.Len(t, out.Versions, 2)
	})

	t.Run("version-id-marker other than null", func(t *testing.T) {
		_, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("ver"), KeyMarker: aws.String("a"), VersionIdMarker: aws.String("v123")})
		requireAPIError(t, err, http.StatusBadRequest, "InvalidArgument")
	})

	t.Run("minio-go", func(t *testing.T) {
		var got []string
		for o := range v.minio(v.root).ListObjects(ctx, "ver", minio.ListObjectsOptions{WithVersions: true, Recursive: true}) {
			require.NoError(t, o.Err)
			require.Equal(t, "null", o.VersionID)
			got = append(got, o.Key)
		}
		require.Equal(t, keys, got)
	})
}
