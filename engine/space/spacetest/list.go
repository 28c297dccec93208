package spacetest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space"
)

// listNames are chosen so that byte order differs from the order of a directory walk: '-'
// (0x2d) and '.' (0x2e) sort before '/' (0x2f), and '0' (0x30) sorts after it, so "a-" and "a.c"
// come before everything under "a/", and "a0" after it.
var listNames = []string{
	"a-", "a.c", "a/ b", "a/b", "a/c/d", "a/c/e", "a/ü", "a0", "ab/c", "b", "z/z/z",
}

// putListNames stores listNames in an order unrelated to byte order and returns them sorted.
func putListNames(t *testing.T, s space.Space) []string {
	t.Helper()
	for i, name := range slices.Backward(listNames) {
		put(t, s, name, blobData(uint64(40+i), i))
	}
	return slices.Sorted(slices.Values(listNames))
}

func testListEmpty(t *testing.T, s space.Space) {
	for _, prefix := range []string{"", "a", "a/"} {
		infos, next, err := s.List(t.Context(), prefix, "", 0)
		require.NoError(t, err)
		require.Empty(t, infos)
		require.Empty(t, next)
	}
}

// testListOrder lists everything in one call and checks the order and every Info field.
func testListOrder(t *testing.T, s space.Space) {
	want := putListNames(t, s)
	for _, limit := range []int{0, -1, len(want), len(want) + 1} {
		t.Run(fmt.Sprintf("limit=%d", limit), func(t *testing.T) {
			infos, next, err := s.List(t.Context(), "", "", limit)
			require.NoError(t, err)
			require.Empty(t, next, "a listing that fits within limit has no cursor")
			var got []string
			for _, info := range infos {
				got = append(got, info.Name)
				stat, err := s.Stat(t.Context(), info.Name)
				require.NoError(t, err)
				require.Equal(t, stat.Size, info.Size, "size of %q", info.Name)
				require.False(t, info.ModTime.IsZero(), "ModTime of %q", info.Name)
			}
			require.Equal(t, want, got)
		})
	}
}

// testListPrefixAfter filters by prefix and cursor, including prefixes and cursors that are
// directories, partial segments or names that do not exist.
func testListPrefixAfter(t *testing.T, s space.Space) {
	putListNames(t, s)
	for _, tc := range []struct {
		prefix, after string
		want          []string
	}{
		{"a/", "", []string{"a/ b", "a/b", "a/c/d", "a/c/e", "a/ü"}},
		{"a", "", []string{"a-", "a.c", "a/ b", "a/b", "a/c/d", "a/c/e", "a/ü", "a0", "ab/c"}},
		{"a/c", "", []string{"a/c/d", "a/c/e"}},
		{"a/c/", "", []string{"a/c/d", "a/c/e"}},
		{"a/c/d", "", []string{"a/c/d"}},
		{"z/", "", []string{"z/z/z"}},
		{"nothing", "", nil},
		{"a/b/", "", nil},
		{"", "a.c", []string{"a/ b", "a/b", "a/c/d", "a/c/e", "a/ü", "a0", "ab/c", "b", "z/z/z"}},
		{"", "a/", []string{"a/ b", "a/b", "a/c/d", "a/c/e", "a/ü", "a0", "ab/c", "b", "z/z/z"}},
		{"", "a/c", []string{"a/c/d", "a/c/e", "a/ü", "a0", "ab/c", "b", "z/z/z"}},
		{"", "a/c/d", []string{"a/c/e", "a/ü", "a0", "ab/c", "b", "z/z/z"}},
		{"", "a/bb", []string{"a/c/d", "a/c/e", "a/ü", "a0", "ab/c", "b", "z/z/z"}},
		{"", "a/\xff", []string{"a0", "ab/c", "b", "z/z/z"}},
		{"", "b", []string{"z/z/z"}},
		{"", "z/z/z", nil},
		{"", "zz", nil},
		{"a/", "a/b", []string{"a/c/d", "a/c/e", "a/ü"}},
		{"a/", "a", []string{"a/ b", "a/b", "a/c/d", "a/c/e", "a/ü"}},
		{"a/", "a/ü", nil},
		{"a/", "b", nil},
		{"b", "a", []string{"b"}},
	} {
		t.Run(fmt.Sprintf("prefix=%q/after=%q", tc.prefix, tc.after), func(t *testing.T) {
			infos, next, err := s.List(t.Context(), tc.prefix, tc.after, 0)
			require.NoError(t, err)
			require.Empty(t, next)
			var got []string
			for _, info := range infos {
				got = append(got, info.Name)
			}
			require.Equal(t, tc.want, got)
		})
	}
}

// testListPagination pages through a listing with every small limit and checks that each
// name appears exactly once, in order, and that no page exceeds its limit.
func testListPagination(t *testing.T, s space.Space) {
	want := putListNames(t, s)
	for _, prefix := range []string{"", "a"} {
		wantPrefix := slices.DeleteFunc(slices.Clone(want), func(name string) bool {
			return len(name) < len(prefix) || name[:len(prefix)] != prefix
		})
		for limit := 1; limit <= len(want)+1; limit++ {
			t.Run(fmt.Sprintf("prefix=%q/limit=%d", prefix, limit), func(t *testing.T) {
				got := listPages(t, s, prefix, limit)
				require.Equal(t, wantPrefix, got)
			})
		}
	}
}

// listPages follows the cursor until List returns "" and returns the names of all pages. The
// last page may be empty: an implementation need not know that nothing follows a full page.
func listPages(t *testing.T, s space.Space, prefix string, limit int) []string {
	t.Helper()
	var names []string
	after := ""
	for range 2*len(listNames) + 2 {
		infos, next, err := s.List(t.Context(), prefix, after, limit)
		require.NoError(t, err)
		require.LessOrEqual(t, len(infos), limit)
		for _, info := range infos {
			names = append(names, info.Name)
		}
		if next == "" {
			return names
		}
		require.Greater(t, next, after, "the cursor must move forward")
		after = next
	}
	require.FailNow(t, "List did not finish paging")
	return nil
}
