package nativeapi_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// list calls listByPath with the given query and returns the page, checking its shape.
func (h *harness) list(pkg uint64, kvs ...any) wireList {
	h.t.Helper()
	r := h.call("GET", target("/v1/object/listByPath", append([]any{"packageID", pkg}, kvs...)...), nil)
	h.ok(r, nil)
	data := r.env(h.t).Data
	requireKeys(h.t, data, "nextContinuationToken", "isTruncated", "commonPrefixes", "objects")
	var l wireList
	require.NoError(h.t, json.Unmarshal(data, &l))
	require.NotNil(h.t, l.CommonPrefixes, "commonPrefixes must be an array: %s", data)
	require.NotNil(h.t, l.Objects, "objects must be an array: %s", data)
	for _, raw := range rawObjects(h.t, data) {
		requireKeys(h.t, raw, objectKeys...)
	}
	return l
}

func rawObjects(t *testing.T, data json.RawMessage) []json.RawMessage {
	var v struct {
		Objects []json.RawMessage `json:"objects"`
	}
	require.NoError(t, json.Unmarshal(data, &v))
	return v.Objects
}

// listAll pages through a listing with maxKeys and returns every prefix and object path.
func (h *harness) listAll(pkg uint64, maxKeys int, kvs ...any) (prefixes, objects []string, pages int) {
	h.t.Helper()
	token := ""
	for {
		q := append([]any{"maxKeys", maxKeys, "continuationToken", token}, kvs...)
		l := h.list(pkg, q...)
		pages++
		n := len(l.CommonPrefixes) + len(l.Objects)
		require.LessOrEqual(h.t, n, maxKeys)
		prefixes = append(prefixes, l.CommonPrefixes...)
		objects = append(objects, paths(l.Objects)...)
		if !l.IsTruncated {
			return prefixes, objects, pages
		}
		require.Equal(h.t, maxKeys, n, "a truncated page is full")
		require.NotEmpty(h.t, l.NextContinuationToken)
		token = l.NextContinuationToken
		require.Less(h.t, pages, 1000, "the listing does not end")
	}
}

func TestListByPath(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	pkg := h.newPackage()
	all := []string{"a/1.txt", "a/2.txt", "a/b/3.txt", "a/b/c/4.txt", "a/c/5.txt", "a0", "b/6.txt", "top.txt"}
	var files []file
	for _, p := range all {
		files = append(files, file{p, []byte("content of " + p)})
	}
	objs := h.upload(pkg, files...)

	tests := []struct {
		name     string
		query    []any
		prefixes []string
		objects  []string
	}{
		{"exact", []any{"path", "a/1.txt"}, nil, []string{"a/1.txt"}},
		{"exact, no such path", []any{"path", "a"}, nil, nil},
		{"exact ignores noRecursive", []any{"path", "a/b/3.txt", "noRecursive", true}, nil, []string{"a/b/3.txt"}},
		{"isPrefix false", []any{"path", "a/1.txt", "isPrefix", false}, nil, []string{"a/1.txt"}},
		{"prefix dir", []any{"path", "a/", "isPrefix", true}, nil, all[:5]},
		{"prefix partial", []any{"path", "a", "isPrefix", true}, nil, all[:6]},
		{"prefix all", []any{"path", "", "isPrefix", true}, nil, all},
		{"prefix all, path absent", []any{"isPrefix", true}, nil, all},
		{"prefix 1 is true", []any{"path", "b/", "isPrefix", 1}, nil, []string{"b/6.txt"}},
		{"prefix none", []any{"path", "zzz", "isPrefix", true}, nil, nil},
		{"noRecursive dir", []any{"path", "a/", "isPrefix", true, "noRecursive", true}, []string{"a/b/", "a/c/"}, all[:2]},
		{"noRecursive root", []any{"path", "", "isPrefix", true, "noRecursive", true}, []string{"a/", "b/"}, []string{"a0", "top.txt"}},
		{"noRecursive deeper", []any{"path", "a/b/", "isPrefix", true, "noRecursive", true}, []string{"a/b/c/"}, []string{"a/b/3.txt"}},
		{"noRecursive partial name", []any{"path", "a/b", "isPrefix", true, "noRecursive", true}, []string{"a/b/"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := h.sub(t)
			l := h.list(pkg, tc.query...)
			require.False(t, l.IsTruncated)
			require.Empty(t, l.NextContinuationToken)
			require.Equal(t, append([]string{}, tc.prefixes...), l.CommonPrefixes)
			require.Equal(t, append([]string{}, tc.objects...), paths(l.Objects))
		})
	}

	// The listed objects are the uploaded ones.
	l := h.list(pkg, "path", "a/1.txt")
	require.Equal(t, objs[0].ObjectID, l.Objects[0].ObjectID)
	require.Equal(t, objs[0].FileHash, l.Objects[0].FileHash)
	require.Equal(t, objs[0].Size, l.Objects[0].Size)
	require.JSONEq(t, string(objs[0].Redundancy), string(l.Objects[0].Redundancy))
}

func TestListPaging(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	pkg := h.newPackage()
	var files []file
	var objects, prefixes, recursive []string
	for i := range 10 {
		p := fmt.Sprintf("p/%02d", i)
		files, objects = append(files, file{p, []byte(p)}), append(objects, p)
	}
	for i := range 5 {
		prefixes = append(prefixes, fmt.Sprintf("p/d%d/", i))
		for j := range 3 {
			p := fmt.Sprintf("p/d%d/%d", i, j)
			files, recursive = append(files, file{p, nil}), append(recursive, p)
		}
	}
	files = append(files, file{"q/other", nil})
	h.upload(pkg, files...)
	recursive = append(slices.Clone(objects), recursive...)
	slices.Sort(recursive)

	for _, maxKeys := range []int{1, 4, 5, 7, 15, 25, 26, 1000} {
		t.Run(fmt.Sprintf("maxKeys=%d", maxKeys), func(t *testing.T) {
			h := h.sub(t)
			gotPrefixes, gotObjects, pages := h.listAll(pkg, maxKeys, "path", "p/", "isPrefix", true)
			require.Empty(t, gotPrefixes)
			require.Equal(t, recursive, gotObjects)
			// A listing that ends exactly at a page boundary is not truncated.
			require.Equal(t, (len(recursive)+maxKeys-1)/maxKeys, pages)

			gotPrefixes, gotObjects, _ = h.listAll(pkg, maxKeys, "path", "p/", "isPrefix", true, "noRecursive", true)
			require.Equal(t, prefixes, gotPrefixes)
			require.Equal(t, objects, gotObjects)
		})
	}
}

// TestListMaxKeys lists a package of more than 1000 objects: the default and the cap are 1000.
func TestListMaxKeys(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	pkg := h.newPackage()
	const n = 1205
	var files []file
	var want []string
	for i := range n {
		p := fmt.Sprintf("many/%05d", i)
		files, want = append(files, file{p, nil}), append(want, p)
	}
	files[17].data = []byte("not empty")
	h.upload(pkg, files...)

	for _, tc := range []struct {
		name  string
		query []any
	}{
		{"default", nil},
		{"zero", []any{"maxKeys", 0}},
		{"capped", []any{"maxKeys", 5000}},
		{"exactly the cap", []any{"maxKeys", 1000}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := h.sub(t)
			l := h.list(pkg, append([]any{"path", "many/", "isPrefix", true}, tc.query...)...)
			require.Len(t, l.Objects, 1000)
			require.True(t, l.IsTruncated)
			require.Equal(t, want[:1000], paths(l.Objects))
			rest := h.list(pkg, append([]any{"path", "many/", "isPrefix", true, "continuationToken", l.NextContinuationToken}, tc.query...)...)
			require.False(t, rest.IsTruncated)
			require.Equal(t, want[1000:], paths(rest.Objects))
		})
	}

	// getPackageObjects streams them all, in path order, as valid JSON.
	r := h.call("GET", target("/v1/object/getPackageObjects", "packageID", pkg), nil)
	h.ok(r, nil)
	raws := rawObjects(t, r.env(t).Data)
	require.Len(t, raws, n)
	requireKeys(t, raws[17], objectKeys...)
	got := h.packageObjects(pkg)
	require.Equal(t, want, paths(got))
	requireObject(t, got[17], pkg, want[17], []byte("not empty"))
	requireObject(t, got[n-1], pkg, want[n-1], nil)
}

func TestListErrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	keep := h.newFixture()
	pkg := h.newPackage()
	var files []file
	for i := range 5 {
		files = append(files, file{fmt.Sprintf("x/%d", i), nil})
	}
	h.upload(pkg, files...)
	page := h.list(pkg, "path", "x/", "isPrefix", true, "maxKeys", 2)
	require.True(t, page.IsTruncated)
	tok := page.NextContinuationToken

	tests := []struct {
		name   string
		query  []any
		status int
		code   string
	}{
		{"no packageID", []any{"path", "x"}, 400, "BadArgument"},
		{"packageID not a number", []any{"packageID", "p", "path", "x"}, 400, "BadArgument"},
		{"unknown package", []any{"packageID", 999999, "path", "x"}, 404, "DataNotFound"},
		{"negative maxKeys", []any{"packageID", pkg, "path", "x/", "isPrefix", true, "maxKeys", -1}, 400, "BadArgument"},
		{"maxKeys not a number", []any{"packageID", pkg, "path", "x/", "isPrefix", true, "maxKeys", "ten"}, 400, "BadArgument"},
		{"isPrefix not a bool", []any{"packageID", pkg, "path", "x/", "isPrefix", "maybe"}, 400, "BadArgument"},
		{"noRecursive not a bool", []any{"packageID", pkg, "path", "x/", "isPrefix", true, "noRecursive", 2}, 400, "BadArgument"},
		{"token not base64", []any{"packageID", pkg, "path", "x/", "isPrefix", true, "continuationToken", "!!!"}, 400, "BadArgument"},
		{"token of garbage", []any{"packageID", pkg, "path", "x/", "isPrefix", true,
			"continuationToken", base64.RawURLEncoding.EncodeToString([]byte("zz"))}, 400, "BadArgument"},
		{"token of another prefix", []any{"packageID", pkg, "path", "y/", "isPrefix", true, "continuationToken", tok}, 400, "BadArgument"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := h.sub(t)
			h.failed(h.call("GET", target("/v1/object/listByPath", tc.query...), nil), tc.status, tc.code)
		})
	}
	// The token still works where it belongs.
	next := h.list(pkg, "path", "x/", "isPrefix", true, "maxKeys", 2, "continuationToken", tok)
	require.Equal(t, []string{"x/2", "x/3"}, paths(next.Objects))
	last := h.list(pkg, "path", "x/", "isPrefix", true, "maxKeys", 2, "continuationToken", next.NextContinuationToken)
	require.Equal(t, []string{"x/4"}, paths(last.Objects))
	require.False(t, last.IsTruncated)
	h.requireIntact(keep)
}

func TestGetPackageObjects(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	pkg := h.newPackage()

	// An empty package.
	r := h.call("GET", target("/v1/object/getPackageObjects", "packageID", pkg), nil)
	h.ok(r, nil)
	require.JSONEq(t, `{"objects":[]}`, string(r.env(t).Data))

	objs := h.upload(pkg, file{"a/2.txt", []byte("two")}, file{"a/1.txt", []byte("one")}, file{"b", nil})
	mp := h.newMultipart(pkg, "c")
	got := h.packageObjects(pkg)
	require.Equal(t, []string{"a/1.txt", "a/2.txt", "b", "c"}, paths(got))
	require.Equal(t, objs[1].ObjectID, got[0].ObjectID)
	requireObject(t, got[0], pkg, "a/1.txt", []byte("one"))
	requireObject(t, got[2], pkg, "b", nil)
	require.Equal(t, mp.ObjectID, got[3].ObjectID)
	require.JSONEq(t, `{"type":"multipartUpload"}`, string(got[3].Redundancy))

	for _, tc := range []struct {
		name   string
		target string
		status int
		code   string
	}{
		{"unknown package", target("/v1/object/getPackageObjects", "packageID", 999999), http.StatusNotFound, "DataNotFound"},
		{"no packageID", "/v1/object/getPackageObjects", http.StatusBadRequest, "BadArgument"},
		{"packageID zero", target("/v1/object/getPackageObjects", "packageID", 0), http.StatusBadRequest, "BadArgument"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := h.sub(t)
			h.failed(h.call("GET", tc.target, nil), tc.status, tc.code)
		})
	}
}
