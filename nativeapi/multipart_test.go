package nativeapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// newMultipart starts a multipart upload and checks the object the seed shows for it.
func (h *harness) newMultipart(pkg uint64, path string) wireObject {
	h.t.Helper()
	var out struct {
		Object json.RawMessage `json:"object"`
	}
	h.ok(h.call("POST", "/v1/object/newMultipartUpload", map[string]any{"packageID": pkg, "path": path}), &out)
	requireKeys(h.t, out.Object, objectKeys...)
	var o wireObject
	require.NoError(h.t, json.Unmarshal(out.Object, &o))
	require.NotZero(h.t, o.ObjectID)
	require.Equal(h.t, pkg, o.PackageID)
	require.Equal(h.t, path, o.Path)
	require.Equal(h.t, "0", o.Size)
	require.Equal(h.t, "Full"+strings.Repeat("0", 64), o.FileHash)
	require.JSONEq(h.t, `{"type":"multipartUpload"}`, string(o.Redundancy))
	return o
}

// uploadPart sends one part; name is the data part's form name ("file" in the seed).
func (h *harness) uploadPart(obj uint64, index int, name string, data []byte) response {
	h.t.Helper()
	return h.postForm("/v1/object/uploadPart", infoPart(map[string]any{"objectID": obj, "index": index}),
		part{name: name, filename: "part", body: data})
}

func (h *harness) complete(obj uint64, indexes ...int) response {
	h.t.Helper()
	if indexes == nil {
		indexes = []int{}
	}
	return h.call("POST", "/v1/object/completeMultipartUpload", map[string]any{"objectID": obj, "indexes": indexes})
}

// completed requires a successful completion and returns the object.
func (h *harness) completed(r response) wireObject {
	h.t.Helper()
	var out struct {
		Object json.RawMessage `json:"object"`
	}
	h.ok(r, &out)
	requireKeys(h.t, out.Object, objectKeys...)
	var o wireObject
	require.NoError(h.t, json.Unmarshal(out.Object, &o))
	return o
}

// TestMultipartUpload follows the seed: create, upload parts (replacing one), complete with a
// reordered, repeating list that leaves a part out.
func TestMultipartUpload(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	pkg := h.newPackage()
	mp := h.newMultipart(pkg, "multi")

	// "The created object can be found by the query routes."
	var l wireList
	h.ok(h.call("GET", target("/v1/object/listByPath", "packageID", pkg, "path", "multi"), nil), &l)
	require.Len(t, l.Objects, 1)
	require.Equal(t, mp.ObjectID, l.Objects[0].ObjectID)
	require.JSONEq(t, `{"type":"multipartUpload"}`, string(l.Objects[0].Redundancy))

	parts := map[int][]byte{
		1: []byte("part one;"),
		2: randomBytes(2, stripeSize+3), // replaced below
		3: randomBytes(3, 2*chunkSize+1),
		4: []byte("never listed"),
	}
	for _, i := range []int{3, 1, 2, 4} {
		r := h.uploadPart(mp.ObjectID, i, "file", parts[i])
		require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
		require.Equal(t, "OK", r.env(t).Code)
	}
	// The same index again replaces the part; "files" is accepted as the part name too.
	parts[2] = randomBytes(22, 2*stripeSize+5)
	h.ok(h.uploadPart(mp.ObjectID, 2, "files", parts[2]), nil)

	order := []int{2, 3, 1, 2}
	var want []byte
	for _, i := range order {
		want = append(want, parts[i]...)
	}
	o := h.completed(h.complete(mp.ObjectID, order...))
	require.Equal(t, mp.ObjectID, o.ObjectID)
	require.Equal(t, pkg, o.PackageID)
	require.Equal(t, "multi", o.Path)
	require.True(t, mp.CreateTime.Equal(o.CreateTime))
	require.Equal(t, len(want), mustAtoi(t, o.Size))
	require.Equal(t, fileHash(want), o.FileHash)
	requireBytes(t, want, h.content(o.ObjectID))

	// Ranges that cross from one part into the next.
	p2 := len(parts[2])
	for _, tc := range []downloadCase{
		{name: "first part boundary", query: []any{"offset", p2 - 3, "length", 10}, status: 200, from: p2 - 3, to: p2 + 7},
		{name: "across three parts", rangeHdr: "bytes=10-", status: 206, from: 10, to: len(want), crange: rangeOf(10, len(want)-1, len(want))},
		{name: "the repeated part", query: []any{"offset", len(want) - p2 - 1}, status: 200, from: len(want) - p2 - 1, to: len(want)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := h.sub(t)
			h.checkDownload(t, tc, "/v1/object/download", []any{"objectID", o.ObjectID}, want)
		})
	}

	// The upload is over: no more parts, no second completion.
	h.failed(h.uploadPart(mp.ObjectID, 5, "file", []byte("late")), http.StatusConflict, "OperationFailed")
	h.failed(h.complete(mp.ObjectID, 1), http.StatusConflict, "OperationFailed")
	requireBytes(t, want, h.content(o.ObjectID))
}

// TestMultipartRestartsObject: newMultipartUpload on a taken path turns the object into the
// upload, keeping its ID and create time.
func TestMultipartRestartsObject(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	pkg := h.newPackage()
	old := h.upload(pkg, file{"p", []byte("old content")})[0]
	mp := h.newMultipart(pkg, "p")
	require.Equal(t, old.ObjectID, mp.ObjectID)
	require.True(t, old.CreateTime.Equal(mp.CreateTime))
	h.failed(h.download(old.ObjectID), http.StatusConflict, "OperationFailed")

	h.ok(h.uploadPart(mp.ObjectID, 0, "file", []byte("new content")), nil)
	o := h.completed(h.complete(mp.ObjectID, 0))
	require.Equal(t, old.ObjectID, o.ObjectID)
	require.Equal(t, []byte("new content"), h.content(o.ObjectID))
}

// TestMultipartSinglePartKinds completes uploads of one small, one empty and one large part.
func TestMultipartSinglePartKinds(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	pkg := h.newPackage()
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"small", []byte("x")},
		{"empty", nil},
		{"large", randomBytes(5, 3*stripeSize-1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := h.sub(t)
			mp := h.newMultipart(pkg, tc.name)
			h.ok(h.uploadPart(mp.ObjectID, 7, "file", tc.data), nil)
			o := h.completed(h.complete(mp.ObjectID, 7))
			require.Equal(t, fileHash(tc.data), o.FileHash)
			require.Equal(t, len(tc.data), mustAtoi(t, o.Size))
			requireBytes(t, tc.data, h.content(o.ObjectID))
		})
	}
}

func TestMultipartErrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	keep := h.newFixture()
	pkg := h.newPackage()
	mp := h.newMultipart(pkg, "mp")
	h.ok(h.uploadPart(mp.ObjectID, 1, "file", []byte("one")), nil)
	done := h.newMultipart(pkg, "done")
	h.ok(h.uploadPart(done.ObjectID, 1, "file", []byte("one")), nil)
	h.completed(h.complete(done.ObjectID, 1))
	regular := keep.objects[1].ObjectID

	form := func(info any, ps ...part) func(*harness) response {
		return func(h *harness) response {
			return h.postForm("/v1/object/uploadPart", append([]part{infoPart(info)}, ps...)...)
		}
	}
	data := part{name: "file", filename: "x", body: []byte("data")}
	call := func(route string, body any) func(*harness) response {
		return func(h *harness) response { return h.call("POST", route, body) }
	}
	tests := []struct {
		name   string
		send   func(h *harness) response
		status int
		code   string
	}{
		{"part: unknown object", form(map[string]any{"objectID": 999999, "index": 1}, data), 404, "DataNotFound"},
		{"part: no objectID", form(map[string]any{"index": 1}, data), 400, "BadArgument"},
		{"part: no index", form(map[string]any{"objectID": mp.ObjectID}, data), 400, "BadArgument"},
		{"part: negative index", form(map[string]any{"objectID": mp.ObjectID, "index": -1}, data), 400, "BadArgument"},
		{"part: index too large", form(map[string]any{"objectID": mp.ObjectID, "index": int64(1) << 31}, data), 400, "BadArgument"},
		{"part: index not a number", form(map[string]any{"objectID": mp.ObjectID, "index": "1"}, data), 400, "BadArgument"},
		{"part: no data part", form(map[string]any{"objectID": mp.ObjectID, "index": 2}), 400, "BadArgument"},
		{"part: two data parts", form(map[string]any{"objectID": mp.ObjectID, "index": 2}, data, data), 400, "BadArgument"},
		{"part: data part misnamed", form(map[string]any{"objectID": mp.ObjectID, "index": 2},
			part{name: "blob", filename: "x", body: []byte("d")}), 400, "BadArgument"},
		{"part: completed object", form(map[string]any{"objectID": done.ObjectID, "index": 2}, data), 409, "OperationFailed"},
		{"part: regular object", form(map[string]any{"objectID": regular, "index": 2}, data), 409, "OperationFailed"},
		{"part: info not first", func(h *harness) response {
			return h.postForm("/v1/object/uploadPart", data, infoPart(map[string]any{"objectID": mp.ObjectID, "index": 2}))
		}, 400, "BadArgument"},

		{"complete: no indexes", call("/v1/object/completeMultipartUpload", map[string]any{"objectID": mp.ObjectID, "indexes": []int{}}), 400, "BadArgument"},
		{"complete: indexes absent", call("/v1/object/completeMultipartUpload", map[string]any{"objectID": mp.ObjectID}), 400, "BadArgument"},
		{"complete: part not uploaded", call("/v1/object/completeMultipartUpload", map[string]any{"objectID": mp.ObjectID, "indexes": []int{1, 2}}), 400, "BadArgument"},
		{"complete: negative index", call("/v1/object/completeMultipartUpload", map[string]any{"objectID": mp.ObjectID, "indexes": []int{-1}}), 400, "BadArgument"},
		{"complete: unknown object", call("/v1/object/completeMultipartUpload", map[string]any{"objectID": 999999, "indexes": []int{1}}), 404, "DataNotFound"},
		{"complete: no objectID", call("/v1/object/completeMultipartUpload", map[string]any{"indexes": []int{1}}), 400, "BadArgument"},
		{"complete: regular object", call("/v1/object/completeMultipartUpload", map[string]any{"objectID": regular, "indexes": []int{1}}), 409, "OperationFailed"},
		{"complete: indexes wrong type", call("/v1/object/completeMultipartUpload", `{"objectID": 1, "indexes": "1,2"}`), 400, "BadArgument"},

		{"new: no packageID", call("/v1/object/newMultipartUpload", map[string]any{"path": "x"}), 400, "BadArgument"},
		{"new: unknown package", call("/v1/object/newMultipartUpload", map[string]any{"packageID": 999999, "path": "x"}), 404, "DataNotFound"},
		{"new: empty path", call("/v1/object/newMultipartUpload", map[string]any{"packageID": pkg, "path": ""}), 400, "BadArgument"},
		{"new: path with NUL", call("/v1/object/newMultipartUpload", map[string]any{"packageID": pkg, "path": "a\x00b"}), 400, "BadArgument"},
		{"new: path too long", call("/v1/object/newMultipartUpload", map[string]any{"packageID": pkg, "path": strings.Repeat("p", 1025)}), 400, "BadArgument"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := h.sub(t)
			h.failed(tc.send(h), tc.status, tc.code)
		})
	}

	// None of the failed parts was stored: the upload still completes from part 1 alone.
	h.failed(h.complete(mp.ObjectID, 2), http.StatusBadRequest, "BadArgument")
	o := h.completed(h.complete(mp.ObjectID, 1, 1))
	require.Equal(t, []byte("oneone"), h.content(o.ObjectID))
	require.Equal(t, []string{"done", "mp"}, paths(h.packageObjects(pkg)))
	h.requireIntact(keep)
}

// TestMultipartPartAlteredAfterSigning: a part whose body no longer matches its signature is
// refused and not stored.
func TestMultipartPartAlteredAfterSigning(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	pkg := h.newPackage()
	mp := h.newMultipart(pkg, "mp")
	for _, mode := range []signMode{signDeclared, signUndeclared} {
		t.Run(mode.String(), func(t *testing.T) {
			h := h.sub(t)
			req, body := h.uploadRequest("/v1/object/uploadPart",
				infoPart(map[string]any{"objectID": mp.ObjectID, "index": 1}),
				part{name: "file", filename: "x", body: []byte("original")})
			sign(t, req, body, mode, h.creds, time.Now())
			setBody(req, bytes.Replace(body, []byte("original"), []byte("tampered"), 1))
			requireError(t, h.send(req), http.StatusForbidden, "Unauthorized")
		})
	}
	h.failed(h.complete(mp.ObjectID, 1), http.StatusBadRequest, "BadArgument")
}
