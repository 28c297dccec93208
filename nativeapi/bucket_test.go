package nativeapi_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBucketRoutes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)

	// 1.1 create: {"bucket":{"bucketID","name"}}.
	r := h.call("POST", "/v1/bucket/create", `{"userID": 1, "name": "bkt1"}`)
	var created struct {
		Bucket json.RawMessage `json:"bucket"`
	}
	h.ok(r, &created)
	requireKeys(t, created.Bucket, "bucketID", "name")
	var b1 wireBucket
	require.NoError(t, json.Unmarshal(created.Bucket, &b1))
	require.NotZero(t, b1.BucketID)
	require.Equal(t, "bkt1", b1.Name)
	b2 := h.createBucket("bkt2")
	require.NotEqual(t, b1.BucketID, b2.BucketID)

	// 1.2 getByName.
	var got struct {
		Bucket wireBucket `json:"bucket"`
	}
	h.ok(h.call("GET", target("/v1/bucket/getByName", "name", "bkt1"), nil), &got)
	require.Equal(t, b1, got.Bucket)

	// 1.3 listAll, by name.
	var all struct {
		Buckets []wireBucket `json:"buckets"`
	}
	h.ok(h.call("GET", "/v1/bucket/listAll", nil), &all)
	require.Equal(t, []wireBucket{b1, b2}, all.Buckets)

	// 1.4 delete answers data null; the bucket is gone.
	r = h.call("POST", "/v1/bucket/delete", map[string]any{"bucketID": b1.BucketID})
	h.ok(r, nil)
	require.Equal(t, "null", string(r.env(t).Data))
	h.failed(h.call("GET", target("/v1/bucket/getByName", "name", "bkt1"), nil), http.StatusNotFound, "DataNotFound")
	h.failed(h.call("POST", "/v1/bucket/delete", map[string]any{"bucketID": b1.BucketID}), http.StatusNotFound, "DataNotFound")
	h.ok(h.call("GET", "/v1/bucket/listAll", nil), &all)
	require.Equal(t, []wireBucket{b2}, all.Buckets)

	// The name is free again.
	require.NotEqual(t, b1.BucketID, h.createBucket("bkt1").BucketID)
}

func TestBucketListAllEmpty(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.call("GET", "/v1/bucket/listAll", nil)
	h.ok(r, nil)
	require.JSONEq(t, `{"buckets":[]}`, string(r.env(t).Data))
}

func TestPackageRoutes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	b := h.createBucket("bkt1")
	other := h.createBucket("bkt2")

	// 2.1 create: {"package":{"packageID","name","bucketID","createTime"}}.
	r := h.call("POST", "/v1/package/create", map[string]any{"bucketID": b.BucketID, "name": "t1"})
	var created struct {
		Package json.RawMessage `json:"package"`
	}
	h.ok(r, &created)
	requireKeys(t, created.Package, "packageID", "name", "bucketID", "createTime")
	var p1 wirePackage
	require.NoError(t, json.Unmarshal(created.Package, &p1))
	require.Equal(t, "t1", p1.Name)
	require.Equal(t, b.BucketID, p1.BucketID)
	require.False(t, p1.CreateTime.IsZero())
	p2 := h.createPackage(b.BucketID, "t0")
	// The same name in another bucket is another package.
	p3 := h.createPackage(other.BucketID, "t1")
	require.NotEqual(t, p1.PackageID, p3.PackageID)

	// 2.2 getByFullName.
	var got struct {
		Package wirePackage `json:"package"`
	}
	h.ok(h.call("GET", target("/v1/package/getByFullName", "bucketName", "bkt1", "packageName", "t1"), nil), &got)
	require.Equal(t, p1.PackageID, got.Package.PackageID)
	require.True(t, p1.CreateTime.Equal(got.Package.CreateTime))
	h.ok(h.call("GET", target("/v1/package/getByFullName", "bucketName", "bkt2", "packageName", "t1"), nil), &got)
	require.Equal(t, p3.PackageID, got.Package.PackageID)

	// 2.3 listBucketPackages, by name.
	var list struct {
		Packages []wirePackage `json:"packages"`
	}
	h.ok(h.call("GET", target("/v1/package/listBucketPackages", "bucketID", b.BucketID), nil), &list)
	require.Len(t, list.Packages, 2)
	require.Equal(t, []uint64{p2.PackageID, p1.PackageID}, []uint64{list.Packages[0].PackageID, list.Packages[1].PackageID})

	// 2.4 delete answers data null.
	r = h.call("POST", "/v1/package/delete", map[string]any{"packageID": p1.PackageID})
	h.ok(r, nil)
	require.Equal(t, "null", string(r.env(t).Data))
	h.failed(h.call("GET", target("/v1/package/getByFullName", "bucketName", "bkt1", "packageName", "t1"), nil),
		http.StatusNotFound, "DataNotFound")
	h.failed(h.call("POST", "/v1/package/delete", map[string]any{"packageID": p1.PackageID}), http.StatusNotFound, "DataNotFound")
	h.ok(h.call("GET", target("/v1/package/listBucketPackages", "bucketID", b.BucketID), nil), &list)
	require.Len(t, list.Packages, 1)
	require.Equal(t, p2.PackageID, list.Packages[0].PackageID)

	// An empty bucket lists [] (not null).
	e := h.createBucket("empty")
	r = h.call("GET", target("/v1/package/listBucketPackages", "bucketID", e.BucketID), nil)
	h.ok(r, nil)
	require.JSONEq(t, `{"packages":[]}`, string(r.env(t).Data))
}

// TestDeleteCascades checks that deleting a package or a bucket deletes the objects in it and
// nothing else.
func TestDeleteCascades(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	keep := h.newFixture()
	b := h.createBucket("doomed")
	p1 := h.createPackage(b.BucketID, "p1")
	p2 := h.createPackage(b.BucketID, "p2")
	small, large := []byte("hello"), randomBytes(2, stripeSize+1)
	o1 := h.upload(p1.PackageID, file{"a.txt", small}, file{"b/large", large})
	o2 := h.upload(p2.PackageID, file{"c.txt", small})

	gone := func(objs []wireObject, pkg uint64) {
		t.Helper()
		for _, o := range objs {
			h.failed(h.download(o.ObjectID), http.StatusNotFound, "DataNotFound")
			h.failed(h.call("GET", target("/v1/object/downloadByPath", "packageID", pkg, "path", o.Path), nil),
				http.StatusNotFound, "DataNotFound")
		}
		h.failed(h.call("GET", target("/v1/object/getPackageObjects", "packageID", pkg), nil), http.StatusNotFound, "DataNotFound")
		h.failed(h.call("GET", target("/v1/object/listByPath", "packageID", pkg, "path", "", "isPrefix", true), nil),
			http.StatusNotFound, "DataNotFound")
	}

	h.ok(h.call("POST", "/v1/package/delete", map[string]any{"packageID": p1.PackageID}), nil)
	gone(o1, p1.PackageID)
	require.Equal(t, small, h.content(o2[0].ObjectID))

	h.ok(h.call("POST", "/v1/bucket/delete", map[string]any{"bucketID": b.BucketID}), nil)
	gone(o2, p2.PackageID)
	h.failed(h.call("GET", target("/v1/package/getByFullName", "bucketName", "doomed", "packageName", "p2"), nil),
		http.StatusNotFound, "DataNotFound")
	h.failed(h.call("GET", target("/v1/package/listBucketPackages", "bucketID", b.BucketID), nil), http.StatusNotFound, "DataNotFound")

	h.requireIntact(keep)
}
