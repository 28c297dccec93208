package nativeapi_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// badCase is one bad request and the error it must get.
type badCase struct {
	name   string
	send   func(h *harness) response
	status int
	code   string
}

// TestBadInput sends malformed, incomplete and conflicting requests to every kind of route:
// each gets its status and code, and afterwards nothing has changed.
func TestBadInput(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	keep := h.newFixture()
	var buckets struct {
		Buckets []wireBucket `json:"buckets"`
	}
	h.ok(h.call("GET", "/v1/bucket/listAll", nil), &buckets)
	require.Len(t, buckets.Buckets, 1)
	bucket := buckets.Buckets[0]
	var pkgs struct {
		Packages []wirePackage `json:"packages"`
	}
	h.ok(h.call("GET", target("/v1/package/listBucketPackages", "bucketID", bucket.BucketID), nil), &pkgs)

	var cases []badCase
	cases = append(cases, jsonCases(bucket, pkgs.Packages[0])...)
	cases = append(cases, uploadCases(keep)...)
	cases = append(cases, routeCases()...)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := h.sub(t)
			h.failed(tc.send(h), tc.status, tc.code)
		})
	}

	h.requireIntact(keep)
	var after struct {
		Buckets []wireBucket `json:"buckets"`
	}
	h.ok(h.call("GET", "/v1/bucket/listAll", nil), &after)
	require.Equal(t, buckets.Buckets, after.Buckets)
	var afterPkgs struct {
		Packages []wirePackage `json:"packages"`
	}
	h.ok(h.call("GET", target("/v1/package/listBucketPackages", "bucketID", bucket.BucketID), nil), &afterPkgs)
	require.Equal(t, pkgs.Packages, afterPkgs.Packages)
}

// post returns a case body that POSTs body (a string is sent as is) to route.
func post(route string, body any) func(*harness) response {
	return func(h *harness) response { return h.call("POST", route, body) }
}

// get returns a case body that GETs target.
func get(target string) func(*harness) response {
	return func(h *harness) response { return h.call("GET", target, nil) }
}

// jsonCases are bad JSON bodies and query parameters of the bucket, package and object routes.
func jsonCases(b wireBucket, p wirePackage) []badCase {
	long := strings.Repeat("n", 256)
	return []badCase{
		{"malformed JSON", post("/v1/bucket/create", `{"name":`), 400, "BadArgument"},
		{"not JSON", post("/v1/bucket/create", `name=x`), 400, "BadArgument"},
		{"trailing garbage", post("/v1/bucket/create", `{"name":"x"} xyz`), 400, "BadArgument"},
		{"two JSON values", post("/v1/bucket/create", `{"name":"x"}{"name":"y"}`), 400, "BadArgument"},
		{"empty body", post("/v1/bucket/create", ""), 400, "BadArgument"},
		{"null body", post("/v1/bucket/create", "null"), 400, "BadArgument"},
		{"array body", post("/v1/bucket/create", "[]"), 400, "BadArgument"},
		{"name not a string", post("/v1/bucket/create", `{"name":5}`), 400, "BadArgument"},
		{"bucketID a string", post("/v1/bucket/delete", `{"bucketID":"x"}`), 400, "BadArgument"},
		{"bucketID numeric string", post("/v1/bucket/delete", fmt.Sprintf(`{"bucketID":"%d"}`, b.BucketID)), 400, "BadArgument"},
		{"bucketID negative", post("/v1/bucket/delete", `{"bucketID":-1}`), 400, "BadArgument"},
		{"bucketID fractional", post("/v1/bucket/delete", `{"bucketID":1.5}`), 400, "BadArgument"},
		{"bucketID too large", post("/v1/bucket/delete", `{"bucketID":1e30}`), 400, "BadArgument"},
		{"objectIDs not a list", post("/v1/object/delete", `{"objectIDs":"1"}`), 400, "BadArgument"},
		{"movings not a list", post("/v1/object/move", `{"movings":{}}`), 400, "BadArgument"},
		{"clonings of the wrong type", post("/v1/object/clone", `{"clonings":[1]}`), 400, "BadArgument"},

		{"missing bucketID", post("/v1/bucket/delete", `{}`), 400, "BadArgument"},
		{"missing bucket name", post("/v1/bucket/create", `{"userID":1}`), 400, "BadArgument"},
		{"missing package bucketID", post("/v1/package/create", `{"name":"p"}`), 400, "BadArgument"},
		{"missing packageID", post("/v1/package/delete", `{}`), 400, "BadArgument"},
		{"missing getByName name", get("/v1/bucket/getByName"), 400, "BadArgument"},
		{"missing packageName", get(target("/v1/package/getByFullName", "bucketName", b.Name)), 400, "BadArgument"},
		{"missing bucketName", get(target("/v1/package/getByFullName", "packageName", p.Name)), 400, "BadArgument"},
		{"missing listBucketPackages bucketID", get("/v1/package/listBucketPackages"), 400, "BadArgument"},
		{"listBucketPackages bucketID not a number", get(target("/v1/package/listBucketPackages", "bucketID", "abc")), 400, "BadArgument"},

		{"unknown bucket to delete", post("/v1/bucket/delete", `{"bucketID":999999}`), 404, "DataNotFound"},
		{"unknown bucket by name", get(target("/v1/bucket/getByName", "name", "nope")), 404, "DataNotFound"},
		{"package in an unknown bucket", post("/v1/package/create", `{"bucketID":999999,"name":"p"}`), 404, "DataNotFound"},
		{"unknown package to delete", post("/v1/package/delete", `{"packageID":999999}`), 404, "DataNotFound"},
		{"packages of an unknown bucket", get(target("/v1/package/listBucketPackages", "bucketID", 999999)), 404, "DataNotFound"},
		{"unknown package by name", get(target("/v1/package/getByFullName", "bucketName", b.Name, "packageName", "nope")), 404, "DataNotFound"},
		{"package of an unknown bucket by name", get(target("/v1/package/getByFullName", "bucketName", "nope", "packageName", p.Name)), 404, "DataNotFound"},

		{"duplicate bucket", post("/v1/bucket/create", map[string]any{"name": b.Name}), 409, "DataExists"},
		{"duplicate package", post("/v1/package/create", map[string]any{"bucketID": b.BucketID, "name": p.Name}), 409, "DataExists"},

		{"empty bucket name", post("/v1/bucket/create", `{"name":""}`), 400, "BadArgument"},
		{"over-long bucket name", post("/v1/bucket/create", map[string]any{"name": long}), 400, "BadArgument"},
		{"bucket name with a slash", post("/v1/bucket/create", `{"name":"a/b"}`), 400, "BadArgument"},
		{"bucket name with a control character", post("/v1/bucket/create", `{"name":"a\u0001b"}`), 400, "BadArgument"},
		{"bucket name with NUL", post("/v1/bucket/create", `{"name":"a\u0000b"}`), 400, "BadArgument"},
		{"empty package name", post("/v1/package/create", map[string]any{"bucketID": b.BucketID, "name": ""}), 400, "BadArgument"},
		{"over-long package name", post("/v1/package/create", map[string]any{"bucketID": b.BucketID, "name": long}), 400, "BadArgument"},

		{"2 MiB JSON body", post("/v1/bucket/create", fmt.Sprintf(`{"name":"x","pad":"%s"}`, strings.Repeat("x", 2<<20))), 413, "BadArgument"},
	}
}

// form returns a case body that uploads parts.
func form(parts ...part) func(*harness) response {
	return func(h *harness) response { return h.postForm("/v1/object/upload", parts...) }
}

// uploadCases are bad uploads. Each also carries a file that would be new, and some one that
// would replace a fixture object: neither may be stored.
func uploadCases(f fixture) []badCase {
	info := infoPart(map[string]any{"packageID": f.pkg})
	fresh := filePart("fresh", []byte("must not be stored"))
	replace := filePart("small.txt", []byte("must not replace"))
	raw := func(name string, body []byte) part { return part{name: "files", filename: name, body: body} }
	infoRaw := func(s string) part { return part{name: "info", noFilename: true, body: []byte(s)} }
	return []badCase{
		{"NUL in a path", form(info, fresh, raw("a%00b", []byte("x"))), 400, "BadArgument"},
		{"invalid UTF-8 in a path", form(info, fresh, raw("a%FFb", []byte("x"))), 400, "BadArgument"},
		{"over-long path", form(info, fresh, filePart(strings.Repeat("p", 1025), []byte("x"))), 400, "BadArgument"},
		{"empty filename", form(info, fresh, raw("", []byte("x"))), 400, "BadArgument"},
		{"files part without filename", form(info, replace, part{name: "files", noFilename: true, body: []byte("x")}), 400, "BadArgument"},
		{"badly escaped filename", form(info, fresh, raw("%zz", []byte("x"))), 400, "BadArgument"},
		{"truncated escape", form(info, fresh, raw("abc%2", []byte("x"))), 400, "BadArgument"},
		{"path given twice", form(info, replace, fresh, filePart("fresh", []byte("again"))), 400, "BadArgument"},
		{"path given twice, encoded differently", form(info, fresh, raw("fr%65sh", []byte("again"))), 400, "BadArgument"},
		{"a part not named files", form(info, fresh, part{name: "file", filename: "x", body: []byte("x")}), 400, "BadArgument"},
		{"info part missing", form(fresh, replace), 400, "BadArgument"},
		{"info part not first", form(fresh, info), 400, "BadArgument"},
		{"info part twice", form(info, fresh, info), 400, "BadArgument"},
		{"info malformed", form(infoRaw(`{"packageID":`), fresh), 400, "BadArgument"},
		{"info with trailing garbage", form(infoRaw(fmt.Sprintf(`{"packageID":%d} x`, f.pkg)), fresh), 400, "BadArgument"},
		{"info packageID a string", form(infoRaw(`{"packageID":"x"}`), fresh), 400, "BadArgument"},
		{"info without packageID", form(infoRaw(`{"userID":1}`), fresh), 400, "BadArgument"},
		{"info empty", form(infoRaw(``), fresh), 400, "BadArgument"},
		{"unknown package", form(infoPart(map[string]any{"packageID": 999999}), fresh), 404, "DataNotFound"},
		{"unknown affinity space", form(infoPart(map[string]any{"packageID": f.pkg, "affinity": 999}), fresh), 400, "BadArgument"},
		{"2 MiB info part", form(infoRaw(fmt.Sprintf(`{"packageID":%d,"pad":"%s"}`, f.pkg, strings.Repeat("x", 2<<20))), fresh), 413, "BadArgument"},
		{"not multipart", post("/v1/object/upload", map[string]any{"packageID": f.pkg}), 400, "BadArgument"},
		{"multipart without a boundary", func(h *harness) response {
			return h.raw("POST", "/v1/object/upload", []byte("--x\r\n\r\n--x--\r\n"), "multipart/form-data")
		}, 400, "BadArgument"},
		{"multipart without a closing boundary", func(h *harness) response {
			body, ct := multipartBody(info, replace, fresh)
			return h.raw("POST", "/v1/object/upload", bytes.TrimSuffix(body, []byte("--\r\n")), ct)
		}, 400, "BadArgument"},
		{"multipart cut short in a file", func(h *harness) response {
			body, ct := multipartBody(info, replace, fresh)
			return h.raw("POST", "/v1/object/upload", body[:bytes.Index(body, []byte("must not be stored"))+4], ct)
		}, 400, "BadArgument"},
		{"garbage after the closing boundary", func(h *harness) response {
			body, ct := multipartBody(info, replace, fresh)
			return h.raw("POST", "/v1/object/upload", append(body, bytes.Repeat([]byte("x"), 256<<10)...), ct)
		}, 400, "BadArgument"},
	}
}

// routeCases are unknown routes, wrong methods and the routes not implemented yet.
func routeCases() []badCase {
	cases := []badCase{
		{"unknown route", get("/v1/nope"), 404, "DataNotFound"},
		{"unknown object route", post("/v1/object/rename", `{}`), 404, "DataNotFound"},
		{"no route under v1", get("/v1/"), 404, "DataNotFound"},
		{"unknown version", get("/v2/bucket/listAll"), 404, "DataNotFound"},
		{"route with a trailing slash", get("/v1/bucket/listAll/"), 404, "DataNotFound"},
		{"GET of a POST route", get("/v1/bucket/create"), 405, "BadArgument"},
		{"POST of a GET route", post("/v1/bucket/listAll", `{}`), 405, "BadArgument"},
		{"PUT of an upload", func(h *harness) response { return h.call("PUT", "/v1/object/upload", `{}`) }, 405, "BadArgument"},
		{"DELETE of a download", func(h *harness) response { return h.call("DELETE", target("/v1/object/download", "objectID", 1), nil) }, 405, "BadArgument"},
	}
	for _, route := range []string{
		"/v1/spaceSyncer/createTask", "/v1/spaceSyncer/getTask", "/v1/spaceSyncer/cancelTask",
	} {
		method := "POST"
		if strings.HasSuffix(route, "/get") || strings.HasSuffix(route, "/getTask") {
			method = "GET"
		}
		cases = append(cases, badCase{route + " is not implemented", func(h *harness) response {
			body := `{"userSpaceID":1}`
			if method == "GET" {
				return h.call(method, route+"?userSpaceID=1", nil)
			}
			return h.call(method, route, body)
		}, 501, "OperationFailed"})
	}
	return cases
}
