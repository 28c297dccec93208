package nativeapi_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// byPath downloads the object at path in pkg, or returns the error response.
func (h *harness) byPath(pkg uint64, path string) response {
	h.t.Helper()
	return h.call("GET", target("/v1/object/downloadByPath", "packageID", pkg, "path", path), nil)
}

func TestMoveObjects(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	pa, pb := h.newPackage(), h.newPackage()
	large := randomBytes(1, stripeSize+9)
	objs := h.upload(pa, file{"a.txt", []byte("a")}, file{"b.bin", large}, file{"c.txt", []byte("c")}, file{"d.txt", []byte("d")})
	a, b, c, d := objs[0], objs[1], objs[2], objs[3]
	taken := h.upload(pb, file{"taken.txt", []byte("taken")})[0]

	type mv = map[string]any
	movings := []mv{
		{"objectID": a.ObjectID, "packageID": pb, "path": "moved/a.txt"}, // to another package
		{"objectID": 999999, "packageID": pa, "path": "x"},               // skipped: no such object
		{"objectID": b.ObjectID, "packageID": 999999, "path": "x"},       // skipped: no such package
		{"objectID": c.ObjectID, "packageID": pb, "path": "taken.txt"},   // skipped: the path is taken
		{"objectID": d.ObjectID, "packageID": pa, "path": ""},            // skipped: bad path
		{"objectID": d.ObjectID, "packageID": pa, "path": "d.txt"},       // onto itself: fine
		{"objectID": b.ObjectID, "packageID": pa, "path": "dir/b.bin"},   // a rename
		{"objectID": c.ObjectID, "packageID": pa, "path": "a.txt"},       // into the path move 1 freed
	}
	r := h.call("POST", "/v1/object/move", map[string]any{"movings": movings})
	var out struct {
		Successes []uint64 `json:"successes"`
	}
	h.ok(r, &out)
	require.Equal(t, []uint64{a.ObjectID, d.ObjectID, b.ObjectID, c.ObjectID}, out.Successes)

	for _, tc := range []struct {
		pkg  uint64
		path string
		was  wireObject
		data []byte
	}{
		{pb, "moved/a.txt", a, []byte("a")},
		{pa, "dir/b.bin", b, large},
		{pa, "a.txt", c, []byte("c")},
		{pa, "d.txt", d, []byte("d")},
		{pb, "taken.txt", taken, []byte("taken")},
	} {
		got := h.list(tc.pkg, "path", tc.path)
		require.Len(t, got.Objects, 1, tc.path)
		o := got.Objects[0]
		require.Equal(t, tc.was.ObjectID, o.ObjectID, "a move keeps the object ID")
		require.True(t, tc.was.CreateTime.Equal(o.CreateTime), "a move keeps the create time")
		require.Equal(t, tc.was.FileHash, o.FileHash)
		requireBytes(t, tc.data, h.byPath(tc.pkg, tc.path).body)
		requireBytes(t, tc.data, h.content(o.ObjectID))
	}
	h.failed(h.byPath(pa, "b.bin"), http.StatusNotFound, "DataNotFound")
	h.failed(h.byPath(pa, "c.txt"), http.StatusNotFound, "DataNotFound")
	require.Equal(t, []string{"a.txt", "d.txt", "dir/b.bin"}, paths(h.packageObjects(pa)))
	require.Equal(t, []string{"moved/a.txt", "taken.txt"}, paths(h.packageObjects(pb)))

	// Nothing to move: an empty list, not null.
	r = h.call("POST", "/v1/object/move", map[string]any{"movings": []mv{}})
	h.ok(r, nil)
	require.JSONEq(t, `{"successes":[]}`, string(r.env(t).Data))
	r = h.call("POST", "/v1/object/move", map[string]any{"movings": []mv{{"objectID": 999999, "packageID": pa, "path": "x"}}})
	h.ok(r, nil)
	require.JSONEq(t, `{"successes":[]}`, string(r.env(t).Data))
}

func TestDeleteObjects(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	keep := h.newFixture()
	pkg := h.newPackage()
	objs := h.upload(pkg, file{"a", []byte("a")}, file{"b", randomBytes(1, stripeSize*2)}, file{"c", nil})
	mp := h.newMultipart(pkg, "mp")

	r := h.call("POST", "/v1/object/delete", map[string]any{"objectIDs": []uint64{objs[0].ObjectID, 999999, objs[1].ObjectID, mp.ObjectID}})
	h.ok(r, nil)
	require.Equal(t, "null", string(r.env(t).Data))
	for _, o := range []wireObject{objs[0], objs[1]} {
		h.failed(h.download(o.ObjectID), http.StatusNotFound, "DataNotFound")
	}
	require.Equal(t, []string{"c"}, paths(h.packageObjects(pkg)))

	// "OK even if the objects do not exist": again, and an empty list.
	for _, body := range []any{
		map[string]any{"objectIDs": []uint64{objs[0].ObjectID, 999999}},
		map[string]any{"objectIDs": []uint64{}},
		map[string]any{},
	} {
		h.ok(h.call("POST", "/v1/object/delete", body), nil)
	}
	require.Equal(t, []string{"c"}, paths(h.packageObjects(pkg)))
	h.requireIntact(keep)
}

func TestCloneObjects(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	pa, pb := h.newPackage(), h.newPackage()
	large := randomBytes(3, 2*stripeSize+100)
	src := h.upload(pa, file{"large.bin", large}, file{"small.txt", []byte("small")}, file{"empty", nil})
	shards := h.shardCount()

	// 3.8: {"objects":[...]}, in request order.
	r := h.call("POST", "/v1/object/clone", map[string]any{"clonings": []map[string]any{
		{"objectID": src[0].ObjectID, "newPath": "copy/large.bin", "newPackageID": pb},
		{"objectID": src[1].ObjectID, "newPath": "small copy.txt", "newPackageID": pa},
		{"objectID": src[2].ObjectID, "newPath": "empty copy", "newPackageID": pb},
	}})
	var out struct {
		Objects []json.RawMessage `json:"objects"`
	}
	h.ok(r, &out)
	require.Len(t, out.Objects, 3)
	var clones []wireObject
	for _, raw := range out.Objects {
		requireKeys(t, raw, objectKeys...)
		var o wireObject
		require.NoError(t, json.Unmarshal(raw, &o))
		clones = append(clones, o)
	}
	requireObject(t, clones[0], pb, "copy/large.bin", large)
	requireObject(t, clones[1], pa, "small copy.txt", []byte("small"))
	requireObject(t, clones[2], pb, "empty copy", nil)
	for i, c := range clones {
		require.NotEqual(t, src[i].ObjectID, c.ObjectID)
		require.JSONEq(t, string(src[i].Redundancy), string(c.Redundancy))
	}
	requireBytes(t, large, h.content(clones[0].ObjectID))
	require.Equal(t, shards, h.shardCount(), "a clone shares its source's data")

	// Each lives on without the other.
	h.ok(h.call("POST", "/v1/object/delete", map[string]any{"objectIDs": []uint64{src[0].ObjectID}}), nil)
	requireBytes(t, large, h.content(clones[0].ObjectID))
	requireBytes(t, []byte("small"), h.content(src[1].ObjectID))
	h.ok(h.call("POST", "/v1/object/delete", map[string]any{"objectIDs": []uint64{clones[1].ObjectID}}), nil)
	requireBytes(t, []byte("small"), h.content(src[1].ObjectID))
}

func TestCloneErrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	keep := h.newFixture()
	pkg := h.newPackage()
	src := h.upload(pkg, file{"src", []byte("source")}, file{"taken", []byte("taken")})
	mp := h.newMultipart(pkg, "mp")
	ok := map[string]any{"objectID": src[0].ObjectID, "newPath": "fresh", "newPackageID": pkg}

	type cl = map[string]any
	tests := []struct {
		name     string
		clonings []cl
		status   int
		code     string
	}{
		{"path taken", []cl{ok, {"objectID": src[0].ObjectID, "newPath": "taken", "newPackageID": pkg}}, 409, "DataExists"},
		{"same path twice", []cl{ok, ok}, 409, "DataExists"},
		{"unknown object", []cl{ok, {"objectID": 999999, "newPath": "x", "newPackageID": pkg}}, 404, "DataNotFound"},
		{"unknown package", []cl{ok, {"objectID": src[0].ObjectID, "newPath": "x", "newPackageID": 999999}}, 404, "DataNotFound"},
		{"empty path", []cl{ok, {"objectID": src[0].ObjectID, "newPath": "", "newPackageID": pkg}}, 400, "BadArgument"},
		{"path with NUL", []cl{ok, {"objectID": src[0].ObjectID, "newPath": "a\x00", "newPackageID": pkg}}, 400, "BadArgument"},
		{"no newPackageID", []cl{ok, {"objectID": src[0].ObjectID, "newPath": "x"}}, 400, "BadArgument"},
		{"no objectID", []cl{ok, {"newPath": "x", "newPackageID": pkg}}, 400, "BadArgument"},
		{"multipart upload in progress", []cl{ok, {"objectID": mp.ObjectID, "newPath": "x", "newPackageID": pkg}}, 409, "OperationFailed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := h.sub(t)
			h.failed(h.call("POST", "/v1/object/clone", map[string]any{"clonings": tc.clonings}), tc.status, tc.code)
			// All or nothing: the good clone before the bad one was not made either.
			h.failed(h.byPath(pkg, "fresh"), http.StatusNotFound, "DataNotFound")
		})
	}
	require.Equal(t, []string{"mp", "src", "taken"}, paths(h.packageObjects(pkg)))
	h.requireIntact(keep)
}
