package s3space_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space"
	"github.com/jointcloud/jcs/engine/space/s3space"
)

// randomData returns n reproducible pseudo-random bytes.
func randomData(seed uint64, n int) []byte {
	b := make([]byte, n)
	rng := rand.New(rand.NewPCG(seed, 0x733373))
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// onlyReader hides every method but Read.
type onlyReader struct{ r io.Reader }

func (r onlyReader) Read(p []byte) (int, error) { return r.r.Read(p) }

// TestUploadPaths checks which requests each size of upload sends, and that every way stores
// the bytes whole.
func TestUploadPaths(t *testing.T) {
	const kib = 1 << 10
	defaults := [3]int64{-1}
	streaming := [3]int64{0, 1 << 40, 64 * kib}
	parts := [3]int64{0, 0, 64 * kib}
	multipart := func(n int) []string {
		ops := []string{"CreateMultipartUpload"}
		for range n {
			ops = append(ops, "UploadPart")
		}
		return append(ops, "CompleteMultipartUpload")
	}
	for _, tc := range []struct {
		name  string
		tune  [3]int64 // bufferMax, streamMax, partSize; -1 keeps the defaults
		n     int
		known bool
		want  []string
	}{
		{"small known size", defaults, 1000, true, []string{"PutObject"}},
		{"small unknown size", defaults, 1000, false, []string{"PutObject"}},
		{"empty known size", streaming, 0, true, []string{"PutObject"}},
		{"streamed", streaming, 300 * kib, true, []string{"PutObject"}},
		{"unknown size within a part", parts, 10 * kib, false, []string{"PutObject"}},
		{"known size in parts", parts, 300 * kib, true, multipart(5)},
		{"known size of whole parts", parts, 128 * kib, true, multipart(2)},
		{"unknown size in parts", parts, 300*kib + 1, false, multipart(5)},
		{"unknown size of whole parts", parts, 128 * kib, false, multipart(2)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			f := newFakeS3(t, rec.wrap)
			s := f.newSpace(t, "")
			if tc.tune[0] >= 0 {
				s3space.SetTuning(s, tc.tune[0], tc.tune[1], tc.tune[2])
			}
			want := randomData(1, tc.n)
			size := int64(-1)
			if tc.known {
				size = int64(tc.n)
			}
			require.NoError(t, s.Put(t.Context(), "blob", onlyReader{bytes.NewReader(want)}, size))
			require.Equal(t, tc.want, rec.take())
			require.Equal(t, want, readAll(t, s, "blob"))
		})
	}
}

// readAll reads the blob name through Open and ReadAt.
func readAll(t *testing.T, s space.Space, name string) []byte {
	t.Helper()
	r, err := s.Open(t.Context(), name)
	require.NoError(t, err)
	defer r.Close()
	got := make([]byte, r.Size())
	n, err := r.ReadAt(got, 0)
	if err == io.EOF && n == len(got) {
		err = nil
	}
	require.NoError(t, err)
	return got
}

var errBroken = errors.New("test: source broken")

// brokenReader yields n bytes, then fails.
type brokenReader struct{ n int }

func (r *brokenReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, errBroken
	}
	k := min(len(p), r.n)
	clear(p[:k])
	r.n -= k
	return k, nil
}

// cancelAfter cancels its context once it has yielded n bytes, and keeps yielding.
type cancelAfter struct {
	n      int
	cancel context.CancelFunc
}

func (r *cancelAfter) Read(p []byte) (int, error) {
	if r.n <= 0 {
		r.cancel()
	}
	r.n -= len(p)
	return len(p), nil
}

// TestMultipartFailureAborts breaks multipart uploads after some parts went up: the upload
// must be aborted, even when the failure is a cancelled context, and nothing published.
func TestMultipartFailureAborts(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    func(cancel context.CancelFunc) io.Reader
		want error
	}{
		{"source fails", func(context.CancelFunc) io.Reader { return &brokenReader{n: 200 << 10} }, errBroken},
		{"context cancelled", func(cancel context.CancelFunc) io.Reader { return &cancelAfter{n: 200 << 10, cancel: cancel} }, context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			f := newFakeS3(t, rec.wrap)
			bucket := f.newBucket(t)
			s, err := s3space.New(t.Context(), f.config(bucket, ""))
			require.NoError(t, err)
			s3space.SetTuning(s, 0, 0, 64<<10)

			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			err = s.Put(ctx, "blob", tc.r(cancel), -1)
			require.ErrorIs(t, err, tc.want)
			ops := rec.take()
			require.Contains(t, ops, "UploadPart")
			require.Equal(t, "AbortMultipartUpload", ops[len(ops)-1])
			require.NotContains(t, ops, "CompleteMultipartUpload")
			require.Empty(t, f.uploads(t, bucket))
			require.Empty(t, f.keys(t, bucket))
		})
	}
}

// TestSweepTemp leaves multipart uploads of several ages inside and outside the prefix:
// SweepTemp aborts exactly the old ones inside.
func TestSweepTemp(t *testing.T) {
	f := newFakeS3(t)
	bucket := f.newBucket(t)
	s, err := s3space.New(t.Context(), f.config(bucket, "shards"))
	require.NoError(t, err)

	got, err := s.SweepTemp(t.Context(), time.Now())
	require.NoError(t, err)
	require.Zero(t, got, "a bucket without uploads")

	for _, u := range []struct {
		key string
		age time.Duration
	}{
		{"shards/old1", 48 * time.Hour},
		{"shards/dir/old2", 25 * time.Hour},
		{"shards/recent", time.Hour},
		{"other/old", 48 * time.Hour},
		{"shardsX/old", 48 * time.Hour},
	} {
		f.clock.set(-u.age)
		_, err := f.client().CreateMultipartUpload(t.Context(), &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(u.key)})
		require.NoError(t, err)
	}
	f.clock.set(0)

	got, err = s.SweepTemp(t.Context(), time.Now().Add(-24*time.Hour))
	require.NoError(t, err)
	require.Equal(t, 2, got)
	require.Equal(t, []string{"other/old", "shards/recent", "shardsX/old"}, f.uploads(t, bucket))

	got, err = s.SweepTemp(t.Context(), time.Now().Add(-24*time.Hour))
	require.NoError(t, err)
	require.Zero(t, got, "a second sweep finds nothing")
}
