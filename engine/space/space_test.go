package space_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space"
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
