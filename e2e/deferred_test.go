package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestDeferredSurvivesKill: small objects are acknowledged once their content is committed
// in the index, and written to the user spaces just after, by the placer. A server killed
// with SIGKILL right after acknowledging them (the placer lets 100 ms of uploads gather
// first) serves every one byte for byte after a restart, writes their replicas to the
// spaces, and then passes fsck --verify.
func TestDeferredSurvivesKill(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startServer(t, dir)
	c := s.client()
	pkg := c.newPackage(t, "deferred")
	var objs []object
	for i := range 40 {
		objs = append(objs, object{path: fmt.Sprintf("d/%02d", i), size: int64(1 + i*800), seed: uint64(9100 + i)})
	}
	up := c.upload(t, pkg, objs...)
	waiting := metric(t, s, "jcs_engine_deferred_blobs")
	s.kill()
	t.Logf("%v of %d objects were not yet placed at the kill", waiting, len(objs))

	s = startServer(t, dir)
	c = s.client()
	for i, o := range objs {
		c.requireContent(t, up[i].ObjectID, o)
	}
	waitPlaced(t, s)
	waitDisk(t, dir, shardsNeeded(up), 30*time.Second)
	rep, out, err := runFsck(t, s, true)
	require.NoError(t, err, out)
	require.True(t, *rep.Clean, out)
}
