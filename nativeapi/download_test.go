package nativeapi_test

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// downloadCase is one ranged download and what it must answer.
type downloadCase struct {
	name     string
	query    []any  // offset / length
	rangeHdr string // the Range header, if any
	status   int
	from, to int    // 200/206: the body is content[from:to]
	crange   string // 206/416: the Content-Range header
	code     string // errors: the envelope code
}

// downloadCases are the ranged downloads of an object of n bytes.
func downloadCases(n int) []downloadCase {
	s := stripeSize
	return []downloadCase{
		{name: "whole", status: 200, to: n},
		{name: "offset", query: []any{"offset", 1000}, status: 200, from: 1000, to: n},
		{name: "offset and length", query: []any{"offset", 10, "length", 100}, status: 200, from: 10, to: 110},
		{name: "length without offset", query: []any{"length", chunkSize + 1}, status: 200, to: chunkSize + 1},
		{name: "across a stripe", query: []any{"offset", s - 5, "length", 10}, status: 200, from: s - 5, to: s + 5},
		{name: "across two stripes", query: []any{"offset", s - 1, "length", s + 2}, status: 200, from: s - 1, to: 2*s + 1},
		{name: "zero length", query: []any{"offset", 5, "length", 0}, status: 200, from: 5, to: 5},
		{name: "offset at the end", query: []any{"offset", n}, status: 200, from: n, to: n},
		{name: "length to the end", query: []any{"offset", n - 7, "length", 7}, status: 200, from: n - 7, to: n},
		{name: "offset past the end", query: []any{"offset", n + 1}, status: 400, code: "BadArgument"},
		{name: "length past the end", query: []any{"offset", 10, "length", n}, status: 400, code: "BadArgument"},
		{name: "negative offset", query: []any{"offset", -1}, status: 400, code: "BadArgument"},
		{name: "negative length", query: []any{"length", -5}, status: 400, code: "BadArgument"},
		{name: "offset not a number", query: []any{"offset", "ten"}, status: 400, code: "BadArgument"},
		{name: "length not a number", query: []any{"length", "1e3"}, status: 400, code: "BadArgument"},

		{name: "range", rangeHdr: "bytes=10-19", status: 206, from: 10, to: 20, crange: fmt.Sprintf("bytes 10-19/%d", n)},
		{name: "range across a stripe", rangeHdr: fmt.Sprintf("bytes=%d-%d", s-1, s), status: 206, from: s - 1, to: s + 1,
			crange: fmt.Sprintf("bytes %d-%d/%d", s-1, s, n)},
		{name: "suffix range", rangeHdr: "bytes=-100", status: 206, from: n - 100, to: n,
			crange: fmt.Sprintf("bytes %d-%d/%d", n-100, n-1, n)},
		{name: "suffix longer than the object", rangeHdr: fmt.Sprintf("bytes=-%d", n+10), status: 206, to: n,
			crange: fmt.Sprintf("bytes 0-%d/%d", n-1, n)},
		{name: "open range", rangeHdr: "bytes=100-", status: 206, from: 100, to: n, crange: fmt.Sprintf("bytes 100-%d/%d", n-1, n)},
		{name: "range end past the end", rangeHdr: fmt.Sprintf("bytes=5-%d", n+100), status: 206, from: 5, to: n,
			crange: fmt.Sprintf("bytes 5-%d/%d", n-1, n)},
		{name: "last byte", rangeHdr: fmt.Sprintf("bytes=%d-%d", n-1, n-1), status: 206, from: n - 1, to: n,
			crange: fmt.Sprintf("bytes %d-%d/%d", n-1, n-1, n)},
		{name: "unsatisfiable range", rangeHdr: fmt.Sprintf("bytes=%d-", n), status: 416, code: "BadArgument",
			crange: fmt.Sprintf("bytes */%d", n)},
		{name: "empty suffix", rangeHdr: "bytes=-0", status: 416, code: "BadArgument", crange: fmt.Sprintf("bytes */%d", n)},
		{name: "range with offset", rangeHdr: "bytes=0-9", query: []any{"offset", 0}, status: 400, code: "BadArgument"},
		{name: "range with length", rangeHdr: "bytes=0-9", query: []any{"length", 10}, status: 400, code: "BadArgument"},
		// RFC 9110: a server may ignore a Range it does not serve; these get the whole object.
		{name: "several ranges are ignored", rangeHdr: "bytes=0-1,5-6", status: 200, to: n},
		{name: "other units are ignored", rangeHdr: "items=0-1", status: 200, to: n},
		{name: "reversed range is ignored", rangeHdr: "bytes=20-10", status: 200, to: n},
	}
}

// checkDownload sends tc for the object at route+query and checks the answer against content.
func (h *harness) checkDownload(t *testing.T, tc downloadCase, route string, ident []any, content []byte) {
	t.Helper()
	req := h.newRequest("GET", target(route, append(ident, tc.query...)...), nil, "")
	if tc.rangeHdr != "" {
		req.Header.Set("Range", tc.rangeHdr)
	}
	r := h.send(sign(t, req, nil, signUndeclared, h.creds, time.Now()))
	if tc.code != "" {
		requireError(t, r, tc.status, tc.code)
		require.Equal(t, tc.crange, r.header.Get("Content-Range"))
		return
	}
	require.Equal(t, tc.status, r.status, "body: %.200s", r.body)
	require.Equal(t, "application/octet-stream", r.header.Get("Content-Type"))
	require.Equal(t, strconv.Itoa(tc.to-tc.from), r.header.Get("Content-Length"))
	require.Equal(t, tc.crange, r.header.Get("Content-Range"))
	require.Equal(t, "bytes", r.header.Get("Accept-Ranges"))
	requireBytes(t, content[tc.from:tc.to], r.body)
}

func TestDownloadRanges(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	pkg := h.newPackage()
	data := randomBytes(7, 3*stripeSize+777)
	o := h.upload(pkg, file{"dir/large.bin", data})[0]
	for _, tc := range downloadCases(len(data)) {
		t.Run(tc.name, func(t *testing.T) {
			h := h.sub(t)
			h.checkDownload(t, tc, "/v1/object/download", []any{"objectID", o.ObjectID}, data)
		})
	}
	t.Run("by path", func(t *testing.T) {
		h := h.sub(t)
		for _, tc := range downloadCases(len(data)) {
			t.Run(tc.name, func(t *testing.T) {
				h := h.sub(t)
				h.checkDownload(t, tc, "/v1/object/downloadByPath", []any{"packageID", pkg, "path", "dir/large.bin"}, data)
			})
		}
	})
}

func TestDownloadSmallAndEmpty(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	pkg := h.newPackage()
	small := []byte("0123456789abcdefghij")
	objs := h.upload(pkg, file{"small", small}, file{"empty", nil})
	tests := []struct {
		obj     int
		content []byte
		tc      downloadCase
	}{
		{0, small, downloadCase{name: "small whole", status: 200, to: 20}},
		{0, small, downloadCase{name: "small range", rangeHdr: "bytes=3-5", status: 206, from: 3, to: 6, crange: "bytes 3-5/20"}},
		{0, small, downloadCase{name: "small suffix", rangeHdr: "bytes=-4", status: 206, from: 16, to: 20, crange: "bytes 16-19/20"}},
		{0, small, downloadCase{name: "small offset and length", query: []any{"offset", 19, "length", 1}, status: 200, from: 19, to: 20}},
		{1, nil, downloadCase{name: "empty whole", status: 200}},
		{1, nil, downloadCase{name: "empty offset 0", query: []any{"offset", 0}, status: 200}},
		{1, nil, downloadCase{name: "empty length 0", query: []any{"offset", 0, "length", 0}, status: 200}},
		{1, nil, downloadCase{name: "empty offset 1", query: []any{"offset", 1}, status: 400, code: "BadArgument"}},
		{1, nil, downloadCase{name: "empty length 1", query: []any{"length", 1}, status: 400, code: "BadArgument"}},
		{1, nil, downloadCase{name: "empty range", rangeHdr: "bytes=0-", status: 416, code: "BadArgument", crange: "bytes */0"}},
		{1, nil, downloadCase{name: "empty suffix", rangeHdr: "bytes=-5", status: 416, code: "BadArgument", crange: "bytes */0"}},
	}
	for _, tc := range tests {
		t.Run(tc.tc.name, func(t *testing.T) {
			h := h.sub(t)
			h.checkDownload(t, tc.tc, "/v1/object/download", []any{"objectID", objs[tc.obj].ObjectID}, tc.content)
		})
	}
}

func TestDownloadHeaders(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	pkg := h.newPackage()
	o := h.upload(pkg, file{"a/b/report final.txt", []byte("report")})[0]
	r := h.download(o.ObjectID)
	require.Equal(t, http.StatusOK, r.status)
	require.Equal(t, `attachment; filename="report final.txt"`, r.header.Get("Content-Disposition"))
	require.NotEmpty(t, r.header.Get("Last-Modified"))
	require.NotEmpty(t, r.header.Get("ETag"))
	require.NotEmpty(t, r.header.Get("X-Request-Id"))
}

func TestDownloadHead(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	pkg := h.newPackage()
	data := randomBytes(1, stripeSize+3)
	o := h.upload(pkg, file{"x", data})[0]
	tests := []struct {
		name     string
		route    string
		rangeHdr string
		status   int
		length   int
	}{
		{"download", target("/v1/object/download", "objectID", o.ObjectID), "", 200, len(data)},
		{"download range", target("/v1/object/download", "objectID", o.ObjectID), "bytes=0-9", 206, 10},
		{"by path", target("/v1/object/downloadByPath", "packageID", pkg, "path", "x"), "", 200, len(data)},
		{"by path with length", target("/v1/object/downloadByPath", "packageID", pkg, "path", "x", "length", 3), "", 200, 3},
		{"missing object", target("/v1/object/download", "objectID", o.ObjectID+1000), "", 404, -1},
		{"missing path", target("/v1/object/downloadByPath", "packageID", pkg, "path", "y"), "", 404, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := h.sub(t)
			req := h.newRequest("HEAD", tc.route, nil, "")
			if tc.rangeHdr != "" {
				req.Header.Set("Range", tc.rangeHdr)
			}
			r := h.send(sign(t, req, nil, signUndeclared, h.creds, time.Now()))
			require.Equal(t, tc.status, r.status)
			require.Empty(t, r.body)
			if tc.length >= 0 {
				require.Equal(t, strconv.Itoa(tc.length), r.header.Get("Content-Length"))
				require.Equal(t, "application/octet-stream", r.header.Get("Content-Type"))
			}
		})
	}
}

func TestDownloadErrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	keep := h.newFixture()
	other := h.newPackage()
	inProgress := h.newMultipart(other, "pending")
	tests := []struct {
		name   string
		target string
		status int
		code   string
	}{
		{"no objectID", "/v1/object/download", 400, "BadArgument"},
		{"objectID zero", target("/v1/object/download", "objectID", 0), 400, "BadArgument"},
		{"objectID negative", target("/v1/object/download", "objectID", -1), 400, "BadArgument"},
		{"objectID not a number", target("/v1/object/download", "objectID", "x"), 400, "BadArgument"},
		{"unknown objectID", target("/v1/object/download", "objectID", 999999), 404, "DataNotFound"},
		{"multipart upload in progress", target("/v1/object/download", "objectID", inProgress.ObjectID), 409, "OperationFailed"},
		{"by path without packageID", target("/v1/object/downloadByPath", "path", "small.txt"), 400, "BadArgument"},
		{"by path without path", target("/v1/object/downloadByPath", "packageID", keep.pkg), 400, "BadArgument"},
		{"by path, unknown package", target("/v1/object/downloadByPath", "packageID", 999999, "path", "small.txt"), 404, "DataNotFound"},
		{"by path, unknown path", target("/v1/object/downloadByPath", "packageID", keep.pkg, "path", "nope"), 404, "DataNotFound"},
		{"by path, a directory", target("/v1/object/downloadByPath", "packageID", keep.pkg, "path", "dir"), 404, "DataNotFound"},
		{"by path, a directory with slash", target("/v1/object/downloadByPath", "packageID", keep.pkg, "path", "dir/"), 404, "DataNotFound"},
		{"by path, in progress", target("/v1/object/downloadByPath", "packageID", other, "path", "pending"), 409, "OperationFailed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := h.sub(t)
			h.failed(h.call("GET", tc.target, nil), tc.status, tc.code)
		})
	}
	h.requireIntact(keep)
}
