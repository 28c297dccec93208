package localdir_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space"
	"github.com/jointcloud/jcs/engine/space/localdir"
	"github.com/jointcloud/jcs/engine/space/spacetest"
)

// newSpace returns a Space over a fresh temporary directory, closed when the test ends.
func newSpace(t *testing.T) (*localdir.Space, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := localdir.New(dir)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s, dir
}

func TestConformance(t *testing.T) {
	spacetest.Run(t, func(t *testing.T) space.Space {
		s, _ := newSpace(t)
		return s
	})
}
