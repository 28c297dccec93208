package memspace_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space"
	"github.com/jointcloud/jcs/engine/space/memspace"
	"github.com/jointcloud/jcs/engine/space/spacetest"
)

func TestFilesConformance(t *testing.T) {
	spacetest.RunFiles(t, func(t *testing.T) space.Files { return memspace.NewFiles() })
}

// TestFilesFileAndDirectory pins what the conformance suite leaves open: like a local
// directory, memspace refuses a path that would be both a file and a directory, and keeps what
// was there.
func TestFilesFileAndDirectory(t *testing.T) {
	v := memspace.NewFiles()
	for _, path := range []string{"a-b", "a/b/c", "file"} {
		require.NoError(t, v.WriteFile(t.Context(), path, strings.NewReader(path), -1))
	}
	for _, path := range []string{"a", "a/b", "file/below", "a/b/c/d"} {
		t.Run(path, func(t *testing.T) {
			err := v.WriteFile(t.Context(), path, strings.NewReader("x"), 1)
			require.Error(t, err)
			require.NotErrorIs(t, err, space.ErrUnsafePath)
		})
	}
	var got []string
	require.NoError(t, v.Walk(t.Context(), "", func(info space.FileInfo) error {
		got = append(got, info.Path)
		return nil
	}))
	require.Equal(t, []string{"a-b", "a/b/c", "file"}, got)
}
