// Package spacetest is the conformance suite for space.Space implementations, in the manner of
// perkeep's storagetest and rclone's fstests. Every implementation runs it in one line:
//
//	func TestSpace(t *testing.T) {
//		spacetest.Run(t, func(t *testing.T) space.Space { return memspace.New() })
//	}
//
// The suite checks what the contracts in package space promise and nothing more, so that the
// engine can rely on exactly those sentences. Where a contract leaves room (an old reader of a
// remote store may read as ErrNotExist once its blob is replaced), the suite accepts every
// permitted outcome; implementations that promise more pin it in their own tests.
package spacetest

import (
	"bytes"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space"
)

// Run runs the conformance suite as subtests of t. newSpace is called once per subtest and must
// return an empty space; it should register any cleanup (closing the space, removing its
// storage) with t.Cleanup.
func Run(t *testing.T, newSpace func(t *testing.T) space.Space) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, s space.Space)
	}{
		{"PutOpen", testPutOpen},
		{"PutSizes", testPutSizes},
		{"PutLarge", testPutLarge},
		{"PutReplace", testPutReplace},
		{"PutSizeMismatch", testPutSizeMismatch},
		{"PutReaderError", testPutReaderError},
		{"PutCancelled", testPutCancelled},
		{"PutInProgressInvisible", testPutInProgressInvisible},
		{"PutReadsToEOFWithoutClosing", testPutReadsToEOFWithoutClosing},
		{"ReadAt", testReadAt},
		{"ReadAtManyOffsets", testReadAtManyOffsets},
		{"ReadAtConcurrent", testReadAtConcurrent},
		{"ReaderSnapshot", testReaderSnapshot},
		{"Stat", testStat},
		{"Missing", testMissing},
		{"Delete", testDelete},
		{"CancelledContext", testCancelledContext},
		{"ListEmpty", testListEmpty},
		{"ListOrder", testListOrder},
		{"ListPrefixAfter", testListPrefixAfter},
		{"ListPagination", testListPagination},
		{"InvalidNames", testInvalidNames},
		{"ValidNames", testValidNames},
		{"ConcurrentPuts", testConcurrentPuts},
		{"ConcurrentPutsSameName", testConcurrentPutsSameName},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newSpace(t)) })
	}
}

// blobData returns n pseudo-random bytes that depend only on seed, so that failures reproduce
// and different blobs never share content by accident.
func blobData(seed uint64, n int) []byte {
	rng := rand.New(rand.NewPCG(seed, 0x6a6373))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// put stores data under name with its exact size and fails the test on error.
func put(t *testing.T, s space.Space, name string, data []byte) {
	t.Helper()
	require.NoError(t, s.Put(t.Context(), name, bytes.NewReader(data), int64(len(data))))
}

// readBlob returns the whole content of name, read through Open and ReadAt.
func readBlob(t *testing.T, s space.Space, name string) []byte {
	t.Helper()
	r, err := s.Open(t.Context(), name)
	require.NoError(t, err)
	defer func() { require.NoError(t, r.Close()) }()
	got := make([]byte, r.Size())
	n, err := r.ReadAt(got, 0)
	if err == io.EOF && n == len(got) {
		err = nil // io.ReaderAt allows io.EOF when the read ends exactly at the end
	}
	require.NoError(t, err)
	require.Equal(t, len(got), n)
	return got
}

// requireBlob checks that name holds exactly want, through Stat and through Open.
func requireBlob(t *testing.T, s space.Space, name string, want []byte) {
	t.Helper()
	info, err := s.Stat(t.Context(), name)
	require.NoError(t, err)
	require.Equal(t, int64(len(want)), info.Size, "Stat size of %q", name)
	require.True(t, bytes.Equal(want, readBlob(t, s, name)), "content of %q", name)
}

// requireMissing checks that nothing is stored under name, through Stat and through Open.
func requireMissing(t *testing.T, s space.Space, name string) {
	t.Helper()
	_, err := s.Stat(t.Context(), name)
	require.ErrorIs(t, err, space.ErrNotExist, "Stat %q", name)
	r, err := s.Open(t.Context(), name)
	if err == nil {
		r.Close()
	}
	require.ErrorIs(t, err, space.ErrNotExist, "Open %q", name)
}

// listAll returns the names of every blob with the given prefix, using the default limit and
// following the cursor until the listing ends.
func listAll(t *testing.T, s space.Space, prefix string) []string {
	t.Helper()
	var names []string
	after := ""
	for range 1000 {
		infos, next, err := s.List(t.Context(), prefix, after, 0)
		require.NoError(t, err)
		for _, info := range infos {
			names = append(names, info.Name)
		}
		if next == "" {
			return names
		}
		after = next
	}
	require.FailNow(t, "List never returned an empty cursor")
	return nil
}
