package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// curler runs the real curl binary against a server, signing with --aws-sigv4 as users do.
type curler struct {
	bin  string
	base string
	user string // AK:SK
	dir  string // where response bodies go
	n    int
}

// newCurler finds curl. A missing curl fails the test: CI installs it, and a silent skip would
// hide that the real-client walk did not run.
func newCurler(t *testing.T, s *server) *curler {
	t.Helper()
	bin, err := exec.LookPath("curl")
	if err != nil {
		t.Fatalf("curl is not installed (%v): install curl (CI installs it, e.g. apt-get install curl); "+
			"the end-to-end walk with the real curl client cannot run without it", err)
	}
	require.NotNil(t, s.creds, "the curl walk needs authentication on")
	return &curler{bin: bin, base: s.url(""), user: s.creds.AccessKeyID + ":" + s.creds.SecretAccessKey, dir: t.TempDir()}
}

// curlResult is what one curl run got.
type curlResult struct {
	status      int
	contentType string
	body        []byte // unless the body went to a file of the caller's
}

// run runs curl with args and the target (a path with its query, sent exactly as written). The
// response body goes to out, or to a temporary file that run reads back if out is "".
func (c *curler) run(t *testing.T, out, target string, args ...string) curlResult {
	t.Helper()
	keep := out != ""
	if !keep {
		c.n++
		out = filepath.Join(c.dir, "body"+strconv.Itoa(c.n))
	}
	full := append([]string{"-sS", "--aws-sigv4", "aws:amz:any:jcs", "--user", c.user,
		"-o", out, "-w", "%{http_code} %{content_type}"}, args...)
	full = append(full, c.base+target)
	cmd := command(t, c.bin, full...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "curl %s: %s", target, stderr.String())
	code, ct, _ := strings.Cut(strings.TrimSpace(stdout.String()), " ")
	status, err := strconv.Atoi(code)
	require.NoError(t, err, "curl -w output %q", stdout.String())
	r := curlResult{status: status, contentType: ct}
	if !keep {
		r.body, err = os.ReadFile(out)
		require.NoError(t, err)
	}
	return r
}

// ok runs curl, requires a 200 JSON answer with code OK and decodes its data into out.
func (c *curler) ok(t *testing.T, target string, out any, args ...string) {
	t.Helper()
	r := c.run(t, "", target, args...)
	require.Equal(t, http.StatusOK, r.status, "curl %s: %s", target, r.body)
	require.Equal(t, "application/json", r.contentType, "curl %s", target)
	var env envelope
	require.NoError(t, json.Unmarshal(r.body, &env), "curl %s: %s", target, r.body)
	require.Equal(t, "OK", env.Code, "curl %s: %s", target, r.body)
	if out != nil {
		require.NoError(t, json.Unmarshal(env.Data, out), "curl %s: %s", target, r.body)
	}
}

// postJSON is the curl arguments of a JSON POST.
func postJSON(body string) []string {
	return []string{"-H", "Content-Type: application/json", "--data-binary", body}
}

// writeObject writes an object's content to a file for curl to send.
func writeObject(t *testing.T, dir string, o object) string {
	t.Helper()
	p := filepath.Join(dir, fmt.Sprintf("src-%d", o.seed))
	f, err := os.Create(p)
	require.NoError(t, err)
	_, err = io.Copy(f, o.reader())
	require.NoError(t, errors.Join(err, f.Close()))
	return p
}

// requireFile requires a downloaded file to hold exactly want's content.
func requireFile(t *testing.T, path string, want object) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, int(want.size), len(b), "%s: length", path)
	require.True(t, bytes.Equal(want.bytesAt(0, want.size), b), "%s: content differs from %q", path, want.path)
}

// TestCurlWalk walks the /v1 routes with the real curl binary: JSON posts with --data-binary,
// uploads with -F, downloads with -o, ranges with -r, query strings that need encoding.
func TestCurlWalk(t *testing.T) {
	s := startServer(t, t.TempDir())
	cu := newCurler(t, s)
	src := t.TempDir()
	out := t.TempDir()

	var bkt struct{ Bucket bucketJSON }
	cu.ok(t, "/v1/bucket/create", &bkt, postJSON(`{"userID":1,"name":"curl-bkt"}`)...)
	require.Positive(t, bkt.Bucket.BucketID)
	var got struct{ Bucket bucketJSON }
	cu.ok(t, "/v1/bucket/getByName?name=curl-bkt", &got)
	require.Equal(t, bkt.Bucket, got.Bucket)
	var all struct{ Buckets []bucketJSON }
	cu.ok(t, "/v1/bucket/listAll", &all)
	require.Equal(t, []bucketJSON{bkt.Bucket}, all.Buckets)

	var pkg struct{ Package packageJSON }
	cu.ok(t, "/v1/package/create", &pkg, postJSON(fmt.Sprintf(`{"bucketID":%d,"name":"curl pkg"}`, bkt.Bucket.BucketID))...)
	p := pkg.Package.PackageID
	var gotPkg struct{ Package packageJSON }
	cu.ok(t, "/v1/package/getByFullName?bucketName=curl-bkt&packageName=curl%20pkg", &gotPkg)
	requireSamePackage(t, pkg.Package, gotPkg.Package)
	var pkgs struct{ Packages []packageJSON }
	cu.ok(t, "/v1/package/listBucketPackages?bucketID="+itoa(bkt.Bucket.BucketID), &pkgs)
	require.Len(t, pkgs.Packages, 1)

	// A multipart upload of two files with -F, their paths URL-encoded in the filenames.
	small := object{path: "docs/small file.txt", size: 1000, seed: 401}
	big := object{path: "data/big.bin", size: 5<<20 + 3, seed: 402}
	var up struct{ Uploadeds []objectJSON }
	cu.ok(t, "/v1/object/upload", &up,
		"--form-string", fmt.Sprintf(`info={"userID":1,"packageID":%d}`, p),
		"-F", "files=@"+writeObject(t, src, small)+";filename=docs%2Fsmall%20file.txt",
		"-F", "files=@"+writeObject(t, src, big)+";filename=data%2Fbig.bin")
	require.Len(t, up.Uploadeds, 2)
	requireObject(t, small, p, up.Uploadeds[0])
	requireObject(t, big, p, up.Uploadeds[1])

	// Downloads to files with -o, whole and by path.
	f := filepath.Join(out, "big")
	r := cu.run(t, f, "/v1/object/download?objectID="+itoa(up.Uploadeds[1].ObjectID))
	require.Equal(t, http.StatusOK, r.status)
	require.Equal(t, "application/octet-stream", r.contentType)
	requireFile(t, f, big)
	f = filepath.Join(out, "small")
	r = cu.run(t, f, "/v1/object/downloadByPath?packageID="+itoa(p)+"&path=docs%2Fsmall%20file.txt")
	require.Equal(t, http.StatusOK, r.status)
	requireFile(t, f, small)

	// Ranges: offset/length across the first stripe boundary, and an HTTP Range with -r.
	r = cu.run(t, "", fmt.Sprintf("/v1/object/download?objectID=%d&offset=%d&length=%d", up.Uploadeds[1].ObjectID, stripeSize-100, 300))
	require.Equal(t, http.StatusOK, r.status)
	require.Equal(t, big.bytesAt(stripeSize-100, 300), r.body)
	r = cu.run(t, "", "/v1/object/downloadByPath?packageID="+itoa(p)+"&path=data%2Fbig.bin", "-r", fmt.Sprintf("%d-%d", chunkSize-10, chunkSize+9))
	require.Equal(t, http.StatusPartialContent, r.status)
	require.Equal(t, big.bytesAt(chunkSize-10, 20), r.body)

	var l listJSON
	cu.ok(t, "/v1/object/listByPath?packageID="+itoa(p)+"&path=&isPrefix=true&noRecursive=true", &l)
	require.Equal(t, []string{"data/", "docs/"}, l.CommonPrefixes)
	require.Empty(t, l.Objects)
	cu.ok(t, "/v1/object/listByPath?packageID="+itoa(p)+"&path=docs%2F&isPrefix=true&maxKeys=1", &l)
	require.Len(t, l.Objects, 1)
	require.Equal(t, small.path, l.Objects[0].Path)
	var objs struct{ Objects []objectJSON }
	cu.ok(t, "/v1/object/getPackageObjects?packageID="+itoa(p), &objs)
	require.Len(t, objs.Objects, 2)

	var mv struct{ Successes []int64 }
	cu.ok(t, "/v1/object/move", &mv, postJSON(fmt.Sprintf(`{"movings":[{"objectID":%d,"packageID":%d,"path":"docs/moved.txt"}]}`, up.Uploadeds[0].ObjectID, p))...)
	require.Equal(t, []int64{up.Uploadeds[0].ObjectID}, mv.Successes)
	var cl struct{ Objects []objectJSON }
	cu.ok(t, "/v1/object/clone", &cl, postJSON(fmt.Sprintf(`{"clonings":[{"objectID":%d,"newPath":"data/clone.bin","newPackageID":%d}]}`, up.Uploadeds[1].ObjectID, p))...)
	require.Len(t, cl.Objects, 1)
	cu.ok(t, "/v1/object/delete", nil, postJSON(fmt.Sprintf(`{"objectIDs":[%d]}`, up.Uploadeds[1].ObjectID))...)
	f = filepath.Join(out, "clone")
	r = cu.run(t, f, "/v1/object/downloadByPath?packageID="+itoa(p)+"&path=data/clone.bin")
	require.Equal(t, http.StatusOK, r.status)
	requireFile(t, f, big)
	r = cu.run(t, "", "/v1/object/download?objectID="+itoa(up.Uploadeds[1].ObjectID))
	require.Equal(t, http.StatusNotFound, r.status, "%s", r.body)
	require.Equal(t, "application/json", r.contentType)

	// Multipart: parts sent with -F, joined in the listed order.
	var mp struct{ Object objectJSON }
	cu.ok(t, "/v1/object/newMultipartUpload", &mp, postJSON(fmt.Sprintf(`{"packageID":%d,"path":"multi.bin"}`, p))...)
	part1 := object{size: 2<<20 + 1, seed: 403}
	part2 := object{size: 777, seed: 404}
	for i, part := range []object{part1, part2} {
		cu.ok(t, "/v1/object/uploadPart", nil,
			"--form-string", fmt.Sprintf(`info={"objectID":%d,"index":%d}`, mp.Object.ObjectID, i+1),
			"-F", "file=@"+writeObject(t, src, part))
	}
	cu.ok(t, "/v1/object/completeMultipartUpload", &mp, postJSON(fmt.Sprintf(`{"objectID":%d,"indexes":[2,1]}`, mp.Object.ObjectID))...)
	require.Equal(t, strconv.FormatInt(part1.size+part2.size, 10), mp.Object.Size)
	f = filepath.Join(out, "multi")
	r = cu.run(t, f, "/v1/object/download?objectID="+itoa(mp.Object.ObjectID))
	require.Equal(t, http.StatusOK, r.status)
	b, err := os.ReadFile(f)
	require.NoError(t, err)
	require.True(t, bytes.Equal(append(part2.bytesAt(0, part2.size), part1.bytesAt(0, part1.size)...), b), "multipart content")

	// A presigned URL from `jcs presign`, fetched by curl without credentials.
	presigned := presignURL(t, s, "/v1/object/download?objectID="+itoa(mp.Object.ObjectID))
	f = filepath.Join(out, "presigned")
	code := plainCurl(t, cu, f, presigned)
	require.Equal(t, "200", code)
	b, err = os.ReadFile(f)
	require.NoError(t, err)
	require.Equal(t, int(part1.size+part2.size), len(b))
	tampered := strings.Replace(presigned, "objectID="+itoa(mp.Object.ObjectID), "objectID="+itoa(cl.Objects[0].ObjectID), 1)
	require.NotEqual(t, presigned, tampered)
	require.Equal(t, "403", plainCurl(t, cu, filepath.Join(out, "tampered"), tampered), "a presigned URL covers its query")

	// A presigned upload URL (jcs presign --method POST) takes a multipart upload from curl
	// without credentials; the object lands and reads back.
	upURL := presignURL(t, s, "/v1/object/upload", "--method", "POST")
	upFile := filepath.Join(out, "presigned-src")
	require.NoError(t, os.WriteFile(upFile, []byte("uploaded through a presigned URL\n"), 0o600))
	code, upBody := plainCurlForm(t, cu, upURL, fmt.Sprintf(`info={"packageID":%d}`, p), "files=@"+upFile+";filename=presigned%2Fup.txt")
	require.Equal(t, "200", code, "presigned upload: %s", upBody)
	require.Contains(t, upBody, `"path":"presigned/up.txt"`)
	require.Equal(t, "403", plainCurl(t, cu, filepath.Join(out, "presigned-get"), upURL), "a POST URL is not a GET URL")

	cu.ok(t, "/v1/package/delete", nil, postJSON(fmt.Sprintf(`{"packageID":%d}`, p))...)
	cu.ok(t, "/v1/bucket/delete", nil, postJSON(fmt.Sprintf(`{"bucketID":%d}`, bkt.Bucket.BucketID))...)
	cu.ok(t, "/v1/bucket/listAll", &all)
	require.Empty(t, all.Buckets)

	// curl without credentials is refused.
	require.Equal(t, "401", plainCurl(t, cu, filepath.Join(out, "unsigned"), cu.base+"/v1/bucket/listAll"))
}

// plainCurl fetches a URL with curl and no credentials into out and returns the status code.
func plainCurl(t *testing.T, cu *curler, out, rawURL string) string {
	t.Helper()
	cmd := command(t, cu.bin, "-sS", "-o", out, "-w", "%{http_code}", rawURL)
	code, err := cmd.Output()
	require.NoError(t, err, "curl %s", rawURL)
	return string(code)
}

// plainCurlForm posts a multipart form with curl and no credentials, returning the status
// code and the body.
func plainCurlForm(t *testing.T, cu *curler, rawURL string, fields ...string) (code, body string) {
	t.Helper()
	args := []string{"-sS", "-w", "\n%{http_code}"}
	for _, f := range fields {
		args = append(args, "-F", f)
	}
	out, err := command(t, cu.bin, append(args, rawURL)...).Output()
	require.NoError(t, err, "curl %s", rawURL)
	s := strings.TrimRight(string(out), "\n")
	i := strings.LastIndexByte(s, '\n')
	return s[i+1:], s[:max(i, 0)]
}

// presignURL runs `jcs presign` for a path of the server, with the root key saved in its data
// directory.
func presignURL(t *testing.T, s *server, path string, flags ...string) string {
	t.Helper()
	args := append([]string{"presign", "--data", s.dir, "--expires", "5m"}, flags...)
	cmd := command(t, jcsBin, append(args, s.url(path))...)
	cmd.Env = cleanEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "jcs presign: %s", stderr.String())
	u := strings.TrimSpace(string(out))
	require.Contains(t, u, "X-Amz-Signature=")
	return u
}
