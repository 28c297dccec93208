package engine

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// nameCases are bucket and package names with whether validateName accepts them. Bucket and
// package tests run them through the exported methods too.
var nameCases = []struct {
	name  string
	in    string
	valid bool
}{
	{"plain", "photos", true},
	{"one byte", "a", true},
	{"255 bytes", strings.Repeat("x", MaxNameLen), true},
	{"255 bytes of multibyte runes", strings.Repeat("桶", 85), true},
	{"spaces and dots", "my bucket.v2 ..", true},
	{"backslash", `a\b`, true},
	{"empty", "", false},
	{"256 bytes", strings.Repeat("x", MaxNameLen+1), false},
	{"257 bytes of multibyte runes", strings.Repeat("桶", 85) + "ab", false},
	{"slash", "a/b", false},
	{"only slash", "/", false},
	{"NUL", "a\x00b", false},
	{"tab", "a\tb", false},
	{"newline", "a\n", false},
	{"DEL", "a\x7f", false},
	{"invalid UTF-8", "a\xffb", false},
	{"truncated UTF-8", "\xe6\xa1", false},
}

func TestValidateName(t *testing.T) {
	for _, tc := range nameCases {
		t.Run(tc.name, func(t *testing.T) {
			err := validateName("bucket", tc.in)
			if tc.valid {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			require.True(t, strings.HasPrefix(err.Error(), "bucket name "), "message %q names what was wrong", err)
		})
	}
}

func TestValidatePath(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    string
		valid bool
	}{
		{"plain", "a.txt", true},
		{"nested", "a/b/c.txt", true},
		{"leading slash", "/a", true},
		{"trailing slash", "a/", true},
		{"repeated slashes", "a//b", true},
		{"dot segments", "../../etc/passwd", true},
		{"control characters", "a\tb\x01\x7f", true},
		{"1024 bytes", strings.Repeat("p", MaxPathLen), true},
		{"empty", "", false},
		{"1025 bytes", strings.Repeat("p", MaxPathLen+1), false},
		{"NUL", "a\x00b", false},
		{"invalid UTF-8", "a/\xc0\xaf", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := validatePath(tc.in)
			if tc.valid {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
			}
		})
	}
}
