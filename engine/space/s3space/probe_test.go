package s3space_test

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space"
	"github.com/jointcloud/jcs/engine/space/s3space"
)

// TestProbe probes usable and unusable buckets. A failed probe says why, never shows the
// secret key, and is temporary exactly when trying later may help.
func TestProbe(t *testing.T) {
	f := newFakeS3(t)
	t.Run("good bucket", func(t *testing.T) {
		for _, prefix := range []string{"", "jcs/shards"} {
			bucket := f.newBucket(t)
			s, err := s3space.New(t.Context(), f.config(bucket, prefix))
			require.NoError(t, err)
			require.NoError(t, s.Probe(t.Context()))
			require.Empty(t, f.keys(t, bucket), "the probe object is deleted")
		}
	})

	denied, _ := errorServer(t, http.StatusForbidden, "InvalidAccessKeyId")
	stopped := newFakeS3(t)
	stopped.srv.Close()
	for _, tc := range []struct {
		name      string
		config    s3space.Config
		want      string
		temporary bool
	}{
		{"missing bucket", f.config("no-such-bucket", ""), "the bucket does not exist", false},
		{"wrong credentials", s3space.Config{
			Endpoint: denied.URL, Bucket: "bucket", PathStyle: true, AccessKeyID: accessKey, SecretAccessKey: secretKey,
		}, "access denied", false},
		{"endpoint unreachable", stopped.config("bucket", ""), "the endpoint is unreachable", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := s3space.New(t.Context(), tc.config)
			require.NoError(t, err, "New does no I/O")
			err = s.Probe(t.Context())
			require.ErrorContains(t, err, "head bucket: "+tc.want)
			require.NotContains(t, err.Error(), secretKey)
			require.Equal(t, tc.temporary, space.Temporary(err), "Temporary(%v)", err)
		})
	}
}

// TestProbeDirReserved checks that probe objects never pass for blobs: names in ProbeDir are
// invalid, and List skips a probe object that a crash left behind.
func TestProbeDirReserved(t *testing.T) {
	f := newFakeS3(t)
	bucket := f.newBucket(t)
	s, err := s3space.New(t.Context(), f.config(bucket, "p"))
	require.NoError(t, err)
	f.putRaw(t, bucket, "p/"+s3space.ProbeDir+"/leftover", []byte("probe"))

	infos, next, err := s.List(t.Context(), "", "", 0)
	require.NoError(t, err)
	require.Empty(t, infos)
	require.Empty(t, next)
	err = s.Put(t.Context(), s3space.ProbeDir+"/x", bytes.NewReader(nil), 0)
	require.ErrorIs(t, err, space.ErrInvalidName)
}
