package nativeapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Multipart bodies.

// part is one part of a multipart/form-data body.
type part struct {
	name     string
	filename string // the raw filename parameter (already URL-encoded); see noFilename
	// noFilename leaves the filename parameter out.
	noFilename bool
	body       []byte
}

// infoPart is the JSON "info" part.
func infoPart(v any) part {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return part{name: "info", noFilename: true, body: b}
}

// filePart is a "files" part for an object path, URL-encoded as the seed asks.
func filePart(path string, body []byte) part {
	return part{name: "files", filename: url.PathEscape(path), body: body}
}

// writePart starts p in mw; the caller writes its body to the returned writer.
func writePart(mw *multipart.Writer, p part) (io.Writer, error) {
	hdr := textproto.MIMEHeader{}
	cd := fmt.Sprintf(`form-data; name=%q`, p.name)
	if !p.noFilename {
		cd += fmt.Sprintf(`; filename=%q`, p.filename)
		hdr.Set("Content-Type", "application/octet-stream")
	}
	hdr.Set("Content-Disposition", cd)
	return mw.CreatePart(hdr)
}

// multipartBody encodes parts as multipart/form-data and returns the body and content type.
func multipartBody(parts ...part) ([]byte, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		w, err := writePart(mw, p)
		if err != nil {
			panic(err)
		}
		w.Write(p.body)
	}
	mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

// file is an object path and its content.
type file struct {
	path string
	data []byte
}

// uploadRequest builds an unsigned multipart request of parts to route and returns it with
// its body, for the caller to sign (and perhaps tamper with).
func (h *harness) uploadRequest(route string, parts ...part) (*http.Request, []byte) {
	body, ct := multipartBody(parts...)
	return h.newRequest("POST", route, body, ct), body
}

// postForm sends a signed multipart request (undeclared payload hash: the deferred check).
func (h *harness) postForm(route string, parts ...part) response {
	h.t.Helper()
	req, body := h.uploadRequest(route, parts...)
	return h.send(sign(h.t, req, body, signUndeclared, h.creds, time.Now()))
}

// upload uploads files to pkg and returns the objects, checking each against its content.
func (h *harness) upload(pkg uint64, files ...file) []wireObject {
	h.t.Helper()
	parts := []part{infoPart(map[string]any{"userID": 1, "packageID": pkg})}
	for _, f := range files {
		parts = append(parts, filePart(f.path, f.data))
	}
	var out struct {
		Uploadeds []wireObject `json:"uploadeds"`
	}
	h.ok(h.postForm("/v1/object/upload", parts...), &out)
	require.Len(h.t, out.Uploadeds, len(files))
	for i, f := range files {
		requireObject(h.t, out.Uploadeds[i], pkg, f.path, f.data)
	}
	return out.Uploadeds
}

// streamUpload uploads to pkg the file parts that gen writes, through an io.Pipe so that the
// body is never held whole, with ctx as the request's context and UNSIGNED-PAYLOAD.
func (h *harness) streamUpload(ctx context.Context, pkg uint64, gen func(mw *multipart.Writer) error) (response, error) {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		err := func() error {
			info := infoPart(map[string]any{"packageID": pkg})
			w, err := writePart(mw, info)
			if err != nil {
				return err
			}
			if _, err := w.Write(info.body); err != nil {
				return err
			}
			if err := gen(mw); err != nil {
				return err
			}
			return mw.Close()
		}()
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequestWithContext(ctx, "POST", h.srv.URL+"/v1/object/upload", pr)
	if err != nil {
		return response{}, err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if err := signRequest(ctx, req, nil, signUnsignedPayload, h.creds, time.Now()); err != nil {
		return response{}, err
	}
	return h.roundTrip(req)
}

// TestUploadSeedExample sends the seed document's upload example byte for byte (Postman's
// boundary, a userID in the info part, a text/plain part) and checks the response's shape.
func TestUploadSeedExample(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	pkg := h.newPackage()
	const boundary = "---------------------------818270992847011232305151"
	body := strings.ReplaceAll(fmt.Sprintf(`--%[1]s
Content-Disposition: form-data; name="info"

{ "userID": 1, "packageID": %[2]d }
--%[1]s
Content-Disposition: form-data; name="files"; filename="test.txt"
Content-Type: text/plain

testdata
--%[1]s
Content-Disposition: form-data; name="files"; filename="a%%2Fb%%2Ftest2.txt"

testdata2
--%[1]s--
`, boundary, pkg), "\n", "\r\n")

	r := h.raw("POST", "/v1/object/upload", []byte(body), "multipart/form-data; boundary="+boundary)
	var out struct {
		Uploadeds []json.RawMessage `json:"uploadeds"`
	}
	h.ok(r, &out)
	require.Len(t, out.Uploadeds, 2)
	var objs []wireObject
	for _, raw := range out.Uploadeds {
		requireKeys(t, raw, objectKeys...)
		var o wireObject
		require.NoError(t, json.Unmarshal(raw, &o))
		objs = append(objs, o)
	}
	requireObject(t, objs[0], pkg, "test.txt", []byte("testdata"))
	requireObject(t, objs[1], pkg, "a/b/test2.txt", []byte("testdata2"))
	require.NotEqual(t, objs[0].ObjectID, objs[1].ObjectID)
	require.Equal(t, "testdata", string(h.content(objs[0].ObjectID)))
	require.Equal(t, "testdata2", string(h.content(objs[1].ObjectID)))
}

// TestUploadSizes uploads objects around the replication and stripe thresholds in one request
// and checks each one's size, hash, redundancy and bytes.
func TestUploadSizes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	pkg := h.newPackage()
	sizes := []int{0, 1, 100, smallSize - 1, smallSize, smallSize + 1, chunkSize, stripeSize - 1, stripeSize,
		stripeSize + 1, 3*stripeSize + 12345}
	var files []file
	for i, n := range sizes {
		files = append(files, file{fmt.Sprintf("size/%07d", n), randomBytes(uint64(i), n)})
	}
	objs := h.upload(pkg, files...)
	for i, o := range objs {
		t.Run(fmt.Sprint(sizes[i]), func(t *testing.T) {
			h := h.sub(t)
			got := h.content(o.ObjectID)
			requireBytes(t, files[i].data, got)
		})
	}
	// The response lists the objects in upload order, as getPackageObjects finds them.
	listed := h.packageObjects(pkg)
	require.Len(t, listed, len(objs))
	for i := range objs {
		require.Equal(t, objs[i].ObjectID, listed[i].ObjectID)
		require.Equal(t, objs[i].FileHash, listed[i].FileHash)
		require.JSONEq(t, string(objs[i].Redundancy), string(listed[i].Redundancy))
	}
}

// TestUploadReplaces checks that uploading to a taken path replaces the content and keeps the
// object's ID and create time, and that new paths in the same upload get new IDs.
func TestUploadReplaces(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	pkg := h.newPackage()
	first := h.upload(pkg, file{"a.txt", []byte("old")}, file{"b.bin", randomBytes(1, stripeSize+5)})

	tests := []struct {
		name string
		data []byte
	}{
		{"small to large", randomBytes(2, 2*stripeSize)},
		{"large to small", []byte("tiny")},
		{"to empty", nil},
		{"from empty", []byte("again")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := h.sub(t)
			got := h.upload(pkg, file{"a.txt", tc.data}, file{"b.bin", tc.data}, file{uniqueName("new"), tc.data})
			for i, o := range got[:2] {
				require.Equal(t, first[i].ObjectID, o.ObjectID, "replacement keeps the object ID")
				require.True(t, first[i].CreateTime.Equal(o.CreateTime), "replacement keeps the create time")
				requireBytes(t, tc.data, h.content(o.ObjectID))
			}
			require.NotEqual(t, first[0].ObjectID, got[2].ObjectID)
			require.NotEqual(t, first[1].ObjectID, got[2].ObjectID)
		})
	}
	require.Len(t, h.packageObjects(pkg), 2+len(tests))
}

// TestUploadFilenames checks that file part filenames are URL-decoded into object paths that
// are stored verbatim.
func TestUploadFilenames(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	pkg := h.newPackage()
	tests := []struct {
		name     string
		filename string // as sent
		path     string // as stored
	}{
		{"escaped slashes", "a%2Fb%2Ftest2.txt", "a/b/test2.txt"},
		{"unescaped slashes", "dir/sub/x.txt", "dir/sub/x.txt"},
		{"space", "a%20b.txt", "a b.txt"},
		{"plus stays plus", "a+b.txt", "a+b.txt"},
		{"escaped percent", "100%25.txt", "100%.txt"},
		{"utf-8", "%E6%95%B0%E6%8D%AE/%E6%96%87%E4%BB%B6.txt", "数据/文件.txt"},
		{"leading slash", "%2Fabs", "/abs"},
		{"dot segments", "..%2F..%2Fetc%2Fpasswd", "../../etc/passwd"},
		{"trailing slash", "dir%2F", "dir/"},
		{"double slash", "x%2F%2Fy", "x//y"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := h.sub(t)
			data := []byte(fmt.Sprintf("content %d", i))
			r := h.postForm("/v1/object/upload", infoPart(map[string]any{"packageID": pkg}),
				part{name: "files", filename: tc.filename, body: data})
			var out struct {
				Uploadeds []wireObject `json:"uploadeds"`
			}
			h.ok(r, &out)
			require.Len(t, out.Uploadeds, 1)
			requireObject(t, out.Uploadeds[0], pkg, tc.path, data)
			got := h.call("GET", target("/v1/object/downloadByPath", "packageID", pkg, "path", tc.path), nil)
			require.Equal(t, http.StatusOK, got.status, "body: %s", got.body)
			require.Equal(t, data, got.body)
		})
	}
}

// TestUploadNoFiles: an upload of no files succeeds with an empty list.
func TestUploadNoFiles(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	pkg := h.newPackage()
	r := h.postForm("/v1/object/upload", infoPart(map[string]any{"packageID": pkg}))
	h.ok(r, nil)
	require.JSONEq(t, `{"uploadeds":[]}`, string(r.env(t).Data))
	require.Empty(t, h.packageObjects(pkg))
}

// TestUploadAffinity: an upload may name a preferred user space.
func TestUploadAffinity(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	pkg := h.newPackage()
	data := randomBytes(3, stripeSize+10)
	r := h.postForm("/v1/object/upload", infoPart(map[string]any{"packageID": pkg, "affinity": 2}),
		filePart("x", data), filePart("y", []byte("small")))
	var out struct {
		Uploadeds []wireObject `json:"uploadeds"`
	}
	h.ok(r, &out)
	require.Equal(t, data, h.content(out.Uploadeds[0].ObjectID))
	require.Equal(t, []byte("small"), h.content(out.Uploadeds[1].ObjectID))
}

// writeRandom writes n pseudo-random bytes to w in 32 KiB writes and returns their SHA-256.
func writeRandom(w io.Writer, seed uint64, n int) ([32]byte, error) {
	h := sha256.New()
	out := io.MultiWriter(w, h)
	for off := 0; off < n; {
		k := min(32<<10, n-off)
		if _, err := out.Write(randomBytes(seed+uint64(off), k)); err != nil {
			return [32]byte{}, err
		}
		off += k
	}
	var sum [32]byte
	h.Sum(sum[:0])
	return sum, nil
}

// TestUploadStreamed uploads multi-stripe files through an io.Pipe, so that the client never
// holds a body, and reads them back.
func TestUploadStreamed(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	pkg := h.newPackage()
	sizes := []int{5*stripeSize + 3, 0, stripeSize + 1}
	sums := make([][32]byte, len(sizes))
	r, err := h.streamUpload(t.Context(), pkg, func(mw *multipart.Writer) error {
		for i, n := range sizes {
			w, err := writePart(mw, filePart(fmt.Sprintf("big/%d", i), nil))
			if err != nil {
				return err
			}
			if sums[i], err = writeRandom(w, uint64(i)<<32, n); err != nil {
				return err
			}
		}
		return nil
	})
	require.NoError(t, err)
	var out struct {
		Uploadeds []wireObject `json:"uploadeds"`
	}
	h.ok(r, &out)
	require.Len(t, out.Uploadeds, len(sizes))
	for i, o := range out.Uploadeds {
		require.Equal(t, fmt.Sprintf("big/%d", i), o.Path)
		require.Equal(t, fmt.Sprint(sizes[i]), o.Size)
		require.JSONEq(t, wantRedundancy(sizes[i]), string(o.Redundancy))
		got := h.content(o.ObjectID)
		require.Len(t, got, sizes[i])
		require.Equal(t, sums[i], sha256.Sum256(got))
		require.Equal(t, fileHash(got), o.FileHash)
	}
}

// TestUploadClientDisconnects cancels an upload while its body is streaming: nothing of it
// becomes visible, its shards are deleted, and the server goes on serving.
func TestUploadClientDisconnects(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	keep := h.newFixture()
	pkg := h.newPackage()
	before := h.shardCount()
	select { // forget the fixture's Puts
	case <-h.puts:
	default:
	}

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := h.streamUpload(ctx, pkg, func(mw *multipart.Writer) error {
			w, err := writePart(mw, filePart("complete.txt", nil))
			if err != nil {
				return err
			}
			if _, err := w.Write(randomBytes(1, stripeSize+1)); err != nil {
				return err
			}
			if w, err = writePart(mw, filePart("endless", nil)); err != nil {
				return err
			}
			for i := uint64(0); ; i++ { // until the transport closes the pipe
				if _, err := w.Write(randomBytes(i, 32<<10)); err != nil {
					return err
				}
			}
		})
		done <- err
	}()
	// Once the engine writes shards, the server is in the middle of the upload.
	select {
	case <-h.puts:
	case <-t.Context().Done():
		t.Fatal("the upload never reached the user spaces")
	}
	cancel()
	require.Error(t, <-done)
	h.waitIdle()

	require.Empty(t, h.packageObjects(pkg))
	var l wireList
	h.ok(h.call("GET", target("/v1/object/listByPath", "packageID", pkg, "path", "complete.txt"), nil), &l)
	require.Empty(t, l.Objects)
	require.Equal(t, before, h.shardCount(), "the cancelled upload's shards are deleted")

	h.requireIntact(keep)
	h.upload(pkg, file{"after.txt", []byte("still serving")})
	require.Len(t, h.packageObjects(pkg), 1)
}

// TestConcurrentUploadsAndDownloads runs uploads, downloads and listings in parallel (run it
// with -race).
func TestConcurrentUploadsAndDownloads(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	keep := h.newFixture()
	pkg := h.newPackage()
	shared := h.upload(pkg, file{"shared", randomBytes(9, 2*stripeSize+77)})[0]
	sharedData := h.content(shared.ObjectID)

	const workers = 8
	type result struct {
		contended uint64 // the ID the worker's upload to "contended" got
		err       error
	}
	results := make(chan result, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			id, err := h.worker(t.Context(), pkg, w, shared.ObjectID, sharedData, keep)
			results <- result{id, err}
		})
	}
	wg.Wait()
	close(results)
	var ids []uint64
	for r := range results {
		require.NoError(t, r.err)
		ids = append(ids, r.contended)
	}
	require.Len(t, h.packageObjects(pkg), 2+2*workers)

	// Every upload to the contended path replaced the same object: one ID, and the content of
	// one of the uploads.
	var l wireList
	h.ok(h.call("GET", target("/v1/object/listByPath", "packageID", pkg, "path", "contended"), nil), &l)
	require.Len(t, l.Objects, 1)
	for _, id := range ids {
		require.Equal(t, l.Objects[0].ObjectID, id)
	}
	got := h.content(l.Objects[0].ObjectID)
	var all []string
	for w := range workers {
		all = append(all, contended(w))
	}
	require.Contains(t, all, string(got))
	require.Equal(t, fileHash(got), l.Objects[0].FileHash)
	h.requireIntact(keep)
}

// contended is what worker w uploads to the path every worker writes.
func contended(w int) string { return fmt.Sprintf("worker %d was here", w) }

// worker uploads two files of its own and one to a path every worker writes, reads its files
// back and reads shared objects meanwhile. It returns the ID its upload to the shared path got.
func (h *harness) worker(ctx context.Context, pkg uint64, w int, shared uint64, sharedData []byte, keep fixture) (uint64, error) {
	small, large := randomBytes(uint64(100+w), 100+w), randomBytes(uint64(200+w), stripeSize+w*1000)
	body, ct := multipartBody(infoPart(map[string]any{"packageID": pkg}),
		filePart(fmt.Sprintf("w%d/small", w), small), filePart(fmt.Sprintf("w%d/large", w), large),
		filePart("contended", []byte(contended(w))))
	mode := []signMode{signDeclared, signUndeclared, signUnsignedPayload}[w%3]
	r, err := h.try(ctx, "POST", "/v1/object/upload", body, ct, mode)
	if err != nil {
		return 0, err
	}
	if r.status != http.StatusOK {
		return 0, fmt.Errorf("worker %d: upload: %d %s", w, r.status, r.body)
	}
	var out struct {
		Data struct {
			Uploadeds []wireObject `json:"uploadeds"`
		} `json:"data"`
	}
	if err := json.Unmarshal(r.body, &out); err != nil {
		return 0, err
	}
	if len(out.Data.Uploadeds) != 3 {
		return 0, fmt.Errorf("worker %d: %d objects uploaded", w, len(out.Data.Uploadeds))
	}
	reads := map[uint64][]byte{
		out.Data.Uploadeds[0].ObjectID: small,
		out.Data.Uploadeds[1].ObjectID: large,
		shared:                         sharedData,
	}
	for id, data := range keep.content {
		reads[id] = data
	}
	for id, want := range reads {
		r, err := h.try(ctx, "GET", target("/v1/object/download", "objectID", id), nil, "", signUndeclared)
		if err != nil {
			return 0, err
		}
		if r.status != http.StatusOK || !bytes.Equal(r.body, want) {
			return 0, fmt.Errorf("worker %d: object %d: status %d, %d bytes, want %d", w, id, r.status, len(r.body), len(want))
		}
		off := len(want) / 3
		r, err = h.try(ctx, "GET", target("/v1/object/download", "objectID", id, "offset", off), nil, "", signDeclared)
		if err != nil {
			return 0, err
		}
		if r.status != http.StatusOK || !bytes.Equal(r.body, want[off:]) {
			return 0, fmt.Errorf("worker %d: object %d from %d: status %d", w, id, off, r.status)
		}
	}
	r, err = h.try(ctx, "GET", target("/v1/object/listByPath", "packageID", pkg, "path", "", "isPrefix", true), nil, "", signUndeclared)
	if err != nil {
		return 0, err
	}
	if r.status != http.StatusOK {
		return 0, fmt.Errorf("worker %d: list: %d %s", w, r.status, r.body)
	}
	return out.Data.Uploadeds[2].ObjectID, nil
}

// TestUploadEpilogue: text after the closing boundary (the multipart epilogue) is ignored, up
// to a bound; more than that is refused (see TestBadInput).
func TestUploadEpilogue(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	pkg := h.newPackage()
	body, ct := multipartBody(infoPart(map[string]any{"packageID": pkg}), filePart("x", []byte("x")))
	body = append(body, "an epilogue, which MIME says to ignore\r\n"...)
	var out struct {
		Uploadeds []wireObject `json:"uploadeds"`
	}
	h.ok(h.raw("POST", "/v1/object/upload", body, ct), &out)
	require.Len(t, out.Uploadeds, 1)
	require.Equal(t, []byte("x"), h.content(out.Uploadeds[0].ObjectID))
}
