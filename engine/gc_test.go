package engine

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space/faultspace"
)

func TestCollectGarbage(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	p := te.pkg(t)
	objs := te.upload(t, p.ID, "a", randomBytes(1, 100), "b", randomBytes(2, 30_000), "c", randomBytes(3, 20_000), "e", []byte{})
	require.Zero(t, te.collect(t).Blobs, "nothing released yet")

	require.NoError(t, te.DeleteObjects(ctx, []ObjectID{objs[0].ID, objs[1].ID, objs[3].ID}))
	blobs, queued, _ := te.indexCounts(t)
	require.Equal(t, []int{1, 2}, []int{blobs, queued}, "released blobs move to the queue")
	require.Equal(t, 3+6+6, te.shardCount(t), "nothing deleted before collection")

	before := te.Metrics().BlobsCollected
	st := te.collect(t)
	require.Equal(t, CollectStats{Blobs: 2}, st)
	require.Equal(t, int64(2), te.Metrics().BlobsCollected-before)
	require.Equal(t, te.shardsFor(t, objs[2]), te.shardCount(t))
	_, queued, _ = te.indexCounts(t)
	require.Zero(t, queued)
	require.Equal(t, CollectStats{}, te.collect(t), "a second pass has nothing to do")
	require.Equal(t, randomBytes(3, 20_000), te.read(t, objs[2].ID))
}

// TestCollectGarbageDeleteFails: a shard that cannot be deleted keeps its blob queued and the
// error reported, and the next pass finishes the job.
func TestCollectGarbageDeleteFails(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	p := te.pkg(t)
	o := te.upload1(t, p.ID, "x", randomBytes(1, 30_000))
	sp, name := te.shardSpace(t, o.ID, 2)
	require.NoError(t, te.DeleteObjects(ctx, []ObjectID{o.ID}))

	sp.Fail(faultspace.OpDelete, faultspace.Name(name), nil)
	before := te.Metrics().CollectErrors
	st, err := te.CollectGarbage(ctx, time.Time{})
	require.Error(t, err)
	require.Zero(t, st.Blobs)
	require.Equal(t, int64(1), te.Metrics().CollectErrors-before)
	_, queued, _ := te.indexCounts(t)
	require.Equal(t, 1, queued, "still queued")
	require.Equal(t, 1, te.shardCount(t), "only the shard that failed is left")

	// The sweep does not take the shard of a queued blob: the queue owns it.
	te.clearFaults()
	orphans, _ := te.sweep(ctx, time.Now().Add(time.Hour))
	require.Zero(t, orphans)
	require.Equal(t, 1, te.shardCount(t))

	require.Equal(t, 1, te.collect(t).Blobs)
	require.Zero(t, te.shardCount(t))
	requireNoBlobRecords(t, te)
}

// TestCollectAroundAnUnreachableSpace: with one space refusing every delete, collection still
// deletes every other shard at once, keeps queue records naming only the stuck shards, and
// pages past them to the blobs behind; when the space comes back, the next pass finishes.
func TestCollectAroundAnUnreachableSpace(t *testing.T) {
	defer func(n int) { collectBatch = n }(collectBatch)
	collectBatch = 3 // several pages
	te := newTestEngine(t)
	ctx := t.Context()
	p := te.pkg(t)
	var ids []ObjectID
	for i := range 10 {
		ids = append(ids, te.upload1(t, p.ID, fmt.Sprintf("o%d", i), randomBytes(uint64(i), 30_000)).ID)
	}
	require.NoError(t, te.DeleteObjects(ctx, ids))
	te.spaces[1].Fail(faultspace.OpDelete, nil, errors.New("space 1 unreachable"))

	st, err := te.CollectGarbage(ctx, time.Time{})
	require.Error(t, err)
	require.Zero(t, st.Blobs, "every erasure-coded blob has a shard on every space")
	require.Equal(t, 10, te.shardCount(t), "only the shards on the unreachable space are left")
	infos, _, err := te.mem[1].List(ctx, shardPrefix, "", 100)
	require.NoError(t, err)
	require.Len(t, infos, 10)
	_, queued, _ := te.indexCounts(t)
	require.Equal(t, 10, queued)

	te.clearFaults()
	st, err = te.CollectGarbage(ctx, time.Time{})
	require.NoError(t, err)
	require.Equal(t, 10, st.Blobs)
	require.Zero(t, te.shardCount(t))
	requireNoBlobRecords(t, te)
}

// putOrphan writes a file under a valid shard name that no record refers to, and returns the
// name.
func (te *testEngine) putOrphan(t *testing.T, sp SpaceID, id BlobID, index int) string {
	t.Helper()
	name := shardName(id, index)
	require.NoError(t, te.mem[sp].Put(t.Context(), name, strings.NewReader("orphan"), 6))
	return name
}

func (te *testEngine) exists(t *testing.T, sp SpaceID, name string) bool {
	t.Helper()
	_, err := te.mem[sp].Stat(t.Context(), name)
	return err == nil
}

// TestSweep plants orphaned shard files among referenced and queued ones, and files that are
// not shards, and checks that a sweep deletes exactly the orphans older than its cutoff.
func TestSweep(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	p := te.pkg(t)
	live := te.upload(t, p.ID, "rep", randomBytes(1, 100), "ec", randomBytes(2, 30_000))
	liveShards := te.shardCount(t)
	ec := te.layouts(t, live[1].ID)[0]

	var orphans []struct {
		sp   SpaceID
		name string
	}
	plant := func(sp SpaceID, id BlobID, index int) {
		orphans = append(orphans, struct {
			sp   SpaceID
			name string
		}{sp, te.putOrphan(t, sp, id, index)})
	}
	plant(1, BlobID{0xab, 1}, 0)
	plant(2, BlobID{0xab, 1}, 1)
	plant(6, BlobID{0x00}, 5)
	plant(3, BlobID{0xff, 0xff}, 255)
	// Files named for a live blob where its layout does not put them (a space that does not
	// hold that shard, an index past its shards) are strays too: the copies repair leaves
	// behind when it moves a shard. No two user spaces share storage, so they are surplus.
	plant(ec.Spaces[1], ec.ID, 0)
	plant(ec.Spaces[0], ec.ID, 7)

	// Not shard files: never touched.
	keep := []string{"blobs/ab/notashard", "blobs/ab/ab01.0", "other/" + BlobID{1}.String() + ".0", "blobs/cd/" + BlobID{0xab}.String() + ".0"}
	for _, name := range keep {
		require.NoError(t, te.mem[4].Put(ctx, name, strings.NewReader("x"), 1))
	}
	planted := te.shardCount(t)

	// Too recent for the cutoff: nothing goes.
	st, err := te.CollectGarbage(ctx, time.Now().Add(-time.Hour))
	require.NoError(t, err)
	require.Zero(t, st.Orphans)
	require.Equal(t, planted, te.shardCount(t))

	before := te.Metrics().OrphansCollected
	st, err = te.CollectGarbage(ctx, time.Now().Add(time.Hour))
	require.NoError(t, err)
	require.Equal(t, len(orphans), st.Orphans)
	require.Equal(t, int64(len(orphans)), te.Metrics().OrphansCollected-before)
	for _, o := range orphans {
		require.False(t, te.exists(t, o.sp, o.name), "%s on %d", o.name, o.sp)
	}
	require.Equal(t, planted-len(orphans), te.shardCount(t))
	for _, name := range keep {
		require.True(t, te.exists(t, 4, name), name)
	}
	require.Equal(t, liveShards+3, te.shardCount(t), "live shards and the non-shard files under blobs/")
	require.Equal(t, randomBytes(1, 100), te.read(t, live[0].ID))
	require.Equal(t, randomBytes(2, 30_000), te.read(t, live[1].ID))
	require.Zero(t, te.Metrics().DegradedReads, "no live shard was touched")
}

// TestSweepListFails: a space that cannot be listed is skipped; the others are swept.
func TestSweepListFails(t *testing.T) {
	te := newTestEngine(t)
	a := te.putOrphan(t, 1, BlobID{1}, 0)
	b := te.putOrphan(t, 2, BlobID{2}, 0)
	te.spaces[1].Fail(faultspace.OpList, nil, nil)
	st, err := te.CollectGarbage(t.Context(), time.Now().Add(time.Hour))
	require.NoError(t, err)
	require.Equal(t, 1, st.Orphans)
	require.True(t, te.exists(t, 1, a))
	require.False(t, te.exists(t, 2, b))
}

// blockingReader yields data, then signals reached and waits for release before yielding the
// rest, so that a test can act while an upload is in the middle of a file.
type blockingReader struct {
	data     []byte
	at       int
	reached  chan struct{}
	release  chan struct{}
	signaled bool
}

func (r *blockingReader) Read(p []byte) (int, error) {
	if r.at >= len(r.data) {
		return 0, io.EOF
	}
	if r.at >= len(r.data)/2 && !r.signaled {
		r.signaled = true
		close(r.reached)
		<-r.release
	}
	n := copy(p, r.data[r.at:])
	r.at += n
	return n, nil
}

// TestSweepLeavesStagedBlobs sweeps while an upload has written its first file and is still
// reading its second: the first file's shards are staged, not orphaned.
func TestSweepLeavesStagedBlobs(t *testing.T) {
	te := newTestEngine(t)
	p := te.pkg(t)
	first, second := randomBytes(1, 30_000), randomBytes(2, 50_000)
	br := &blockingReader{data: second, reached: make(chan struct{}), release: make(chan struct{})}
	var objs []Object
	var uploadErr error
	var wg sync.WaitGroup
	wg.Go(func() {
		objs, uploadErr = te.UploadObjects(t.Context(), UploadInput{PackageID: p.ID}, fileList(
			UploadFile{Path: "first", Body: bytes.NewReader(first), Size: -1},
			UploadFile{Path: "second", Body: br, Size: -1},
		))
	})
	<-br.reached
	require.Equal(t, 6, te.shardCount(t), "the first file is written")
	st, err := te.CollectGarbage(t.Context(), time.Now().Add(time.Hour))
	close(br.release)
	wg.Wait()
	require.NoError(t, err)
	require.Zero(t, st.Orphans)
	require.NoError(t, uploadErr)
	require.Equal(t, first, te.read(t, objs[0].ID))
	require.Equal(t, second, te.read(t, objs[1].ID))
}

// TestConcurrentCollection runs several collection passes at once: each released blob is
// collected, and counted, exactly once.
func TestConcurrentCollection(t *testing.T) {
	te := newTestEngine(t)
	p := te.pkg(t)
	const n = 200
	var pairs []any
	for i := range n {
		pairs = append(pairs, fmt.Sprint(i), randomBytes(uint64(i), 100))
	}
	var ids []ObjectID
	for _, o := range te.upload(t, p.ID, pairs...) {
		ids = append(ids, o.ID)
	}
	for i := range 3 {
		te.putOrphan(t, SpaceID(i+1), BlobID{byte(i)}, i)
	}
	require.NoError(t, te.DeleteObjects(t.Context(), ids))

	var mu sync.Mutex
	var total CollectStats
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			st, err := te.CollectGarbage(t.Context(), time.Now().Add(time.Hour))
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				total.Blobs += st.Blobs
				total.Orphans += st.Orphans
			}
		})
	}
	wg.Wait()
	require.Equal(t, CollectStats{Blobs: n, Orphans: 3}, total)
	m := te.Metrics()
	require.Equal(t, int64(n), m.BlobsCollected)
	require.Equal(t, int64(3), m.OrphansCollected)
	require.Zero(t, te.shardCount(t))
}
