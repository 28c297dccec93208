package e2e

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestLargeObject uploads 100 MiB streamed from a seeded generator through a pipe and
// multipart.Writer, and downloads it through SHA-256: neither side holds the object in memory.
func TestLargeObject(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir)
	c := s.client()
	pkg := c.newPackage(t, "large")

	big := object{path: "large/100MiB.bin", size: 100 << 20, seed: 501}
	up := c.upload(t, pkg, big) // checks size, fileHash and redundancy against what was sent

	resp, err := c.get(t.Context(), "/v1/object/download", url.Values{"objectID": {itoa(up[0].ObjectID)}}, nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, strconv.FormatInt(big.size, 10), resp.Header.Get("Content-Length"))
	h := sha256.New()
	n, err := io.Copy(h, resp.Body)
	require.NoError(t, err, "after %d bytes", n)
	require.Equal(t, big.size, n)
	require.Equal(t, big.fileHash(), fileHashOf([32]byte(h.Sum(nil))), "downloaded content differs")

	// Six shards, one in each space, with the indexes 0..5.
	st := scanSpaces(t, dir)
	require.Equal(t, totalShards, st.shards)
	seen := map[int]bool{}
	for sp, idx := range st.byIndex {
		require.Len(t, idx, 1, "space %s holds more than one shard of the object: %v", sp, idx)
		for i := range idx {
			seen[i] = true
		}
	}
	require.Len(t, seen, totalShards, "shard indexes by space: %v", st.byIndex)
}

// TestRangeReads reads windows of a 13 MiB erasure-coded object that straddle its 1 MiB chunk
// and 4 MiB stripe boundaries, with offset/length and with HTTP Range headers.
func TestRangeReads(t *testing.T) {
	s := startServer(t, t.TempDir())
	c := s.client()
	pkg := c.newPackage(t, "ranges")
	o := object{path: "ranges/13MiB.bin", size: 13<<20 + 12345, seed: 601}
	id := c.upload(t, pkg, o)[0].ObjectID
	const mib = 1 << 20

	windows := [][2]int64{ // offset, length
		{0, 1},
		{mib - 1, 2},                        // a chunk boundary
		{mib - 100, mib + 200},              // two chunk boundaries
		{stripeSize - 1, 2},                 // a stripe boundary
		{3*mib + 5, 2 * mib},                // a stripe boundary and the chunk after it
		{stripeSize, stripeSize},            // exactly the second stripe
		{2*stripeSize - 7, stripeSize + 14}, // two stripe boundaries
		{3*stripeSize - 1, o.size - 3*stripeSize + 1}, // into the last, partial stripe, to the end
		{o.size - 1, 1},
		{o.size, 0},
		{0, o.size},
	}
	rng := rand.New(rand.NewPCG(6, 1))
	for range 16 {
		off := rng.Int64N(o.size)
		windows = append(windows, [2]int64{off, rng.Int64N(min(o.size-off, 3*stripeSize)) + 1})
	}
	for _, w := range windows {
		q := url.Values{"objectID": {itoa(id)}, "offset": {itoa(w[0])}, "length": {itoa(w[1])}}
		got, _ := c.fetch(t, "/v1/object/download", q, nil, http.StatusOK)
		requireBytes(t, o.bytesAt(w[0], w[1]), got, "offset %d length %d", w[0], w[1])
	}
	q := url.Values{"packageID": {itoa(pkg)}, "path": {o.path}, "offset": {itoa(stripeSize - 10)}, "length": {itoa(mib)}}
	got, _ := c.fetch(t, "/v1/object/downloadByPath", q, nil, http.StatusOK)
	requireBytes(t, o.bytesAt(stripeSize-10, mib), got, "%s", "downloadByPath across a stripe boundary")

	ranges := []struct {
		header     string
		start, end int64 // inclusive
	}{
		{fmt.Sprintf("bytes=%d-%d", mib-1, mib), mib - 1, mib},
		{fmt.Sprintf("bytes=%d-%d", stripeSize-4, 2*stripeSize+4), stripeSize - 4, 2*stripeSize + 4},
		{fmt.Sprintf("bytes=%d-", 3*stripeSize-1), 3*stripeSize - 1, o.size - 1},
		{"bytes=-5000", o.size - 5000, o.size - 1},
		{fmt.Sprintf("bytes=%d-%d", 2*mib+1, o.size+mib), 2*mib + 1, o.size - 1}, // the end is clipped
	}
	for _, r := range ranges {
		got, hdr := c.fetch(t, "/v1/object/download", url.Values{"objectID": {itoa(id)}}, http.Header{"Range": {r.header}}, http.StatusPartialContent)
		require.Equal(t, fmt.Sprintf("bytes %d-%d/%d", r.start, r.end, o.size), hdr.Get("Content-Range"), r.header)
		requireBytes(t, o.bytesAt(r.start, r.end-r.start+1), got, "%s", r.header)
	}
	resp, err := c.get(t.Context(), "/v1/object/download", url.Values{"objectID": {itoa(id)}},
		http.Header{"Range": {fmt.Sprintf("bytes=%d-", o.size)}})
	require.NoError(t, err)
	rep, err := readReply(resp)
	require.NoError(t, err)
	requireError(t, rep, http.StatusRequestedRangeNotSatisfiable, "BadArgument")
	require.Equal(t, fmt.Sprintf("bytes */%d", o.size), rep.header.Get("Content-Range"))
}

// requireBytes compares byte slices without printing megabytes when they differ.
func requireBytes(t *testing.T, want, got []byte, format string, args ...any) {
	t.Helper()
	if bytes.Equal(want, got) {
		return
	}
	i := 0
	for i < len(want) && i < len(got) && want[i] == got[i] {
		i++
	}
	require.Failf(t, "bytes differ", "got %d bytes, want %d; first difference at byte %d. %s",
		len(got), len(want), i, fmt.Sprintf(format, args...))
}
