package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestLostSpaces deletes user space directories while the server runs: with one and then two
// of the six gone (n-k = 2 losses), every object, replicated or erasure-coded, still reads
// back byte-identical, and /metrics counts the degraded reads. The data also survives a
// restart in that state.
func TestLostSpaces(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir)
	c := s.client()
	pkg := c.newPackage(t, "degraded")

	objs := []object{
		{path: "small/1", size: 1, seed: 701},
		{path: "small/2", size: 5000, seed: 702},
		{path: "small/3", size: smallObjectSize, seed: 703},
		{path: "ec/1", size: smallObjectSize + 1, seed: 704},
		{path: "ec/2", size: 5<<20 + 77, seed: 705},
		{path: "ec/3", size: 9 << 20, seed: 706},
		{path: "ec/4", size: 13<<20 + 3, seed: 707},
		{path: "empty", size: 0, seed: 708},
	}
	up := append(c.upload(t, pkg, objs[:4]...), c.upload(t, pkg, objs[4:]...)...)

	waitPlaced(t, s)
	st := scanSpaces(t, dir)
	require.Equal(t, shardsNeeded(up), st.shards)
	// A space holds a data shard if it holds index < k of an erasure-coded blob (6 shards) or
	// replica 0 of a replicated one: losing it makes some full read reconstruct. Only shards
	// in files of their own count: a pack the server already has open still reads after its
	// directory is deleted (and a probe then takes the space out), so losing packed shards
	// need not make the next read degraded.
	holdsData := func(space string) bool {
		for blob, spaces := range st.blobs {
			idx, ok := spaces[space]
			if ok && st.loose[blob] && (len(spaces) == totalShards && idx < dataShards || idx == 0) {
				return true
			}
		}
		return false
	}
	first := "space3"
	// The second space to lose is one that holds a data shard, so that the degraded read
	// counter must move; space5 if it does.
	spaces := []string{"space5", "space1", "space2", "space4", "space6"}
	i := slices.IndexFunc(spaces, holdsData)
	require.GreaterOrEqual(t, i, 0, "no space but space3 holds a data shard: %v", st.blobs)
	second := spaces[i]

	readAll := func(t *testing.T) {
		t.Helper()
		for i, o := range objs {
			c.requireContent(t, up[i].ObjectID, o)
			got, _ := c.fetch(t, "/v1/object/downloadByPath", url.Values{"packageID": {itoa(pkg)}, "path": {o.path}}, nil, http.StatusOK)
			requireBytes(t, o.bytesAt(0, o.size), got, "%s by path", o.path)
		}
		// Ranges across stripe boundaries, which decode only the stripes they touch.
		for _, i := range []int{5, 6} {
			o := objs[i]
			q := url.Values{"objectID": {itoa(up[i].ObjectID)}, "offset": {itoa(stripeSize - 3)}, "length": {itoa(stripeSize + 6)}}
			got, _ := c.fetch(t, "/v1/object/download", q, nil, http.StatusOK)
			requireBytes(t, o.bytesAt(stripeSize-3, stripeSize+6), got, "%s range", o.path)
		}
	}

	require.Zero(t, metric(t, s, "jcs_engine_degraded_reads_total"), "no read is degraded before a space is lost")
	require.NoError(t, os.RemoveAll(filepath.Join(dir, "spaces", first)))
	readAll(t)
	// Writes go on without the lost space: small objects need only three spaces, so each is
	// stored (a write that lands on the lost space is placed again elsewhere); an
	// erasure-coded one needs all six, so it is refused with 503 and a message that names the
	// space but no file of it.
	for i := range 8 {
		o := object{path: fmt.Sprintf("after-loss/%d", i), size: 1000 + int64(i), seed: uint64(800 + i)}
		got := c.upload(t, pkg, o)
		c.requireContent(t, got[0].ObjectID, o)
	}
	r, err := c.uploadCtx(t.Context(), pkg, filesOf(object{path: "after-loss/big", size: 2 << 20, seed: 900}))
	require.NoError(t, err)
	require.Equal(t, http.StatusServiceUnavailable, r.status, "upload: %s", r.body)
	require.Equal(t, "OperationFailed", r.env.Code)
	require.NotContains(t, r.env.Message, dir, "the 503 names no file of the server")
	degraded1 := metric(t, s, "jcs_engine_degraded_reads_total")
	if holdsData(first) {
		require.Positive(t, degraded1, "%s held a data shard, so some read was degraded", first)
	}

	require.NoError(t, os.RemoveAll(filepath.Join(dir, "spaces", second)))
	readAll(t)
	degraded2 := metric(t, s, "jcs_engine_degraded_reads_total")
	require.Greater(t, degraded2, degraded1, "%s held a data shard, so reads after losing it are degraded", second)
	require.Positive(t, metric(t, s, "jcs_engine_reconstructed_stripes_total"))

	// A restart with both spaces still gone serves the same bytes.
	s.stop()
	s = startServer(t, dir)
	c = s.client()
	readAll(t)
	require.Positive(t, metric(t, s, "jcs_engine_degraded_reads_total"))
}
