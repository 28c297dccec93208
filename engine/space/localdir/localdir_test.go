package localdir_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space"
	"github.com/jointcloud/jcs/engine/space/localdir"
	"github.com/jointcloud/jcs/engine/space/spacetest"
)

// filesOnly turns packing off: the tests that look at the files a Put leaves use it.
var filesOnly = localdir.Options{PackMax: -1}

// newSpace returns a Space that writes every blob as a file, over a fresh temporary
// directory, closed when the test ends.
func newSpace(t *testing.T) (*localdir.Space, string) {
	t.Helper()
	return openSpace(t, t.TempDir(), filesOnly)
}

// openSpace opens a Space over dir, closed when the test ends.
func openSpace(t *testing.T, dir string, opts localdir.Options) (*localdir.Space, string) {
	t.Helper()
	s, err := localdir.Open(dir, opts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s, dir
}

func TestConformance(t *testing.T) {
	modes := map[string]localdir.Options{
		"files": filesOnly,
		// The defaults pack every blob the suite writes but its largest.
		"packs": {},
		// Tiny packs: every few Puts start a new pack.
		"small-packs": {PackFileSize: 4096},
	}
	for mode, opts := range modes {
		t.Run(mode, func(t *testing.T) {
			spacetest.Run(t, func(t *testing.T) space.Space {
				s, _ := openSpace(t, t.TempDir(), opts)
				return s
			})
		})
	}
}
