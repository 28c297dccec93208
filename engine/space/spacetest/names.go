package spacetest

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space"
)

// invalidNames break a rule of space.ValidateName. Several would escape a directory root if an
// implementation joined them to a path unchecked.
var invalidNames = []struct {
	name, why string
}{
	{"", "empty"},
	{"/abs", "absolute"},
	{"a/", "trailing slash"},
	{"a//b", "empty segment"},
	{".", "dot"},
	{"..", "dot dot"},
	{"a/../b", "inner dot dot"},
	{"../a", "leading dot dot"},
	{"./a", "leading dot"},
	{"a/.", "trailing dot"},
	{"a\\b", "backslash"},
	{"a\x00b", "NUL"},
	{"a\nb", "newline"},
	{"a\x7fb", "DEL"},
	{strings.Repeat("x", space.MaxNameLen+1), "too long"},
	{"a\xffb", "invalid UTF-8"},
}

// testInvalidNames checks that every method that takes a name rejects invalid ones with
// ErrInvalidName, and that a rejected Put stores nothing. List is not included: its prefix and
// cursor are arbitrary strings, not names.
func testInvalidNames(t *testing.T, s space.Space) {
	for _, tc := range invalidNames {
		t.Run(tc.why, func(t *testing.T) {
			err := s.Put(t.Context(), tc.name, bytes.NewReader([]byte("x")), 1)
			require.ErrorIs(t, err, space.ErrInvalidName, "Put")

			r, err := s.Open(t.Context(), tc.name)
			if err == nil {
				r.Close()
			}
			require.ErrorIs(t, err, space.ErrInvalidName, "Open")

			_, err = s.Stat(t.Context(), tc.name)
			require.ErrorIs(t, err, space.ErrInvalidName, "Stat")

			err = s.Delete(t.Context(), tc.name)
			require.ErrorIs(t, err, space.ErrInvalidName, "Delete")
		})
	}
	require.Empty(t, listAll(t, s, ""))
}

// validNames are unusual but valid, and every implementation must store them faithfully.
var validNames = []string{
	"with space",
	" leading and trailing ",
	"ünïcödé/日本語/ファイル",
	"emoji 🎉",
	"a..b",
	"...",
	".hidden",
	"dir/.hidden",
	"-dash",
	"100% ~tilde+plus=eq&amp;",
	"q?uestion#hash",
	"star*colon:semi;",
	"quote\"apos'",
	// the longest valid name, in segments short enough for any file system
	strings.Repeat(strings.Repeat("m", 199)+"/", 5) + strings.Repeat("m", space.MaxNameLen-5*200),
}

func testValidNames(t *testing.T, s space.Space) {
	for _, name := range validNames {
		require.NoError(t, space.ValidateName(name), "test name %q", name)
		put(t, s, name, []byte(name))
	}
	for _, name := range validNames {
		requireBlob(t, s, name, []byte(name))
	}
	require.Equal(t, slices.Sorted(slices.Values(validNames)), listAll(t, s, ""))
	for _, name := range validNames {
		require.NoError(t, s.Delete(t.Context(), name))
		requireMissing(t, s, name)
	}
	require.Empty(t, listAll(t, s, ""))
}
