package spacetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space"
)

// testDelete removes blobs and checks that deleting what is not there succeeds, so that
// retries and garbage collection stay idempotent, without touching blobs nearby.
func testDelete(t *testing.T, s space.Space) {
	keep := blobData(30, 100)
	put(t, s, "dir/keep", keep)
	put(t, s, "dir/gone", blobData(31, 100))

	require.NoError(t, s.Delete(t.Context(), "dir/gone"))
	requireMissing(t, s, "dir/gone")
	require.Equal(t, []string{"dir/keep"}, listAll(t, s, ""))

	for _, name := range []string{
		"dir/gone",      // deleted already
		"never",         // never existed
		"dir",           // a directory of another blob, not a blob
		"dir/keep/deep", // passes through a blob
	} {
		t.Run(name, func(t *testing.T) {
			require.NoError(t, s.Delete(t.Context(), name))
		})
	}
	requireBlob(t, s, "dir/keep", keep)
	require.Equal(t, []string{"dir/keep"}, listAll(t, s, ""))
}

// testCancelledContext calls every method with a context that is already cancelled: each must
// return an error wrapping context.Canceled.
func testCancelledContext(t *testing.T, s space.Space) {
	put(t, s, "blob", blobData(32, 10))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"Open", func() error {
			r, err := s.Open(ctx, "blob")
			if err == nil {
				r.Close()
			}
			return err
		}},
		{"Stat", func() error { _, err := s.Stat(ctx, "blob"); return err }},
		{"Delete", func() error { return s.Delete(ctx, "blob") }},
		{"List", func() error { _, _, err := s.List(ctx, "", "", 0); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.ErrorIs(t, tc.call(), context.Canceled)
		})
	}
}
