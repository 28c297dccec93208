package nativeapi_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/stretchr/testify/require"
)

// requireUnauthorized checks an authentication failure: the status, a JSON error with code
// Unauthorized, and no secret in it.
func requireUnauthorized(t *testing.T, r response, status int) {
	t.Helper()
	requireError(t, r, status, "Unauthorized")
	require.NotContains(t, string(r.body), testSecret)
}

// TestAuthModes: every way a client may sign is accepted on every kind of route.
func TestAuthModes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	pkg := h.newPackage()
	data := randomBytes(1, stripeSize+1)
	obj := h.upload(pkg, file{"obj", data})[0]
	for _, mode := range []signMode{signDeclared, signUndeclared, signUnsignedPayload, signPresigned} {
		t.Run(mode.String(), func(t *testing.T) {
			h := h.sub(t)
			send := func(method, target string, body []byte, ct string) response {
				t.Helper()
				return h.send(sign(t, h.newRequest(method, target, body, ct), body, mode, h.creds, time.Now()))
			}
			// A JSON body.
			name := uniqueName("auth")
			body, err := json.Marshal(map[string]any{"name": name})
			require.NoError(t, err)
			h.ok(send("POST", "/v1/bucket/create", body, "application/json"), nil)
			// No body.
			var b struct {
				Bucket wireBucket `json:"bucket"`
			}
			h.ok(send("GET", target("/v1/bucket/getByName", "name", name), nil, ""), &b)
			require.Equal(t, name, b.Bucket.Name)
			// An upload.
			form, ct := multipartBody(infoPart(map[string]any{"packageID": pkg}), filePart(name, []byte(name)))
			var up struct {
				Uploadeds []wireObject `json:"uploadeds"`
			}
			h.ok(send("POST", "/v1/object/upload", form, ct), &up)
			require.Equal(t, []byte(name), h.content(up.Uploadeds[0].ObjectID))
			// A download.
			r := send("GET", target("/v1/object/download", "objectID", obj.ObjectID, "offset", 1), nil, "")
			require.Equal(t, http.StatusOK, r.status)
			requireBytes(t, data[1:], r.body)
		})
	}
}

func TestAuthFailures(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	keep := h.newFixture()
	wrongSecret := aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: "NOT-THE-SECRET"}
	unknownKey := aws.Credentials{AccessKeyID: "NOBODY", SecretAccessKey: testSecret}
	bucketBody := []byte(`{"name":"never"}`)
	form, ct := multipartBody(infoPart(map[string]any{"packageID": keep.pkg}), filePart("never", []byte("never")))

	tests := []struct {
		name   string
		req    func(h *harness) *http.Request
		status int
	}{
		{"unsigned GET", func(h *harness) *http.Request { return h.newRequest("GET", "/v1/bucket/listAll", nil, "") }, 401},
		{"unsigned POST", func(h *harness) *http.Request {
			return h.newRequest("POST", "/v1/bucket/create", bucketBody, "application/json")
		}, 401},
		{"unsigned upload", func(h *harness) *http.Request { return h.newRequest("POST", "/v1/object/upload", form, ct) }, 401},
		{"unsigned download", func(h *harness) *http.Request {
			return h.newRequest("GET", target("/v1/object/download", "objectID", keep.objects[1].ObjectID), nil, "")
		}, 401},
		{"unknown access key", func(h *harness) *http.Request {
			return sign(h.t, h.newRequest("GET", "/v1/bucket/listAll", nil, ""), nil, signUndeclared, unknownKey, time.Now())
		}, 401},
		{"malformed Authorization", func(h *harness) *http.Request {
			req := h.newRequest("GET", "/v1/bucket/listAll", nil, "")
			req.Header.Set("Authorization", "AWS4-HMAC-SHA256 garbage")
			req.Header.Set("X-Amz-Date", time.Now().UTC().Format("20060102T150405Z"))
			return req
		}, 401},
		{"wrong secret, GET", func(h *harness) *http.Request {
			return sign(h.t, h.newRequest("GET", "/v1/bucket/listAll", nil, ""), nil, signUndeclared, wrongSecret, time.Now())
		}, 403},
		{"wrong secret, declared body", func(h *harness) *http.Request {
			return sign(h.t, h.newRequest("POST", "/v1/bucket/create", bucketBody, "application/json"), bucketBody, signDeclared, wrongSecret, time.Now())
		}, 403},
		{"wrong secret, undeclared body", func(h *harness) *http.Request {
			return sign(h.t, h.newRequest("POST", "/v1/bucket/create", bucketBody, "application/json"), bucketBody, signUndeclared, wrongSecret, time.Now())
		}, 403},
		{"wrong secret, upload", func(h *harness) *http.Request {
			return sign(h.t, h.newRequest("POST", "/v1/object/upload", form, ct), form, signDeclared, wrongSecret, time.Now())
		}, 403},
		{"wrong secret, unsigned-payload upload", func(h *harness) *http.Request {
			return sign(h.t, h.newRequest("POST", "/v1/object/upload", form, ct), form, signUnsignedPayload, wrongSecret, time.Now())
		}, 403},
		{"signed an hour ago", func(h *harness) *http.Request {
			return sign(h.t, h.newRequest("GET", "/v1/bucket/listAll", nil, ""), nil, signUndeclared, h.creds, time.Now().Add(-time.Hour))
		}, 403},
		{"signed for another service", func(h *harness) *http.Request {
			req := h.newRequest("GET", "/v1/bucket/listAll", nil, "")
			req.Header.Set("X-Amz-Content-Sha256", emptySHA256)
			require.NoError(h.t, v4.NewSigner().SignHTTP(h.t.Context(), h.creds, req, emptySHA256, "s3", "any", time.Now()))
			return req
		}, 403},
		{"path changed after signing", func(h *harness) *http.Request {
			req := sign(h.t, h.newRequest("GET", "/v1/bucket/listAll", nil, ""), nil, signUndeclared, h.creds, time.Now())
			req.URL.Path = "/v1/bucket/getByName"
			req.URL.RawQuery = "name=x"
			return req
		}, 403},
		{"declared hash is not the body's", func(h *harness) *http.Request {
			req := h.newRequest("POST", "/v1/bucket/create", bucketBody, "application/json")
			other := hexSHA256([]byte("something else"))
			req.Header.Set("X-Amz-Content-Sha256", other)
			require.NoError(h.t, v4.NewSigner().SignHTTP(h.t.Context(), h.creds, req, other, "jcs", "any", time.Now()))
			return req
		}, 403},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := h.sub(t)
			requireUnauthorized(t, h.send(tc.req(h)), tc.status)
		})
	}
	h.failed(h.call("GET", target("/v1/bucket/getByName", "name", "never"), nil), http.StatusNotFound, "DataNotFound")
	h.requireIntact(keep)
}

// TestAlteredBodyStoresNothing alters signed bodies in flight: the server refuses them with
// 403 and stores nothing, whether the client declared the payload hash (checked against the
// declaration) or not (the signature itself is checked at the end of the body).
func TestAlteredBodyStoresNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	keep := h.newFixture()
	shards := h.shardCount()
	old := keep.objects[1] // "small.txt"

	for _, mode := range []signMode{signDeclared, signUndeclared} {
		for _, tc := range []struct {
			name  string
			alter int // which file's content is altered
		}{
			{"first file altered", 0},
			{"last file altered", 2},
		} {
			t.Run(mode.String()+"/"+tc.name, func(t *testing.T) {
				h := h.sub(t)
				contents := [][]byte{randomBytes(5, 3*stripeSize), []byte("replacement"), randomBytes(6, smallSize)}
				req, body := h.uploadRequest("/v1/object/upload", infoPart(map[string]any{"packageID": keep.pkg}),
					filePart("new/large", contents[0]), filePart("small.txt", contents[1]), filePart("new/small", contents[2]))
				sign(t, req, body, mode, h.creds, time.Now())
				i := bytes.Index(body, contents[tc.alter]) + len(contents[tc.alter])/2
				altered := bytes.Clone(body)
				altered[i] ^= 1
				setBody(req, altered)
				requireUnauthorized(t, h.send(req), http.StatusForbidden)

				h.requireIntact(keep) // no new object, "small.txt" not replaced
				requireBytes(t, []byte("testdata"), h.content(old.ObjectID))
				require.Equal(t, shards, h.shardCount(), "the refused upload's shards are deleted")
			})
		}
		t.Run(mode.String()+"/json", func(t *testing.T) {
			h := h.sub(t)
			body := []byte(`{"name":"good-name"}`)
			req := sign(t, h.newRequest("POST", "/v1/bucket/create", body, "application/json"), body, mode, h.creds, time.Now())
			setBody(req, []byte(`{"name":"evil-name"}`))
			requireUnauthorized(t, h.send(req), http.StatusForbidden)
			for _, name := range []string{"good-name", "evil-name"} {
				h.failed(h.call("GET", target("/v1/bucket/getByName", "name", name), nil), http.StatusNotFound, "DataNotFound")
			}
		})
	}
}

// TestPendingSignatureRevealsNothing: a request that declares no payload hash is signed over
// its body, so its signature is unproven until the body has been read. Until then the server
// must not tell a client without the secret anything about the resources it names.
func TestPendingSignatureRevealsNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	keep := h.newFixture()
	wrong := aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: "NOT-THE-SECRET"}
	tests := []struct {
		name  string
		route string
		parts []part
	}{
		{"upload to a missing package", "/v1/object/upload",
			[]part{infoPart(map[string]any{"packageID": 999999}), filePart("x", []byte("x"))}},
		{"upload to an existing package", "/v1/object/upload",
			[]part{infoPart(map[string]any{"packageID": keep.pkg}), filePart("x", []byte("x"))}},
		{"upload with a bad info part", "/v1/object/upload",
			[]part{infoPart("not an object"), filePart("x", []byte("x"))}},
		{"upload with a bad filename", "/v1/object/upload",
			[]part{infoPart(map[string]any{"packageID": keep.pkg}), {name: "files", filename: "%zz", body: []byte("x")}}},
		{"part of a missing object", "/v1/object/uploadPart",
			[]part{infoPart(map[string]any{"objectID": 999999, "index": 1}), {name: "file", filename: "x", body: []byte("x")}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := h.sub(t)
			// A body much larger than the server's read buffer, so that the signature is still
			// unproven when the handler acts on the first parts.
			parts := append(tc.parts, filePart("padding", randomBytes(1, 4*stripeSize)))
			req, body := h.uploadRequest(tc.route, parts...)
			requireUnauthorized(t, h.send(sign(t, req, body, signUndeclared, wrong, time.Now())), http.StatusForbidden)
		})
	}
	h.requireIntact(keep)
}

func TestPresignedURLs(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	pkg := h.newPackage()
	data := randomBytes(4, stripeSize+100)
	obj := h.upload(pkg, file{"dir/obj", data})[0]
	other := h.upload(pkg, file{"other", []byte("other")})[0]

	presign := func(h *harness, target string, creds aws.Credentials, at time.Time, expires string) *http.Request {
		h.t.Helper()
		req := h.newRequest("GET", target, nil, "")
		q := req.URL.Query()
		q.Set("X-Amz-Expires", expires)
		req.URL.RawQuery = q.Encode()
		return sign(h.t, req, nil, signPresigned, creds, at)
	}
	download := target("/v1/object/download", "objectID", obj.ObjectID)

	t.Run("download", func(t *testing.T) {
		h := h.sub(t)
		req := presign(h, download, h.creds, time.Now(), "300")
		r := h.send(req)
		require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
		requireBytes(t, data, r.body)
		// A presigned URL is a bearer token: the request log leaves the query out.
		require.NotContains(t, h.logs.String(), req.URL.Query().Get("X-Amz-Signature"))
	})
	t.Run("download a range", func(t *testing.T) {
		h := h.sub(t)
		r := h.send(presign(h, target("/v1/object/download", "objectID", obj.ObjectID, "offset", 10, "length", 20), h.creds, time.Now(), "60"))
		require.Equal(t, http.StatusOK, r.status)
		requireBytes(t, data[10:30], r.body)
		// The Range header is not part of a presigned URL's signature.
		req := presign(h, download, h.creds, time.Now(), "60")
		req.Header.Set("Range", "bytes=-5")
		r = h.send(req)
		require.Equal(t, http.StatusPartialContent, r.status)
		requireBytes(t, data[len(data)-5:], r.body)
	})
	t.Run("download by path", func(t *testing.T) {
		h := h.sub(t)
		r := h.send(presign(h, target("/v1/object/downloadByPath", "packageID", pkg, "path", "dir/obj"), h.creds, time.Now(), "60"))
		require.Equal(t, http.StatusOK, r.status)
		requireBytes(t, data, r.body)
	})
	t.Run("the URL works for any client", func(t *testing.T) {
		h := h.sub(t)
		u := presign(h, download, h.creds, time.Now(), "60").URL.String()
		resp, err := h.client.Get(u)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
	})

	tamper := func(req *http.Request, key, value string) *http.Request {
		q := req.URL.Query()
		q.Set(key, value)
		req.URL.RawQuery = q.Encode()
		return req
	}
	failures := []struct {
		name   string
		req    func(h *harness) *http.Request
		status int
	}{
		{"expired", func(h *harness) *http.Request {
			return presign(h, download, h.creds, time.Now().Add(-2*time.Hour), "60")
		}, 403},
		{"expiry too long", func(h *harness) *http.Request { return presign(h, download, h.creds, time.Now(), "604801") }, 403},
		{"dated in the future", func(h *harness) *http.Request { return presign(h, download, h.creds, time.Now().Add(time.Hour), "60") }, 403},
		{"wrong secret", func(h *harness) *http.Request {
			return presign(h, download, aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: "x"}, time.Now(), "60")
		}, 403},
		{"unknown key", func(h *harness) *http.Request {
			return presign(h, download, aws.Credentials{AccessKeyID: "NOBODY", SecretAccessKey: "x"}, time.Now(), "60")
		}, 401},
		{"another object", func(h *harness) *http.Request {
			return tamper(presign(h, download, h.creds, time.Now(), "60"), "objectID", fmt.Sprint(other.ObjectID))
		}, 403},
		{"added offset", func(h *harness) *http.Request {
			return tamper(presign(h, download, h.creds, time.Now(), "60"), "offset", "5")
		}, 403},
		{"longer expiry", func(h *harness) *http.Request {
			return tamper(presign(h, download, h.creds, time.Now(), "60"), "X-Amz-Expires", "3600")
		}, 403},
		{"altered signature", func(h *harness) *http.Request {
			req := presign(h, download, h.creds, time.Now(), "60")
			sig := req.URL.Query().Get("X-Amz-Signature")
			flipped := "0"
			if sig[0] == '0' {
				flipped = "1"
			}
			return tamper(req, "X-Amz-Signature", flipped+sig[1:])
		}, 403},
	}
	for _, tc := range failures {
		t.Run(tc.name, func(t *testing.T) {
			h := h.sub(t)
			requireUnauthorized(t, h.send(tc.req(h)), tc.status)
		})
	}

	t.Run("upload", func(t *testing.T) {
		h := h.sub(t)
		req, body := h.uploadRequest("/v1/object/upload", infoPart(map[string]any{"packageID": pkg}), filePart("presigned", []byte("presigned")))
		var out struct {
			Uploadeds []wireObject `json:"uploadeds"`
		}
		h.ok(h.send(sign(t, req, body, signPresigned, h.creds, time.Now())), &out)
		require.Equal(t, []byte("presigned"), h.content(out.Uploadeds[0].ObjectID))
	})
}

// TestPendingSignatureOnHugeFailedUpload: a client that signs its body without declaring the
// hash and fails early (here, an unknown package) with more than the server will read to check
// the signature gets 403 with advice, not the answer to a question it may not have the right
// to ask.
func TestPendingSignatureOnHugeFailedUpload(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	e := requireError(t, h.send(hugeUndeclaredUpload(t, h, 999999)), http.StatusForbidden, "Unauthorized")
	require.Contains(t, e.Message, "X-Amz-Content-Sha256")
}

// TestPendingUploadIsBounded: a correctly signed upload that declares no payload hash is
// accepted up to 64 MiB (the signature is proven at its end), and refused past that with a
// message saying what to do, storing nothing: an impostor cannot make the server store more
// than that before being found out.
func TestPendingUploadIsBounded(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	pkg := h.newPackage()
	shards := h.shardCount()
	e := requireError(t, h.send(hugeUndeclaredUpload(t, h, pkg)), http.StatusForbidden, "Unauthorized")
	require.Contains(t, e.Message, "X-Amz-Content-Sha256")
	h.waitIdle()
	require.Equal(t, shards, h.shardCount(), "nothing of the refused upload is stored")
	require.Empty(t, h.packageObjects(pkg))
}

// hugeUndeclaredUpload returns an upload of a 65 MiB file to pkg, correctly signed with its
// body's hash but without declaring it in X-Amz-Content-Sha256, streamed so that it is never
// held in memory.
func hugeUndeclaredUpload(t *testing.T, h *harness, pkg uint64) *http.Request {
	t.Helper()
	const size = 65 << 20
	head, ct := multipartBody(infoPart(map[string]any{"packageID": pkg}), filePart("huge", nil))
	// multipartBody closed the form; cut the closing boundary to splice the file content in.
	closing := head[bytes.LastIndex(head, []byte("\r\n--")):]
	head = head[:len(head)-len(closing)]
	body := func() io.Reader {
		return io.MultiReader(bytes.NewReader(head), io.LimitReader(zeros{}, size), bytes.NewReader(closing))
	}
	sum := sha256.New()
	_, err := io.Copy(sum, body())
	require.NoError(t, err)
	req, err := http.NewRequestWithContext(t.Context(), "POST", h.srv.URL+"/v1/object/upload", body())
	require.NoError(t, err)
	req.ContentLength = int64(len(head) + size + len(closing))
	req.Header.Set("Content-Type", ct)
	require.NoError(t, v4.NewSigner().SignHTTP(t.Context(), h.creds, req, hex.EncodeToString(sum.Sum(nil)), "jcs", "any", time.Now()))
	return req
}

// zeros reads as an endless run of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
