package s3compat_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"
)

func TestAuthFailures(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	v.bucket("auth")
	ctx := t.Context()

	t.Run("wrong secret", func(t *testing.T) {
		for _, c := range []*s3.Client{
			v.client(v.tls, aws.Credentials{AccessKeyID: rootKey, SecretAccessKey: "wrong"}),
			v.client(v.plain, aws.Credentials{AccessKeyID: rootKey, SecretAccessKey: "wrong"}),
		} {
			_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("auth"), Key: aws.String("k"), Body: strings.NewReader("x")})
			requireAPIError(t, err, http.StatusForbidden, "SignatureDoesNotMatch")
			require.False(t, v.exists("auth", "k"))
			_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("auth")})
			requireAPIError(t, err, http.StatusForbidden, "SignatureDoesNotMatch")
			_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("sneaky")})
			requireAPIError(t, err, http.StatusForbidden, "SignatureDoesNotMatch")
		}
		_, err := v.e.GetBucketByName(ctx, "sneaky")
		require.Error(t, err)
	})

	t.Run("unknown access key", func(t *testing.T) {
		c := v.client(v.tls, aws.Credentials{AccessKeyID: "NOBODY", SecretAccessKey: "x"})
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("auth"), Key: aws.String("k"), Body: strings.NewReader("x")})
		requireAPIError(t, err, http.StatusForbidden, "InvalidAccessKeyId")
		require.False(t, v.exists("auth", "k"))
	})

	t.Run("anonymous", func(t *testing.T) {
		for _, method := range []string{"GET", "PUT", "DELETE"} {
			req := v.newRequest(v.tls, method, "/auth/k", strings.NewReader(""))
			r := v.send(req)
			r.requireError(t, http.StatusForbidden, "AccessDenied")
		}
		r := v.send(v.newRequest(v.tls, "GET", "/", nil))
		r.requireError(t, http.StatusForbidden, "AccessDenied")
		require.False(t, v.exists("auth", "k"))
	})

	t.Run("signature over other headers", func(t *testing.T) {
		req := v.newRequest(v.tls, "PUT", "/auth/k", bytes.NewReader([]byte("x")))
		req.Header.Set("X-Amz-Meta-A", "1")
		v.sign(req, v.root, hexSHA256([]byte("x")), time.Now())
		req.Header.Set("X-Amz-Meta-A", "2") // a signed header altered
		v.send(req).requireError(t, http.StatusForbidden, "SignatureDoesNotMatch")
		require.False(t, v.exists("auth", "k"))
	})

	t.Run("body swapped after signing", func(t *testing.T) {
		for _, srv := range []struct {
			name string
			put  func(req *http.Request) response
		}{{"tls", v.send}, {"http", func(req *http.Request) response { return v.sendOn(v.plain, req) }}} {
			t.Run(srv.name, func(t *testing.T) {
				signedBody, sentBody := []byte("the signed body"), []byte("a swapped body!")
				require.Equal(t, len(signedBody), len(sentBody))
				base := v.tls
				if srv.name == "http" {
					base = v.plain
				}
				// A new object is not created.
				req := v.newRequest(base, "PUT", "/auth/swapped", bytes.NewReader(sentBody))
				v.sign(req, v.root, hexSHA256(signedBody), time.Now())
				srv.put(req).requireError(t, http.StatusBadRequest, "XAmzContentSHA256Mismatch")
				require.False(t, v.exists("auth", "swapped"))

				// An existing object is not replaced.
				v.put("auth", "kept", []byte("original"))
				req = v.newRequest(base, "PUT", "/auth/kept", bytes.NewReader(sentBody))
				v.sign(req, v.root, hexSHA256(signedBody), time.Now())
				srv.put(req).requireError(t, http.StatusBadRequest, "XAmzContentSHA256Mismatch")
				require.Equal(t, "original", string(v.get("auth", "kept")))

				// Nor is a part stored.
				up := v.raw("POST", "/auth/mp?uploads", nil, nil)
				id := between(string(up.body), "<UploadId>", "</UploadId>")
				req = v.newRequest(base, "PUT", "/auth/mp?partNumber=1&uploadId="+id, bytes.NewReader(sentBody))
				v.sign(req, v.root, hexSHA256(signedBody), time.Now())
				srv.put(req).requireError(t, http.StatusBadRequest, "XAmzContentSHA256Mismatch")
				l := v.raw("GET", "/auth/mp?uploadId="+id, nil, nil)
				require.NotContains(t, string(l.body), "<Part>")

				// Nor are XML bodies acted on: a DeleteObjects whose body was swapped.
				v.put("auth", "victim", []byte("v"))
				signedXML := []byte(`<Delete><Object><Key>nothin</Key></Object></Delete>`)
				sentXML := []byte(`<Delete><Object><Key>victim</Key></Object></Delete>`)
				req = v.newRequest(base, "POST", "/auth?delete", bytes.NewReader(sentXML))
				req.Header.Set("Content-Md5", md5b64(sentXML))
				v.sign(req, v.root, hexSHA256(signedXML), time.Now())
				r := srv.put(req)
				require.NotEqual(t, http.StatusOK, r.status, "%s", r.body)
				require.True(t, v.exists("auth", "victim"))
			})
		}
	})

	t.Run("body signed with another object's hash", func(t *testing.T) {
		// The signed payload hash becomes the object's SHA-256, the key of deduplication: a
		// body that does not match it must fail before it can be taken for the other object.
		for _, size := range []int{100, 3 * smallSize} {
			victim, sent := data(21, size), data(22, size)
			v.put("auth", "victim-content", victim)
			req := v.newRequest(v.tls, "PUT", "/auth/dedup-forged", bytes.NewReader(sent))
			v.sign(req, v.root, hexSHA256(victim), time.Now())
			v.send(req).requireError(t, http.StatusBadRequest, "XAmzContentSHA256Mismatch")
			require.False(t, v.exists("auth", "dedup-forged"))
			require.Equal(t, victim, v.get("auth", "victim-content"))

			v.put("auth", "honest", sent) // signed with its own hash: stored, and read back as sent
			require.Equal(t, sent, v.get("auth", "honest"))
			b, err := v.e.GetBucketByName(t.Context(), "auth")
			require.NoError(t, err)
			o, err := v.e.StatObject(t.Context(), b.ID, "honest")
			require.NoError(t, err)
			require.Equal(t, sha256.Sum256(sent), o.SHA256)
		}
	})

	t.Run("clock skew", func(t *testing.T) {
		for _, skew := range []time.Duration{-16 * time.Minute, 16 * time.Minute} {
			req := v.newRequest(v.tls, "PUT", "/auth/skewed", bytes.NewReader([]byte("x")))
			v.sign(req, v.root, hexSHA256([]byte("x")), time.Now().Add(skew))
			v.send(req).requireError(t, http.StatusForbidden, "RequestTimeTooSkewed")
			require.False(t, v.exists("auth", "skewed"))
		}
		req := v.newRequest(v.tls, "PUT", "/auth/skewed", bytes.NewReader([]byte("x")))
		v.sign(req, v.root, hexSHA256([]byte("x")), time.Now().Add(-14*time.Minute))
		require.Equal(t, http.StatusOK, v.send(req).status, "within 15 minutes")
	})

	t.Run("other service in the scope", func(t *testing.T) {
		req := v.newRequest(v.tls, "GET", "/auth", nil)
		req.Header.Set("X-Amz-Content-Sha256", emptySHA256)
		require.NoError(t, v4.NewSigner().SignHTTP(ctx, v.root, req, emptySHA256, "jcs", region, time.Now()))
		r := v.send(req)
		require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
		require.Equal(t, "AuthorizationHeaderMalformed", r.errDoc(t).Code)
	})

	t.Run("other region in the scope", func(t *testing.T) {
		c := v.client(v.tls, v.root, func(o *s3.Options) { o.Region = "eu-west-3" })
		_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("auth"), Key: aws.String("region"), Body: strings.NewReader("x")})
		require.NoError(t, err, "signatures for any region are accepted")
	})
}

// sendOn sends req, which must be for srv, with srv's client.
func (v *env) sendOn(srv interface{ Client() *http.Client }, req *http.Request) response {
	v.t.Helper()
	resp, err := srv.Client().Do(req)
	require.NoError(v.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(v.t, err)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func TestTransferEncodingChunked(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	v.bucket("tec")
	body := data(40, 300<<10)
	for _, tc := range []struct {
		name, payload string
	}{{"unsigned payload", "UNSIGNED-PAYLOAD"}, {"signed payload", hexSHA256(body)}} {
		for _, srv := range []struct {
			name string
			send func(*http.Request) response
			base string
		}{{"tls", v.send, v.tls.URL}, {"http", func(r *http.Request) response { return v.sendOn(v.plain, r) }, v.plain.URL}} {
			t.Run(tc.name+"/"+srv.name, func(t *testing.T) {
				key := strings.ReplaceAll(tc.name+"/"+srv.name, " ", "-")
				req, err := http.NewRequestWithContext(t.Context(), "PUT", srv.base+"/tec/"+key, io.NopCloser(bytes.NewReader(body)))
				require.NoError(t, err)
				req.ContentLength = -1
				v.sign(req, v.root, tc.payload, time.Now())
				v.forget()
				r := srv.send(req)
				require.Equal(t, http.StatusOK, r.status, "%s", r.body)
				seen := v.requests("PUT", "")
				require.Equal(t, []string{"chunked"}, seen[0].transfer)
				require.Equal(t, int64(-1), seen[0].length)
				require.Equal(t, body, v.get("tec", key))
			})
		}
	}

	t.Run("without Transfer-Encoding or Content-Length", func(t *testing.T) {
		// An HTTP/1.1 request can carry a body only with one or the other; a PUT with neither
		// has an empty body, which is a valid (empty) object.
		r := v.raw("PUT", "/tec/empty", nil, nil)
		require.Equal(t, http.StatusOK, r.status)
		require.Empty(t, v.get("tec", "empty"))
	})
}

func TestPresigned(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	v.bucket("pre")
	v.put("pre", "obj", []byte("presigned content"))
	ctx := t.Context()
	ps := s3.NewPresignClient(v.s3(), s3.WithPresignExpires(time.Hour))
	cl := v.tls.Client()

	do := func(method, u string, hdr http.Header, body []byte) response {
		t.Helper()
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, u, rd)
		require.NoError(t, err)
		for k, vs := range hdr {
			if !strings.EqualFold(k, "host") {
				req.Header[k] = vs
			}
		}
		resp, err := cl.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return response{status: resp.StatusCode, header: resp.Header, body: b}
	}

	get, err := ps.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("pre"), Key: aws.String("obj")})
	require.NoError(t, err)
	put, err := ps.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("pre"), Key: aws.String("uploaded")})
	require.NoError(t, err)

	t.Run("GET", func(t *testing.T) {
		r := do("GET", get.URL, get.SignedHeader, nil)
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		require.Equal(t, "presigned content", string(r.body))
	})

	t.Run("GET with response overrides", func(t *testing.T) {
		g, err := ps.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("pre"), Key: aws.String("obj"),
			ResponseContentDisposition: aws.String("attachment")})
		require.NoError(t, err)
		r := do("GET", g.URL, g.SignedHeader, nil)
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		require.Equal(t, "attachment", r.header.Get("Content-Disposition"))
	})

	t.Run("PUT", func(t *testing.T) {
		r := do("PUT", put.URL, put.SignedHeader, []byte("via presigned put"))
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		require.Equal(t, "via presigned put", string(v.get("pre", "uploaded")))
	})

	t.Run("altered", func(t *testing.T) {
		for _, alter := range []func(u *url.URL){
			func(u *url.URL) { u.Path = "/pre/other" },
			func(u *url.URL) {
				q := u.Query()
				q.Set("X-Amz-Expires", "7200")
				u.RawQuery = q.Encode()
			},
			func(u *url.URL) {
				q := u.Query()
				sig := []byte(q.Get("X-Amz-Signature"))
				if sig[0] == '0' {
					sig[0] = '1'
				} else {
					sig[0] = '0'
				}
				q.Set("X-Amz-Signature", string(sig))
				u.RawQuery = q.Encode()
			},
			func(u *url.URL) {
				q := u.Query()
				q.Set("response-content-type", "text/html")
				u.RawQuery = q.Encode()
			},
		} {
			u, err := url.Parse(get.URL)
			require.NoError(t, err)
			alter(u)
			r := do("GET", u.String(), get.SignedHeader, nil)
			require.Equal(t, http.StatusForbidden, r.status, "%s: %s", u, r.body)
		}
		u, err := url.Parse(put.URL)
		require.NoError(t, err)
		u.Path = "/pre/elsewhere"
		r := do("PUT", u.String(), put.SignedHeader, []byte("x"))
		r.requireError(t, http.StatusForbidden, "SignatureDoesNotMatch")
		require.False(t, v.exists("pre", "elsewhere"))
		// A presigned GET does not authorize a PUT.
		r = do("PUT", get.URL, get.SignedHeader, []byte("x"))
		r.requireError(t, http.StatusForbidden, "SignatureDoesNotMatch")
		require.Equal(t, "presigned content", string(v.get("pre", "obj")))
	})

	t.Run("expired", func(t *testing.T) {
		v.offset.Store(int64(61 * time.Minute))
		defer v.offset.Store(0)
		r := do("GET", get.URL, get.SignedHeader, nil)
		r.requireError(t, http.StatusForbidden, "AccessDenied")
		r = do("PUT", put.URL, put.SignedHeader, []byte("late"))
		r.requireError(t, http.StatusForbidden, "AccessDenied")
		v.offset.Store(0)
		require.Equal(t, "via presigned put", string(v.get("pre", "uploaded")))
	})

	t.Run("expiry beyond seven days", func(t *testing.T) {
		long, err := s3.NewPresignClient(v.s3(), s3.WithPresignExpires(8*24*time.Hour)).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("pre"), Key: aws.String("obj")})
		require.NoError(t, err)
		r := do("GET", long.URL, long.SignedHeader, nil)
		require.Equal(t, http.StatusForbidden, r.status)
	})

	t.Run("minio-go", func(t *testing.T) {
		m := v.minio(v.root)
		u, err := m.PresignedGetObject(ctx, "pre", "obj", time.Minute, nil)
		require.NoError(t, err)
		r := do("GET", u.String(), nil, nil)
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		require.Equal(t, "presigned content", string(r.body))
		pu, err := m.PresignedPutObject(ctx, "pre", "minio-put", time.Minute)
		require.NoError(t, err)
		r = do("PUT", pu.String(), nil, []byte("by minio url"))
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		require.Equal(t, "by minio url", string(v.get("pre", "minio-put")))
	})
}

// sigV2URL presigns a request SigV2-style, as boto3's generate_presigned_url does by default.
func sigV2URL(base, method, path string, creds aws.Credentials, expires time.Time) string {
	exp := strconv.FormatInt(expires.Unix(), 10)
	sts := method + "\n\n\n" + exp + "\n" + path
	m := hmac.New(sha1.New, []byte(creds.SecretAccessKey))
	m.Write([]byte(sts))
	q := url.Values{"AWSAccessKeyId": {creds.AccessKeyID}, "Expires": {exp}, "Signature": {base64.StdEncoding.EncodeToString(m.Sum(nil))}}
	return base + path + "?" + q.Encode()
}

func TestSigV2Presigned(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	v.bucket("sigv2")
	v.put("sigv2", "obj", []byte("sigv2 content"))
	cl := v.tls.Client()
	get := func(u string) response {
		t.Helper()
		resp, err := cl.Get(u)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return response{status: resp.StatusCode, header: resp.Header, body: b}
	}

	r := get(sigV2URL(v.tls.URL, "GET", "/sigv2/obj", v.root, time.Now().Add(time.Hour)))
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	require.Equal(t, "sigv2 content", string(r.body))

	r = get(sigV2URL(v.tls.URL, "GET", "/sigv2/obj", v.root, time.Now().Add(-time.Minute)))
	r.requireError(t, http.StatusForbidden, "AccessDenied")

	r = get(sigV2URL(v.tls.URL, "GET", "/sigv2/obj", aws.Credentials{AccessKeyID: rootKey, SecretAccessKey: "wrong"}, time.Now().Add(time.Hour)))
	r.requireError(t, http.StatusForbidden, "SignatureDoesNotMatch")

	u := sigV2URL(v.tls.URL, "GET", "/sigv2/obj", v.root, time.Now().Add(time.Hour))
	r = get(strings.Replace(u, "/sigv2/obj", "/sigv2/other", 1))
	r.requireError(t, http.StatusForbidden, "SignatureDoesNotMatch")

	// A user's key works too.
	_, bob := v.user("bob")
	r = get(sigV2URL(v.tls.URL, "GET", "/sigv2/obj", bob, time.Now().Add(time.Hour)))
	r.requireError(t, http.StatusForbidden, "AccessDenied")
}

// TestUndeclaredPayloadHash: a request that signs its body's hash without declaring it in
// X-Amz-Content-Sha256 can only be checked once its body is read, and most handlers act
// without reading it. Such requests are refused before anything is done, as S3 refuses any
// signed request without the header; otherwise a forged signature would pass for a GET or
// DELETE that carries a body.
func TestUndeclaredPayloadHash(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	v.bucket("victim")
	v.put("victim", "k", []byte("secret data"))
	// A signer per signature: the SDK's caches derived keys by access key ID, not secret.
	signer := func() *v4.Signer { return v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }) }
	body := []byte("some body")
	for _, creds := range []aws.Credentials{{AccessKeyID: rootKey, SecretAccessKey: "forged"}, v.root} {
		for _, tc := range []struct{ method, target string }{
			{"GET", "/victim/k"}, {"DELETE", "/victim/k"}, {"GET", "/victim"}, {"DELETE", "/victim"}, {"GET", "/"},
			{"PUT", "/victim/new"}, {"PUT", "/newbucket"},
		} {
			req := v.newRequest(v.tls, tc.method, tc.target, bytes.NewReader(body))
			require.NoError(t, signer().SignHTTP(t.Context(), creds, req, hexSHA256(body), "s3", region, time.Now()))
			r := v.send(req)
			r.requireError(t, http.StatusBadRequest, "InvalidRequest")
			require.NotContains(t, string(r.body), "secret data")
		}
	}
	require.Equal(t, "secret data", string(v.get("victim", "k")))
	require.False(t, v.exists("victim", "new"))
	_, err := v.e.GetBucketByName(t.Context(), "newbucket")
	require.Error(t, err)

	t.Run("the empty body's hash signed, as curl -T does", func(t *testing.T) {
		// The signature is checked at once; the body, as with UNSIGNED-PAYLOAD, is not covered.
		req := v.newRequest(v.tls, "PUT", "/victim/curl", bytes.NewReader(body))
		require.NoError(t, signer().SignHTTP(t.Context(), v.root, req, emptySHA256, "s3", region, time.Now()))
		require.Equal(t, http.StatusOK, v.send(req).status)
		require.Equal(t, body, v.get("victim", "curl"))
		req = v.newRequest(v.tls, "DELETE", "/victim/k", bytes.NewReader(body))
		require.NoError(t, signer().SignHTTP(t.Context(), aws.Credentials{AccessKeyID: rootKey, SecretAccessKey: "forged"}, req, emptySHA256, "s3", region, time.Now()))
		// A forged signature matches neither hash; it is refused, by now as undeclared.
		v.send(req).requireError(t, http.StatusBadRequest, "InvalidRequest")
		require.True(t, v.exists("victim", "k"))
	})

	t.Run("no body and no header, as curl GETs", func(t *testing.T) {
		req := v.newRequest(v.tls, "GET", "/victim/k", nil)
		require.NoError(t, signer().SignHTTP(t.Context(), v.root, req, emptySHA256, "s3", region, time.Now()))
		r := v.send(req)
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		require.Equal(t, "secret data", string(r.body))
	})
}

// TestUnsignedAmzHeaders: every x-amz-* header must be signed, as S3 requires. Otherwise
// whoever holds a presigned PUT URL could add X-Amz-Copy-Source and copy any object the signer
// can read into the URL's key, or add tags and metadata.
func TestUnsignedAmzHeaders(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	v.bucket("hdrs")
	v.put("hdrs", "secret", []byte("secret data"))
	ctx := t.Context()

	t.Run("header-signed", func(t *testing.T) {
		for _, h := range []string{"X-Amz-Meta-Injected", "X-Amz-Tagging", "X-Amz-Copy-Source", "X-Amz-Metadata-Directive"} {
			req := v.newRequest(v.tls, "PUT", "/hdrs/k", bytes.NewReader([]byte("x")))
			v.sign(req, v.root, hexSHA256([]byte("x")), time.Now())
			req.Header.Set(h, map[string]string{"X-Amz-Copy-Source": "hdrs/secret", "X-Amz-Tagging": "a=b"}[h]+"v")
			v.send(req).requireError(t, http.StatusForbidden, "AccessDenied")
			require.False(t, v.exists("hdrs", "k"), "header %s", h)
		}
	})

	t.Run("presigned PUT", func(t *testing.T) {
		ps := s3.NewPresignClient(v.s3())
		put, err := ps.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("hdrs"), Key: aws.String("drop")})
		require.NoError(t, err)
		send := func(hdr http.Header, body string) response {
			t.Helper()
			req, err := http.NewRequestWithContext(ctx, "PUT", put.URL, strings.NewReader(body))
			require.NoError(t, err)
			for k, vs := range hdr {
				req.Header[k] = vs
			}
			return v.sendOn(v.tls, req)
		}
		send(http.Header{"X-Amz-Copy-Source": {"hdrs/secret"}}, "").requireError(t, http.StatusForbidden, "AccessDenied")
		require.False(t, v.exists("hdrs", "drop"))
		send(http.Header{"X-Amz-Tagging": {"evil=1"}}, "x").requireError(t, http.StatusForbidden, "AccessDenied")
		send(http.Header{"X-Amz-Meta-Evil": {"1"}}, "x").requireError(t, http.StatusForbidden, "AccessDenied")
		require.False(t, v.exists("hdrs", "drop"))

		// What the URL was signed with, and an unsigned X-Amz-Content-Sha256, are fine.
		r := send(http.Header{"X-Amz-Content-Sha256": {"UNSIGNED-PAYLOAD"}}, "fine")
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		require.Equal(t, "fine", string(v.get("hdrs", "drop")))

		withMeta, err := ps.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("hdrs"), Key: aws.String("meta"), Metadata: map[string]string{"signed": "yes"}})
		require.NoError(t, err)
		req, err := http.NewRequestWithContext(ctx, "PUT", withMeta.URL, strings.NewReader("m"))
		require.NoError(t, err)
		for k, vs := range withMeta.SignedHeader {
			if !strings.EqualFold(k, "host") {
				req.Header[k] = vs
			}
		}
		r = v.sendOn(v.tls, req)
		require.Equal(t, http.StatusOK, r.status, "%s", r.body)
		require.Equal(t, map[string]string{"signed": "yes"}, v.stat("hdrs", "meta").Attrs.Meta)
	})
}
