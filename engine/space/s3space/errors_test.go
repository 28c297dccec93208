package s3space_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space"
	"github.com/jointcloud/jcs/engine/space/s3space"
)

// failFast is how long any call may take against a dead endpoint. The client's budget is 3
// attempts with backoffs of at most a second; this leaves room for a slow CI machine.
const failFast = 5 * time.Second

// ops calls every method of a Space once and returns what each returned. r is a reader
// opened before the calls, so that ReadAt is exercised too.
func ops(s *s3space.Space, r space.Reader) map[string]func(t *testing.T) error {
	return map[string]func(t *testing.T) error{
		"Put small": func(t *testing.T) error {
			return s.Put(t.Context(), "new", bytes.NewReader([]byte("x")), 1)
		},
		"Put streamed": func(t *testing.T) error {
			data := bytes.Repeat([]byte("x"), 2<<20)
			return s.Put(t.Context(), "new", onlyReader{bytes.NewReader(data)}, int64(len(data)))
		},
		"Put unknown size": func(t *testing.T) error {
			return s.Put(t.Context(), "new", onlyReader{bytes.NewReader([]byte("x"))}, -1)
		},
		"Open": func(t *testing.T) error {
			r, err := s.Open(t.Context(), "blob")
			if err == nil {
				r.Close()
			}
			return err
		},
		"ReadAt": func(t *testing.T) error {
			_, err := r.ReadAt(make([]byte, 10), 0)
			return err
		},
		"Stat":   func(t *testing.T) error { _, err := s.Stat(t.Context(), "blob"); return err },
		"Delete": func(t *testing.T) error { return s.Delete(t.Context(), "blob") },
		"List":   func(t *testing.T) error { _, _, err := s.List(t.Context(), "", "", 0); return err },
		"Walk": func(t *testing.T) error {
			return s.Walk(t.Context(), "", func(space.FileInfo) error { return nil })
		},
		"OpenFile": func(t *testing.T) error {
			rc, _, err := s.OpenFile(t.Context(), "blob")
			if err == nil {
				rc.Close()
			}
			return err
		},
		"WriteFile": func(t *testing.T) error {
			return s.WriteFile(t.Context(), "file", strings.NewReader("x"), 1)
		},
		"SweepTemp": func(t *testing.T) error { _, err := s.SweepTemp(t.Context(), time.Now()); return err },
		"Probe":     func(t *testing.T) error { return s.Probe(t.Context()) },
	}
}

// TestStoppedServer stops the server under a Space: every method must fail within failFast
// with a temporary error, which is neither ErrNotExist nor a leak of the secret key.
func TestStoppedServer(t *testing.T) {
	f := newFakeS3(t)
	s := f.newSpace(t, "")
	require.NoError(t, s.Put(t.Context(), "blob", strings.NewReader("content"), 7))
	r, err := s.Open(t.Context(), "blob")
	require.NoError(t, err)
	defer r.Close()
	f.srv.Close()

	t.Run("group", func(t *testing.T) { // returns once the parallel subtests are done
		for name, call := range ops(s, r) {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				start := time.Now()
				err := call(t)
				require.Less(t, time.Since(start), failFast)
				require.Error(t, err)
				require.True(t, space.Temporary(err), "not temporary: %v", err)
				require.NotErrorIs(t, err, space.ErrNotExist)
				require.NotContains(t, err.Error(), secretKey)
			})
		}
	})
}

// errorServer answers every request with status and, except to HEAD, an S3 error document
// with code. It counts the requests.
func errorServer(t *testing.T, status int, code string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	requests := new(atomic.Int64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(status)
		if r.Method != http.MethodHead {
			fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code><Message>test says %s</Message><RequestId>1</RequestId></Error>", code, code)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, requests
}

// TestErrorClassification checks how S3's error answers map to ErrNotExist and Temporary.
func TestErrorClassification(t *testing.T) {
	for _, tc := range []struct {
		status        int
		code          string
		temporary     bool
		notExist      bool // for object requests other than Delete
		retriedTimes3 bool
	}{
		{http.StatusServiceUnavailable, "SlowDown", true, false, true},
		{http.StatusInternalServerError, "InternalError", true, false, true},
		{http.StatusTooManyRequests, "TooManyRequests", true, false, false},
		{http.StatusForbidden, "AccessDenied", false, false, false},
		{http.StatusForbidden, "SignatureDoesNotMatch", false, false, false},
		{http.StatusBadRequest, "InvalidArgument", false, false, false},
		{http.StatusNotImplemented, "NotImplemented", false, false, false},
		{http.StatusNotFound, "NoSuchKey", false, true, false},
	} {
		t.Run(tc.code, func(t *testing.T) {
			t.Parallel()
			srv, requests := errorServer(t, tc.status, tc.code)
			s, err := s3space.New(t.Context(), s3space.Config{
				Endpoint: srv.URL, Bucket: "bucket", PathStyle: true, AccessKeyID: accessKey, SecretAccessKey: secretKey,
			})
			require.NoError(t, err)
			for name, call := range map[string]func() error{
				"Stat": func() error { _, err := s.Stat(t.Context(), "blob"); return err },
				"OpenFile": func() error {
					rc, _, err := s.OpenFile(t.Context(), "blob")
					if err == nil {
						rc.Close()
					}
					return err
				},
				"Put": func() error { return s.Put(t.Context(), "blob", strings.NewReader("x"), 1) },
			} {
				requests.Store(0)
				err := call()
				require.Error(t, err, name)
				require.NotContains(t, err.Error(), secretKey)
				require.Equal(t, tc.temporary, space.Temporary(err), "%s: Temporary(%v)", name, err)
				wantNotExist := tc.notExist && name != "Put"
				require.Equal(t, wantNotExist, errors.Is(err, space.ErrNotExist), "%s: %v", name, err)
				if tc.retriedTimes3 {
					require.EqualValues(t, 3, requests.Load(), "%s: attempts", name)
				}
			}
		})
	}
	t.Run("NoSuchBucket is not a missing blob", func(t *testing.T) {
		srv, _ := errorServer(t, http.StatusNotFound, "NoSuchBucket")
		s, err := s3space.New(t.Context(), s3space.Config{Endpoint: srv.URL, Bucket: "bucket", PathStyle: true})
		require.NoError(t, err)
		_, _, err = s.List(t.Context(), "", "", 0)
		require.Error(t, err)
		require.NotErrorIs(t, err, space.ErrNotExist)
		require.False(t, space.Temporary(err))
	})
}
