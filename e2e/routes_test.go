package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRoutes walks every route of the seed document's sections 1–3 against the live binary
// with SDK-signed requests, checking the answers' shapes and the data behind them.
func TestRoutes(t *testing.T) {
	s := startServer(t, t.TempDir())
	c := s.client()

	b := walkBuckets(t, c)
	p1, p2 := walkPackages(t, c, b.BucketID)
	objs, up := walkUpload(t, c, p1.PackageID)
	walkDownload(t, c, p1.PackageID, objs, up)
	walkList(t, c, p2.PackageID)
	walkMoveCloneDelete(t, c, p1.PackageID, p2.PackageID, objs, up)
	walkMultipart(t, c, p2.PackageID)

	t.Run("package/delete", func(t *testing.T) {
		c.ok(t, "POST", "/v1/package/delete", nil, map[string]any{"packageID": p1.PackageID}, nil)
		c.fails(t, http.StatusNotFound, "DataNotFound", "GET", "/v1/package/getByFullName",
			url.Values{"bucketName": {b.Name}, "packageName": {p1.Name}}, nil)
		var d struct{ Packages []packageJSON }
		c.ok(t, "GET", "/v1/package/listBucketPackages", url.Values{"bucketID": {itoa(b.BucketID)}}, nil, &d)
		require.Len(t, d.Packages, 1)
		require.Equal(t, p2.PackageID, d.Packages[0].PackageID)
		// Its objects went with it; the one moved out of it before did not.
		c.fails(t, http.StatusNotFound, "DataNotFound", "GET", "/v1/object/download",
			url.Values{"objectID": {itoa(up[0].ObjectID)}}, nil)
		c.requireContent(t, up[1].ObjectID, objs[1])
		c.fails(t, http.StatusNotFound, "DataNotFound", "GET", "/v1/object/getPackageObjects",
			url.Values{"packageID": {itoa(p1.PackageID)}}, nil)
	})

	t.Run("bucket/delete", func(t *testing.T) {
		c.ok(t, "POST", "/v1/bucket/delete", nil, map[string]any{"bucketID": b.BucketID}, nil)
		c.fails(t, http.StatusNotFound, "DataNotFound", "GET", "/v1/bucket/getByName", url.Values{"name": {b.Name}}, nil)
		var all struct{ Buckets []bucketJSON }
		c.ok(t, "GET", "/v1/bucket/listAll", nil, nil, &all)
		require.Len(t, all.Buckets, 1, "only the other bucket is left")
		require.Equal(t, "walk-other", all.Buckets[0].Name)
		c.fails(t, http.StatusNotFound, "DataNotFound", "GET", "/v1/package/listBucketPackages",
			url.Values{"bucketID": {itoa(b.BucketID)}}, nil)
		c.fails(t, http.StatusNotFound, "DataNotFound", "POST", "/v1/bucket/delete", nil, map[string]any{"bucketID": b.BucketID})
	})

	t.Run("other routes", func(t *testing.T) {
		c.fails(t, http.StatusNotFound, "DataNotFound", "GET", "/v1/object/nope", nil, nil)
		c.fails(t, http.StatusMethodNotAllowed, "BadArgument", "GET", "/v1/bucket/create", nil, nil)
		c.fails(t, http.StatusBadRequest, "BadArgument", "POST", "/v1/userSpace/create", nil, map[string]any{})
		c.fails(t, http.StatusNotImplemented, "OperationFailed", "POST", "/v1/spaceSyncer/createTask", nil, map[string]any{})
	})
}

func walkBuckets(t *testing.T, c *client) bucketJSON {
	var b bucketJSON
	t.Run("bucket", func(t *testing.T) {
		b = c.createBucket(t, "walk-bkt")
		c.fails(t, http.StatusConflict, "DataExists", "POST", "/v1/bucket/create", nil, map[string]any{"userID": 1, "name": b.Name})

		var got struct{ Bucket bucketJSON }
		c.ok(t, "GET", "/v1/bucket/getByName", url.Values{"name": {b.Name}}, nil, &got)
		require.Equal(t, b, got.Bucket)
		c.fails(t, http.StatusNotFound, "DataNotFound", "GET", "/v1/bucket/getByName", url.Values{"name": {"no-such"}}, nil)
		c.fails(t, http.StatusBadRequest, "BadArgument", "GET", "/v1/bucket/getByName", nil, nil)

		other := c.createBucket(t, "walk-other")
		var all struct{ Buckets []bucketJSON }
		c.ok(t, "GET", "/v1/bucket/listAll", nil, nil, &all)
		require.ElementsMatch(t, []bucketJSON{b, other}, all.Buckets)
	})
	require.NotZero(t, b.BucketID, "the bucket walk failed")
	return b
}

func walkPackages(t *testing.T, c *client, bucket int64) (p1, p2 packageJSON) {
	t.Run("package", func(t *testing.T) {
		p1 = c.createPackage(t, bucket, "t1")
		// The same, declaring the body's hash in X-Amz-Content-Sha256 as S3 clients do.
		declaring := *c
		declaring.declare = true
		p2 = declaring.createPackage(t, bucket, "t2")
		require.NotEqual(t, p1.PackageID, p2.PackageID)
		c.fails(t, http.StatusConflict, "DataExists", "POST", "/v1/package/create", nil, map[string]any{"bucketID": bucket, "name": "t1"})
		c.fails(t, http.StatusNotFound, "DataNotFound", "POST", "/v1/package/create", nil, map[string]any{"bucketID": 99999, "name": "x"})

		var got struct{ Package packageJSON }
		c.ok(t, "GET", "/v1/package/getByFullName", url.Values{"bucketName": {"walk-bkt"}, "packageName": {"t2"}}, nil, &got)
		requireSamePackage(t, p2, got.Package)
		c.fails(t, http.StatusNotFound, "DataNotFound", "GET", "/v1/package/getByFullName",
			url.Values{"bucketName": {"walk-bkt"}, "packageName": {"t3"}}, nil)

		var list struct{ Packages []packageJSON }
		c.ok(t, "GET", "/v1/package/listBucketPackages", url.Values{"bucketID": {itoa(bucket)}}, nil, &list)
		require.Len(t, list.Packages, 2)
		for _, p := range list.Packages {
			requireSamePackage(t, map[int64]packageJSON{p1.PackageID: p1, p2.PackageID: p2}[p.PackageID], p)
		}
	})
	require.NotZero(t, p2.PackageID, "the package walk failed")
	return p1, p2
}

func requireSamePackage(t *testing.T, want, got packageJSON) {
	t.Helper()
	require.Equal(t, want.PackageID, got.PackageID)
	require.Equal(t, want.Name, got.Name)
	require.Equal(t, want.BucketID, got.BucketID)
	require.True(t, want.CreateTime.Equal(got.CreateTime), "createTime %v, want %v", got.CreateTime, want.CreateTime)
}

// walkUpload uploads a mix of objects in one request: paths that need URL encoding, empty,
// replicated and erasure-coded sizes on both sides of the 256 KiB threshold.
func walkUpload(t *testing.T, c *client, pkg int64) ([]object, []objectJSON) {
	objs := []object{
		{path: "test.txt", size: 8, seed: 101},
		{path: "a/b/test2.txt", size: 9, seed: 102},
		{path: "dir with space/ünïcode+plus&amp;100%.bin", size: 1000, seed: 103},
		{path: "empty", size: 0, seed: 104},
		{path: "big/ec.bin", size: 3<<20 + 5, seed: 105},
		{path: "edge/small-max", size: smallObjectSize, seed: 106},
		{path: "edge/small-max+1", size: smallObjectSize + 1, seed: 107},
	}
	var up []objectJSON
	t.Run("object/upload", func(t *testing.T) {
		up = c.upload(t, pkg, objs...)
		ids := map[int64]bool{}
		for _, o := range up {
			ids[o.ObjectID] = true
		}
		require.Len(t, ids, len(objs), "object IDs must be distinct")

		// A request whose multipart body is signed rather than UNSIGNED-PAYLOAD, with the hash
		// declared and not.
		for i, declare := range []bool{true, false} {
			o := object{path: "signed/" + strconv.Itoa(i), size: 300 << 10, seed: 110 + uint64(i)}
			ct, body := formBody(t, map[string]any{"packageID": pkg}, filesOf(o))
			signed := *c
			signed.declare = declare
			resp, err := signed.send(t.Context(), "POST", "/v1/object/upload", nil, http.Header{"Content-Type": {ct}}, body)
			require.NoError(t, err)
			r, err := readReply(resp)
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, r.status, "%s", r.body)
			var d struct{ Uploadeds []objectJSON }
			require.NoError(t, json.Unmarshal(r.env.Data, &d))
			require.Len(t, d.Uploadeds, 1)
			requireObject(t, o, pkg, d.Uploadeds[0])
			c.requireContent(t, d.Uploadeds[0].ObjectID, o)
		}

		// Uploading to a path again replaces the object and keeps its ID.
		again := object{path: "test.txt", size: 12, seed: 108}
		re := c.upload(t, pkg, again)
		require.Equal(t, up[0].ObjectID, re[0].ObjectID)
		require.True(t, up[0].CreateTime.Equal(re[0].CreateTime))
		c.requireContent(t, up[0].ObjectID, again)
		objs[0], up[0] = again, re[0]
	})
	require.Len(t, up, len(objs), "the upload walk failed")
	return objs, up
}

// formBody builds a whole multipart/form-data body in memory, for requests that sign it.
func formBody(t *testing.T, info any, parts []formPart) (string, []byte) {
	t.Helper()
	infoJSON, err := json.Marshal(info)
	require.NoError(t, err)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	require.NoError(t, writeForm(mw, infoJSON, parts))
	return mw.FormDataContentType(), buf.Bytes()
}

func walkDownload(t *testing.T, c *client, pkg int64, objs []object, up []objectJSON) {
	t.Run("object/download", func(t *testing.T) {
		for i, o := range objs {
			got, hdr := c.fetch(t, "/v1/object/download", url.Values{"objectID": {itoa(up[i].ObjectID)}}, nil, http.StatusOK)
			require.Equal(t, o.bytesAt(0, o.size), got, "object %q", o.path)
			require.Equal(t, "bytes", hdr.Get("Accept-Ranges"))
		}
		big, id := objs[4], up[4].ObjectID
		for _, r := range [][2]int64{{0, 1}, {1<<20 - 3, 7}, {big.size - 10, 10}, {5, 0}, {big.size, 0}} {
			q := url.Values{"objectID": {itoa(id)}, "offset": {itoa(r[0])}, "length": {itoa(r[1])}}
			got, _ := c.fetch(t, "/v1/object/download", q, nil, http.StatusOK)
			require.Equal(t, big.bytesAt(r[0], r[1]), got, "offset %d length %d", r[0], r[1])
		}
		got, _ := c.fetch(t, "/v1/object/download", url.Values{"objectID": {itoa(id)}, "offset": {"3000000"}}, nil, http.StatusOK)
		require.Equal(t, big.bytesAt(3000000, big.size-3000000), got, "offset without length reads to the end")
		c.fails(t, http.StatusBadRequest, "BadArgument", "GET", "/v1/object/download",
			url.Values{"objectID": {itoa(id)}, "offset": {itoa(big.size - 1)}, "length": {"2"}}, nil)
		c.fails(t, http.StatusNotFound, "DataNotFound", "GET", "/v1/object/download", url.Values{"objectID": {"999999"}}, nil)
		c.fails(t, http.StatusBadRequest, "BadArgument", "GET", "/v1/object/download", url.Values{"objectID": {"x"}}, nil)
	})

	t.Run("object/downloadByPath", func(t *testing.T) {
		for _, o := range objs {
			got, _ := c.fetch(t, "/v1/object/downloadByPath", url.Values{"packageID": {itoa(pkg)}, "path": {o.path}}, nil, http.StatusOK)
			require.Equal(t, o.bytesAt(0, o.size), got, "object %q", o.path)
		}
		o := objs[2]
		q := url.Values{"packageID": {itoa(pkg)}, "path": {o.path}, "offset": {"10"}, "length": {"20"}}
		got, _ := c.fetch(t, "/v1/object/downloadByPath", q, nil, http.StatusOK)
		require.Equal(t, o.bytesAt(10, 20), got)
		c.fails(t, http.StatusNotFound, "DataNotFound", "GET", "/v1/object/downloadByPath",
			url.Values{"packageID": {itoa(pkg)}, "path": {"a/b"}}, nil)
	})
}

// walkList lists a package laid out like the seed's example, every way listByPath can.
func walkList(t *testing.T, c *client, pkg int64) {
	paths := []string{"a/1.txt", "a/2.txt", "a/b/3.txt", "a/b/4.txt", "a/c/5.txt", "a/d", "ab.txt", "b.txt"}
	objs := make([]object, len(paths))
	for i, p := range paths {
		objs[i] = object{path: p, size: int64(10 + i), seed: uint64(200 + i)}
	}
	var up []objectJSON
	t.Run("object/listByPath", func(t *testing.T) {
		up = c.upload(t, pkg, objs...)
		byPath := map[string]objectJSON{}
		for _, o := range up {
			byPath[o.Path] = o
		}
		pick := func(ps ...string) []objectJSON {
			var out []objectJSON
			for _, p := range ps {
				out = append(out, byPath[p])
			}
			return out
		}
		q := func(path string, isPrefix, noRecursive bool) url.Values {
			return url.Values{"packageID": {itoa(pkg)}, "path": {path},
				"isPrefix": {strconv.FormatBool(isPrefix)}, "noRecursive": {strconv.FormatBool(noRecursive)}}
		}
		tests := []struct {
			name         string
			q            url.Values
			wantObjects  []objectJSON
			wantPrefixes []string
		}{
			{"exact", q("a/1.txt", false, false), pick("a/1.txt"), nil},
			{"exact, missing", q("a/b", false, false), nil, nil},
			{"prefix", q("a/", true, false), pick("a/1.txt", "a/2.txt", "a/b/3.txt", "a/b/4.txt", "a/c/5.txt", "a/d"), nil},
			{"prefix without slash", q("a", true, false), pick("a/1.txt", "a/2.txt", "a/b/3.txt", "a/b/4.txt", "a/c/5.txt", "a/d", "ab.txt"), nil},
			{"directory", q("a/", true, true), pick("a/1.txt", "a/2.txt", "a/d"), []string{"a/b/", "a/c/"}},
			{"root directory", q("", true, true), pick("ab.txt", "b.txt"), []string{"a/"}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				// One page, then pages of every size down to 1.
				for _, maxKeys := range []int{1000, 3, 2, 1} {
					gotObjects, gotPrefixes := c.listAll(t, tc.q, maxKeys)
					requireSameObjects(t, tc.wantObjects, gotObjects, "maxKeys %d", maxKeys)
					require.Equal(t, len(tc.wantPrefixes), len(gotPrefixes), "maxKeys %d: %q", maxKeys, gotPrefixes)
					if len(tc.wantPrefixes) > 0 {
						require.Equal(t, tc.wantPrefixes, gotPrefixes, "maxKeys %d", maxKeys)
					}
				}
			})
		}
		// The first page of a truncated listing, as the seed shows it.
		var d listJSON
		raw := c.ok(t, "GET", "/v1/object/listByPath", url.Values{"packageID": {itoa(pkg)}, "path": {"a/"},
			"isPrefix": {"true"}, "noRecursive": {"true"}, "maxKeys": {"2"}}, nil, &d)
		require.True(t, d.IsTruncated, "%s", raw)
		require.NotEmpty(t, d.NextContinuationToken, "%s", raw)
		require.Equal(t, 2, len(d.Objects)+len(d.CommonPrefixes), "%s", raw)
		c.fails(t, http.StatusNotFound, "DataNotFound", "GET", "/v1/object/listByPath",
			url.Values{"packageID": {"999999"}, "path": {"a"}}, nil)
	})

	t.Run("object/getPackageObjects", func(t *testing.T) {
		got := c.packageObjects(t, pkg)
		requireSameObjects(t, up, got, "getPackageObjects")
		c.fails(t, http.StatusNotFound, "DataNotFound", "GET", "/v1/object/getPackageObjects", url.Values{"packageID": {"999999"}}, nil)
	})
}

// requireSameObjects checks two listings for the same objects in the same order.
func requireSameObjects(t *testing.T, want, got []objectJSON, msgAndArgs ...any) {
	t.Helper()
	wantPaths, gotPaths := make([]string, len(want)), make([]string, len(got))
	for i := range want {
		wantPaths[i] = want[i].Path
	}
	for i := range got {
		gotPaths[i] = got[i].Path
	}
	require.Equal(t, wantPaths, gotPaths, msgAndArgs...)
	for i := range want {
		require.Equal(t, want[i].ObjectID, got[i].ObjectID, msgAndArgs...)
		require.Equal(t, want[i].Size, got[i].Size, msgAndArgs...)
		require.Equal(t, want[i].FileHash, got[i].FileHash, msgAndArgs...)
		require.Equal(t, want[i].Redundancy, got[i].Redundancy, msgAndArgs...)
		require.Equal(t, want[i].PackageID, got[i].PackageID, msgAndArgs...)
	}
}

func walkMoveCloneDelete(t *testing.T, c *client, p1, p2 int64, objs []object, up []objectJSON) {
	byPath := func(pkg int64, path string) url.Values {
		return url.Values{"packageID": {itoa(pkg)}, "path": {path}}
	}
	t.Run("object/move", func(t *testing.T) {
		moving := map[string]any{"movings": []map[string]any{{"objectID": up[1].ObjectID, "packageID": p2, "path": "moved/trace2.txt"}}}
		var d struct{ Successes []int64 }
		c.ok(t, "POST", "/v1/object/move", nil, moving, &d)
		require.Equal(t, []int64{up[1].ObjectID}, d.Successes)
		got, _ := c.fetch(t, "/v1/object/downloadByPath", byPath(p2, "moved/trace2.txt"), nil, http.StatusOK)
		require.Equal(t, objs[1].bytesAt(0, objs[1].size), got)
		got, _ = c.fetch(t, "/v1/object/download", url.Values{"objectID": {itoa(up[1].ObjectID)}}, nil, http.StatusOK)
		require.Equal(t, objs[1].bytesAt(0, objs[1].size), got, "a moved object keeps its ID")
		c.fails(t, http.StatusNotFound, "DataNotFound", "GET", "/v1/object/downloadByPath", byPath(p1, objs[1].path), nil)

		// Skipped: onto a path that is taken, and a missing object.
		skipped := map[string]any{"movings": []map[string]any{
			{"objectID": up[0].ObjectID, "packageID": p2, "path": "moved/trace2.txt"},
			{"objectID": 999999, "packageID": p2, "path": "moved/x"},
		}}
		raw := c.ok(t, "POST", "/v1/object/move", nil, skipped, &d)
		require.Empty(t, d.Successes, "%s", raw)
		require.NotNil(t, d.Successes, "successes must be a list: %s", raw)
		got, _ = c.fetch(t, "/v1/object/downloadByPath", byPath(p2, "moved/trace2.txt"), nil, http.StatusOK)
		require.Equal(t, objs[1].bytesAt(0, objs[1].size), got, "a skipped move must not overwrite")
		c.requireContent(t, up[0].ObjectID, objs[0])
	})

	t.Run("object/clone", func(t *testing.T) {
		src, srcObj := up[4], objs[4]
		cloning := map[string]any{"clonings": []map[string]any{{"objectID": src.ObjectID, "newPath": "clone/ec.bin", "newPackageID": p2}}}
		var d struct{ Objects []objectJSON }
		c.ok(t, "POST", "/v1/object/clone", nil, cloning, &d)
		require.Len(t, d.Objects, 1)
		cl := d.Objects[0]
		require.NotEqual(t, src.ObjectID, cl.ObjectID)
		requireObject(t, object{path: "clone/ec.bin", size: srcObj.size, seed: srcObj.seed}, p2, cl)
		c.requireContent(t, cl.ObjectID, srcObj)
		c.fails(t, http.StatusConflict, "DataExists", "POST", "/v1/object/clone", nil, cloning)

		// Deleting the source leaves the clone whole.
		c.ok(t, "POST", "/v1/object/delete", nil, map[string]any{"objectIDs": []int64{src.ObjectID, 999999}}, nil)
		c.fails(t, http.StatusNotFound, "DataNotFound", "GET", "/v1/object/download", url.Values{"objectID": {itoa(src.ObjectID)}}, nil)
		c.requireContent(t, cl.ObjectID, srcObj)
	})

	t.Run("object/delete", func(t *testing.T) {
		data := c.ok(t, "POST", "/v1/object/delete", nil, map[string]any{"objectIDs": []int64{up[2].ObjectID, up[3].ObjectID}}, nil)
		require.Equal(t, "null", string(data))
		for _, i := range []int{2, 3} {
			c.fails(t, http.StatusNotFound, "DataNotFound", "GET", "/v1/object/download", url.Values{"objectID": {itoa(up[i].ObjectID)}}, nil)
		}
		// Deleting what is gone is still OK.
		c.ok(t, "POST", "/v1/object/delete", nil, map[string]any{"objectIDs": []int64{up[2].ObjectID}}, nil)
		var paths []string
		for _, o := range c.packageObjects(t, p1) {
			paths = append(paths, o.Path)
		}
		require.Equal(t, []string{"edge/small-max", "edge/small-max+1", "signed/0", "signed/1", "test.txt"}, paths)
	})
}

func walkMultipart(t *testing.T, c *client, pkg int64) {
	t.Run("object/multipart", func(t *testing.T) {
		var d struct{ Object objectJSON }
		c.ok(t, "POST", "/v1/object/newMultipartUpload", nil, map[string]any{"packageID": pkg, "path": "multi"}, &d)
		mp := d.Object
		require.Equal(t, "multi", mp.Path)
		require.Equal(t, pkg, mp.PackageID)
		require.Equal(t, "multipartUpload", mp.Redundancy.Type)
		require.Equal(t, "0", mp.Size)
		require.Equal(t, "Full0000000000000000000000000000000000000000000000000000000000000000", mp.FileHash)

		// It can be found, but not read.
		var l listJSON
		c.ok(t, "GET", "/v1/object/listByPath", url.Values{"packageID": {itoa(pkg)}, "path": {"multi"}}, nil, &l)
		require.Len(t, l.Objects, 1)
		require.Equal(t, mp.ObjectID, l.Objects[0].ObjectID)
		c.fails(t, http.StatusConflict, "OperationFailed", "GET", "/v1/object/download", url.Values{"objectID": {itoa(mp.ObjectID)}}, nil)

		parts := map[int]object{
			1: {size: 100, seed: 301},
			2: {size: 1<<20 + 512<<10, seed: 302},
			3: {size: 200 << 10, seed: 303},
		}
		for _, i := range []int{1, 2, 3} {
			uploadPart(t, c, mp.ObjectID, i, parts[i])
		}
		parts[2] = object{size: 2<<20 + 123, seed: 304} // the same index again replaces the part
		uploadPart(t, c, mp.ObjectID, 2, parts[2])

		order := []int{2, 3, 1, 2}
		var readers []io.Reader
		var size int64
		for _, i := range order {
			readers = append(readers, parts[i].reader())
			size += parts[i].size
		}
		h := sha256.New()
		io.Copy(h, io.MultiReader(readers...))
		var sum [32]byte
		h.Sum(sum[:0])

		c.ok(t, "POST", "/v1/object/completeMultipartUpload", nil, map[string]any{"objectID": mp.ObjectID, "indexes": order}, &d)
		done := d.Object
		require.Equal(t, mp.ObjectID, done.ObjectID)
		require.Equal(t, strconv.FormatInt(size, 10), done.Size)
		require.Equal(t, fileHashOf(sum), done.FileHash)
		require.NotEqual(t, "multipartUpload", done.Redundancy.Type)

		got, n, err := c.downloadSum(t.Context(), done.ObjectID)
		require.NoError(t, err)
		require.Equal(t, size, n)
		require.Equal(t, sum, got, "the completed object is the parts joined in the listed order")
		// A range across the boundary of the second and third listed parts (3 then 1).
		off := parts[2].size + parts[3].size - 50
		q := url.Values{"objectID": {itoa(done.ObjectID)}, "offset": {itoa(off)}, "length": {"100"}}
		b, _ := c.fetch(t, "/v1/object/download", q, nil, http.StatusOK)
		require.Equal(t, append(parts[3].bytesAt(parts[3].size-50, 50), parts[1].bytesAt(0, 50)...), b)

		c.fails(t, http.StatusConflict, "OperationFailed", "POST", "/v1/object/completeMultipartUpload", nil,
			map[string]any{"objectID": mp.ObjectID, "indexes": []int{1}})
		c.ok(t, "GET", "/v1/object/listByPath", url.Values{"packageID": {itoa(pkg)}, "path": {"multi"}}, nil, &l)
		require.Len(t, l.Objects, 1)
		require.Equal(t, done.Size, l.Objects[0].Size)
		require.Equal(t, done.FileHash, l.Objects[0].FileHash)
	})
}

// uploadPart uploads one part with /v1/object/uploadPart and requires success.
func uploadPart(t *testing.T, c *client, obj int64, index int, part object) {
	t.Helper()
	resp, err := c.postForm(t.Context(), "/v1/object/uploadPart", map[string]any{"objectID": obj, "index": index},
		[]formPart{{field: "file", filename: "part" + strconv.Itoa(index), body: part.reader()}})
	require.NoError(t, err)
	r, err := readReply(resp)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, r.status, "uploadPart %d: %s", index, r.body)
	require.Equal(t, "OK", r.env.Code, "uploadPart %d: %s", index, r.body)
}
