package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/stretchr/testify/require"
)

// TestBadInput sends malformed JSON, uploads cut off mid-body, NUL bytes in paths and names,
// and bodies that do not match their signature. Each is refused without side effects, and
// afterwards the server is healthy, the objects stored before read back unchanged, and no
// shard or temporary file of a refused upload is left behind.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir)
	c := s.client()
	bkt := c.createBucket(t, "bad")
	pkg := c.createPackage(t, bkt.BucketID, "bad").PackageID
	objs := []object{
		{path: "keep/small", size: 4000, seed: 1001},
		{path: "keep/ec", size: 5<<20 + 9, seed: 1002},
	}
	up := c.upload(t, pkg, objs...)
	uploads := 1 // upload requests sent so far, as /metrics will count them
	baseline := shardsNeeded(up)

	t.Run("malformed JSON", func(t *testing.T) {
		for _, tc := range []struct{ route, body string }{
			{"/v1/bucket/create", `{"name":`},
			{"/v1/bucket/create", `{"name": 7}`},
			{"/v1/bucket/delete", ``},
			{"/v1/package/create", `{"bucketID": "one", "name": "p"}`},
			{"/v1/package/delete", `nul`},
			{"/v1/object/move", `[`},
			{"/v1/object/delete", `{"objectIDs":[1,]}`},
			{"/v1/object/clone", `{"clonings": {}}`},
			{"/v1/object/newMultipartUpload", `{"packageID": 1, "path": "x"} {}`},
			{"/v1/object/completeMultipartUpload", "\x00\xff"},
		} {
			c.fails(t, http.StatusBadRequest, "BadArgument", "POST", tc.route, nil, []byte(tc.body))
		}
		c.fails(t, http.StatusRequestEntityTooLarge, "BadArgument", "POST", "/v1/bucket/create", nil,
			[]byte(`{"name":"`+strings.Repeat("x", 2<<20)+`"}`))
		c.fails(t, http.StatusBadRequest, "BadArgument", "GET", "/v1/object/listByPath",
			url.Values{"packageID": {itoa(pkg)}, "isPrefix": {"maybe"}}, nil)
	})

	t.Run("malformed upload", func(t *testing.T) {
		ok := object{path: "never/ok", size: 2 << 20, seed: 1003}
		// Broken info parts.
		for _, info := range []string{`{"packageID":`, `{"packageID":"x"}`, `{}`, `[]`} {
			resp, err := c.postForm(t.Context(), "/v1/object/upload", []byte(info), filesOf(ok))
			require.NoError(t, err)
			r, err := readReply(resp)
			require.NoError(t, err)
			requireError(t, r, http.StatusBadRequest, "BadArgument")
			uploads++
		}
		// Not multipart at all.
		resp, err := c.send(t.Context(), "POST", "/v1/object/upload", nil, http.Header{"Content-Type": {"application/json"}},
			[]byte(`{"packageID":1}`))
		require.NoError(t, err)
		r, err := readReply(resp)
		require.NoError(t, err)
		requireError(t, r, http.StatusBadRequest, "BadArgument")
		uploads++
		// A file part with a NUL in its path, after a good file: the upload is all or nothing.
		r, err = c.uploadCtx(t.Context(), pkg, append(filesOf(ok), formPart{field: "files", filename: "a%00b", body: strings.NewReader("x")}))
		require.NoError(t, err)
		requireError(t, r, http.StatusBadRequest, "BadArgument")
		uploads++
		// The same path twice.
		r, err = c.uploadCtx(t.Context(), pkg, filesOf(ok, object{path: ok.path, size: 10, seed: 1004}))
		require.NoError(t, err)
		requireError(t, r, http.StatusBadRequest, "BadArgument")
		uploads++
		// A body that is not what was signed.
		uploads += tamperedUpload(t, c, pkg, ok)
		c.fails(t, http.StatusNotFound, "DataNotFound", "GET", "/v1/object/downloadByPath",
			url.Values{"packageID": {itoa(pkg)}, "path": {ok.path}}, nil)
	})

	t.Run("NUL in paths and names", func(t *testing.T) {
		c.fails(t, http.StatusBadRequest, "BadArgument", "POST", "/v1/bucket/create", nil, map[string]any{"name": "a\x00b"})
		c.fails(t, http.StatusBadRequest, "BadArgument", "POST", "/v1/package/create", nil, map[string]any{"bucketID": bkt.BucketID, "name": "a\x00b"})
		c.fails(t, http.StatusBadRequest, "BadArgument", "POST", "/v1/object/newMultipartUpload", nil, map[string]any{"packageID": pkg, "path": "a\x00b"})
		c.fails(t, http.StatusBadRequest, "BadArgument", "POST", "/v1/object/clone", nil,
			map[string]any{"clonings": []map[string]any{{"objectID": up[0].ObjectID, "newPath": "a\x00b", "newPackageID": pkg}}})
		var d struct{ Successes []int64 }
		c.ok(t, "POST", "/v1/object/move", nil, map[string]any{"movings": []map[string]any{
			{"objectID": up[0].ObjectID, "packageID": pkg, "path": "a\x00b"}}}, &d)
		require.Empty(t, d.Successes, "a move to a path with NUL must be skipped")
		for _, route := range []string{"/v1/object/downloadByPath", "/v1/object/listByPath"} {
			r, err := c.call(t.Context(), "GET", route, url.Values{"packageID": {itoa(pkg)}, "path": {"keep/small\x00"}}, nil)
			require.NoError(t, err)
			if r.status != http.StatusOK {
				require.Contains(t, []int{http.StatusBadRequest, http.StatusNotFound}, r.status, "%s: %s", route, r.body)
			} else {
				var l listJSON
				require.NoError(t, json.Unmarshal(r.env.Data, &l))
				require.Empty(t, l.Objects, "%s: %s", route, r.body)
			}
		}
		r, err := c.call(t.Context(), "GET", "/v1/bucket/getByName", url.Values{"name": {"bad\x00"}}, nil)
		require.NoError(t, err)
		require.Contains(t, []int{http.StatusBadRequest, http.StatusNotFound}, r.status, "%s", r.body)
	})

	t.Run("upload cut off mid-body", func(t *testing.T) {
		big := object{path: "never/cut", size: 3 << 20, seed: 1005}
		// A raw connection that declares the whole length, sends part of it and hangs up.
		for _, cut := range []int{100, 300 << 10, 2 << 20} {
			truncatedUpload(t, s, c, pkg, big, cut)
			uploads++
		}
		// A chunked body whose sender fails halfway: the client transport drops the connection.
		parts := filesOf(big)
		parts[0].body = io.MultiReader(io.LimitReader(parts[0].body, 1<<20), failingReader{})
		_, err := c.uploadCtx(t.Context(), pkg, parts)
		require.Error(t, err)
		uploads++
		// And a body cut off between two files: the first one complete.
		parts = filesOf(object{path: "never/first", size: 1 << 20, seed: 1006}, big)
		parts[1].body = failingReader{}
		_, err = c.uploadCtx(t.Context(), pkg, parts)
		require.Error(t, err)
		uploads++
		// An uploadPart cut off.
		var mp struct{ Object objectJSON }
		c.ok(t, "POST", "/v1/object/newMultipartUpload", nil, map[string]any{"packageID": pkg, "path": "never/multi"}, &mp)
		resp, err := c.postForm(t.Context(), "/v1/object/uploadPart", map[string]any{"objectID": mp.Object.ObjectID, "index": 1},
			[]formPart{{field: "file", filename: "p", body: io.MultiReader(big.reader(), failingReader{})}})
		if err == nil {
			resp.Body.Close()
		}
		require.Error(t, err)
		waitRequests(t, s, "object.uploadPart", 1)
		c.ok(t, "POST", "/v1/object/delete", nil, map[string]any{"objectIDs": []int64{mp.Object.ObjectID}}, nil)
	})

	// The server has finished every upload sent, and each refused one took its data with it.
	waitRequests(t, s, "object.upload", uploads)
	waitDisk(t, dir, baseline, 30*time.Second)
	resp, err := probe.Get(s.url("/healthz"))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	got := c.packageObjects(t, pkg)
	requireSameObjects(t, byPath(up), got, "only the objects stored before remain")
	for i, o := range objs {
		c.requireContent(t, up[i].ObjectID, o)
	}
}

// failingReader fails every read: a client that gives up mid-body.
type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("client gave up") }

// tamperedUpload sends uploads whose body differs from the one signed, with the hash declared
// and not; both must be refused with nothing stored. It returns how many it sent.
func tamperedUpload(t *testing.T, c *client, pkg int64, o object) int {
	t.Helper()
	ct, body := formBody(t, map[string]any{"packageID": pkg}, filesOf(o))
	signedHash := sha256Hex(body)
	body[len(body)/2] ^= 1
	for _, declare := range []bool{true, false} {
		resp, err := c.sendSigned(t.Context(), "POST", "/v1/object/upload", nil, http.Header{"Content-Type": {ct}},
			bytes.NewReader(body), signedHash, declare)
		require.NoError(t, err)
		r, err := readReply(resp)
		require.NoError(t, err)
		requireError(t, r, http.StatusForbidden, "Unauthorized")
	}
	return 2
}

// truncatedUpload writes a signed upload request by hand on a raw connection: headers
// declaring the whole multipart body, then only its first cut bytes, then it closes the
// connection.
func truncatedUpload(t *testing.T, s *server, c *client, pkg int64, o object, cut int) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	require.NoError(t, writeForm(mw, []byte(fmt.Sprintf(`{"packageID":%d}`, pkg)), filesOf(o)))
	body := buf.Bytes()
	require.Less(t, cut, len(body))

	req, err := http.NewRequestWithContext(t.Context(), "POST", s.url("/v1/object/upload"), nil)
	require.NoError(t, err)
	req.ContentLength = int64(len(body))
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Content-Length", fmt.Sprint(len(body)))
	req.Header.Set("X-Amz-Content-Sha256", unsignedPayload)
	require.NoError(t, v4.NewSigner().SignHTTP(t.Context(), *c.creds, req, unsignedPayload, service, region, time.Now()))

	conn, err := net.Dial("tcp", s.addr)
	require.NoError(t, err)
	defer conn.Close()
	var head bytes.Buffer
	fmt.Fprintf(&head, "POST /v1/object/upload HTTP/1.1\r\nHost: %s\r\n", s.addr)
	require.NoError(t, req.Header.Write(&head))
	head.WriteString("\r\n")
	_, err = conn.Write(head.Bytes())
	require.NoError(t, err)
	_, err = conn.Write(body[:cut])
	require.NoError(t, err)
	require.NoError(t, conn.Close())
}
