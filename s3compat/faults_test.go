package s3compat_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space/faultspace"
)

// errDown is what a broken user space answers; its text must never reach a client.
var errDown = errors.New("disk on fire at /srv/space3")

func TestSpacesDown(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	v.bucket("down")
	body := data(50, 200<<10)
	v.put("down", "before", body)
	for _, s := range v.spaces {
		s.Fail(faultspace.OpAll, nil, errDown)
	}
	defer func() {
		for _, s := range v.spaces {
			s.Clear()
		}
	}()

	r := v.raw("PUT", "/down/during", body, nil)
	require.GreaterOrEqual(t, r.status, 500, "%s", r.body)
	d := r.errDoc(t)
	require.Contains(t, []string{"ServiceUnavailable", "InternalError"}, d.Code)
	require.NotContains(t, string(r.body), "fire")
	require.NotContains(t, string(r.body), "/srv")
	require.False(t, v.exists("down", "during"))

	g := v.raw("GET", "/down/before", nil, nil)
	require.GreaterOrEqual(t, g.status, 500, "%s", g.body)
	require.NotContains(t, string(g.body), "fire")
	require.NotEqual(t, body, g.body)
	require.Contains(t, v.logs.String(), "requestId="+g.header.Get("X-Amz-Request-Id"), "the failure is logged with its request ID")

	// Metadata operations need no space.
	l := v.raw("GET", "/down?list-type=2", nil, nil)
	require.Equal(t, http.StatusOK, l.status)
	h := v.raw("HEAD", "/down/before", nil, nil)
	require.Equal(t, http.StatusOK, h.status)
}

func TestDegradedRead(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	v.bucket("degraded")
	body := data(51, 5*chunkSize+11) // erasure-coded over the six spaces
	v.put("degraded", "obj", body)
	// Parity 2: any two spaces may be lost.
	v.spaces[0].Fail(faultspace.OpAll, nil, errDown)
	v.spaces[3].Fail(faultspace.OpAll, nil, errDown)
	require.Equal(t, body, v.get("degraded", "obj"))
	out, err := v.s3().GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String("degraded"), Key: aws.String("obj"), Range: aws.String("bytes=100000-400000")})
	require.NoError(t, err)
	b, err := io.ReadAll(out.Body)
	out.Body.Close()
	require.NoError(t, err)
	require.Equal(t, body[100000:400001], b)
}

func TestTruncatedBody(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	v.bucket("short")
	v.put("short", "kept", []byte("original"))
	for _, tc := range []struct {
		name, key, payload string
	}{
		{"new key, unsigned payload", "new", "UNSIGNED-PAYLOAD"},
		{"existing key, unsigned payload", "kept", "UNSIGNED-PAYLOAD"},
		{"new key, signed payload", "new2", hexSHA256(bytes.Repeat([]byte("a"), 100))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Announce 100 bytes, send 50, and close the sending half.
			req := v.newRequest(v.plain, "PUT", "/short/"+tc.key, bytes.NewReader(make([]byte, 100)))
			v.sign(req, v.root, tc.payload, time.Now())
			conn, err := net.Dial("tcp", req.URL.Host)
			require.NoError(t, err)
			defer conn.Close()
			var head bytes.Buffer
			fmt.Fprintf(&head, "PUT %s HTTP/1.1\r\nHost: %s\r\n", req.URL.RequestURI(), req.URL.Host)
			req.Header.Set("Content-Length", "100")
			require.NoError(t, req.Header.Write(&head))
			head.WriteString("\r\n")
			head.Write(bytes.Repeat([]byte("a"), 50))
			_, err = conn.Write(head.Bytes())
			require.NoError(t, err)
			require.NoError(t, conn.(*net.TCPConn).CloseWrite())
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			require.NoError(t, err)
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.Equal(t, http.StatusBadRequest, resp.StatusCode)
			require.Equal(t, "IncompleteBody", between(string(b), "<Code>", "</Code>"))
			if tc.key == "kept" {
				require.Equal(t, "original", string(v.get("short", "kept")))
			} else {
				require.False(t, v.exists("short", tc.key))
			}
		})
	}
}

func TestConcurrentWriters(t *testing.T) {
	t.Parallel()
	v := newEnv(t)
	v.bucket("race")
	c := v.s3()
	ctx := t.Context()
	bodies := make([][]byte, 6)
	valid := map[string]bool{}
	for i := range bodies {
		bodies[i] = data(60+i, 40<<10+i)
		valid[md5hex(bodies[i])] = true
	}
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for i := range bodies {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for range 3 {
				_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("race"), Key: aws.String("same"), Body: bytes.NewReader(bodies[i])})
				if err != nil {
					errs <- err
				}
			}
		}()
		go func() {
			defer wg.Done()
			for range 3 {
				out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("race"), Key: aws.String("same")})
				if err != nil {
					continue // not written yet
				}
				b, err := io.ReadAll(out.Body)
				out.Body.Close()
				if err != nil {
					errs <- err
					continue
				}
				if !valid[md5hex(b)] || strings.Trim(aws.ToString(out.ETag), `"`) != md5hex(b) {
					errs <- fmt.Errorf("a GET returned a torn object of %d bytes", len(b))
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.True(t, valid[md5hex(v.get("race", "same"))])
}
