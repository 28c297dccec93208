package space_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space"
	"github.com/jointcloud/jcs/engine/space/memspace"
)

func TestValidateName(t *testing.T) {
	for _, tc := range []struct {
		name      string
		wantValid bool
	}{
		{"a", true},
		{"a/b/c", true},
		{"with space/ünï", true},
		{".hidden/..dots/a..b", true},
		{strings.Repeat("x", space.MaxNameLen), true},
		{"", false},
		{strings.Repeat("x", space.MaxNameLen+1), false},
		{"/abs", false},
		{"a/", false},
		{"a//b", false},
		{".", false},
		{"..", false},
		{"a/./b", false},
		{"a/../b", false},
		{"a\\b", false},
		{"a\x00b", false},
		{"a\x1fb", false},
		{"a\x7fb", false},
		{"\xff", false},
	} {
		t.Run(fmt.Sprintf("%q", tc.name), func(t *testing.T) {
			err := space.ValidateName(tc.name)
			if tc.wantValid {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, space.ErrInvalidName)
			var nameErr *space.NameError
			require.ErrorAs(t, err, &nameErr)
			require.Equal(t, tc.name, nameErr.Name)
		})
	}
}

// TestNameErrorBounded checks that a long name does not flood the message.
func TestNameErrorBounded(t *testing.T) {
	err := space.ValidateName(strings.Repeat("x", 5000))
	require.Less(t, len(err.Error()), 200)
	require.True(t, strings.HasPrefix(err.Error(), "space: "))
}

type temporaryError struct{ temporary bool }

func (e temporaryError) Error() string   { return "temporary" }
func (e temporaryError) Temporary() bool { return e.temporary }

func TestTemporary(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"plain", errors.New("x"), false},
		{"temporary", temporaryError{true}, true},
		{"wrapped temporary", fmt.Errorf("op: %w", temporaryError{true}), true},
		{"says not temporary", temporaryError{false}, false},
		{"not exist", space.ErrNotExist, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, space.Temporary(tc.err))
		})
	}
}

// slowSpace is a Space without PutBatch whose Puts take a while and count how many overlap.
type slowSpace struct {
	*memspace.Space
	mu            sync.Mutex
	running, peak int
	fail          string
}

func (s *slowSpace) Put(ctx context.Context, name string, r io.Reader, size int64) error {
	s.mu.Lock()
	s.running++
	s.peak = max(s.peak, s.running)
	s.mu.Unlock()
	defer func() { s.mu.Lock(); s.running--; s.mu.Unlock() }()
	time.Sleep(5 * time.Millisecond)
	if name == s.fail {
		return errors.New("injected")
	}
	return s.Space.Put(ctx, name, r, size)
}

// TestPutBatchFallback: on a space that is not a Batcher, PutBatch runs the Puts at once (a
// remote space's latency is per request), stores every blob, and reports a failed Put.
func TestPutBatchFallback(t *testing.T) {
	ctx := t.Context()
	s := &slowSpace{Space: memspace.New()}
	var blobs []space.Blob
	for i := range 40 {
		blobs = append(blobs, space.Blob{Name: fmt.Sprintf("b%02d", i), Data: []byte(fmt.Sprint(i))})
	}
	require.NoError(t, space.PutBatch(ctx, s, blobs))
	require.Greater(t, s.peak, 1, "Puts overlap")
	require.LessOrEqual(t, s.peak, 16, "but no more than 16 at once")
	for i, b := range blobs {
		r, err := s.Open(ctx, b.Name)
		require.NoError(t, err)
		got := make([]byte, r.Size())
		_, err = r.ReadAt(got, 0)
		require.NoError(t, err)
		r.Close()
		require.Equal(t, fmt.Sprint(i), string(got))
	}
	s.fail = "b07"
	require.ErrorContains(t, space.PutBatch(ctx, s, blobs), "injected")
}
