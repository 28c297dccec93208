package localdir_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space"
)

// TestListForeignEntries puts entries in the root that Put never creates and checks that List
// shows only blobs: no temporary files, links, empty directories or files with invalid names.
func TestListForeignEntries(t *testing.T) {
	s, root := newSpace(t)
	require.NoError(t, s.Put(t.Context(), "dir/blob", strings.NewReader("x"), 1))
	for _, name := range []string{".tmp/inflight", "dir/back\\slash", "dir/nl\nname"} {
		require.NoError(t, os.WriteFile(filepath.Join(root, name), []byte("x"), 0o644))
	}
	require.NoError(t, os.MkdirAll(filepath.Join(root, "empty/deeper"), 0o755))
	require.NoError(t, os.Symlink("blob", filepath.Join(root, "dir/link")))
	require.NoError(t, os.Symlink("dir", filepath.Join(root, "dirlink")))

	infos, next, err := s.List(t.Context(), "", "", 0)
	require.NoError(t, err)
	require.Empty(t, next)
	require.Equal(t, []string{"dir/blob"}, names(infos))
}

// TestListDeepTree lists a tree whose walk order differs from byte order at every level, page
// by page, and compares with the sorted names.
func TestListDeepTree(t *testing.T) {
	s, _ := newSpace(t)
	var want []string
	for _, a := range []string{"a", "a-", "a.", "a0", "b"} {
		for _, b := range []string{"x", "x.y", "x-"} {
			for _, c := range []string{"1", "1.0", "1-0"} {
				name := a + "/" + b + "/" + c
				require.NoError(t, s.Put(t.Context(), name, strings.NewReader(name), -1))
				want = append(want, name)
			}
		}
	}
	slices.Sort(want)
	for _, limit := range []int{1, 4, 7, len(want)} {
		t.Run(fmt.Sprintf("limit=%d", limit), func(t *testing.T) {
			var got []string
			for after := ""; ; {
				infos, next, err := s.List(t.Context(), "", after, limit)
				require.NoError(t, err)
				got = append(got, names(infos)...)
				if next == "" {
					break
				}
				after = next
			}
			require.Equal(t, want, got)
		})
	}
}

func names(infos []space.Info) []string {
	var got []string
	for _, info := range infos {
		got = append(got, info.Name)
	}
	return got
}
