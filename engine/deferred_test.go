package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space"
	"github.com/jointcloud/jcs/engine/space/faultspace"
	"github.com/jointcloud/jcs/engine/space/localdir"
	"github.com/jointcloud/jcs/kv"
)

// deferredRecords counts the content records of deferred blobs in the index.
func (te *testEngine) deferredRecords(t *testing.T) int {
	t.Helper()
	return te.rawCount(t, kv.Key(kv.PrefixBlobData))
}

// place runs PlaceDeferred and returns how many blobs it placed.
func (te *testEngine) place(t *testing.T) int {
	t.Helper()
	n, err := te.PlaceDeferred(t.Context())
	require.NoError(t, err)
	return n
}

// cutShortPlacement writes the shards of the first deferred blob where its layout says,
// without marking it placed, and restarts the engine: a placement a crash cut short.
func (te *testEngine) cutShortPlacement(t *testing.T) {
	t.Helper()
	ctx := t.Context()
	batch, err := te.deferredPage(ctx, nil)
	require.NoError(t, err)
	require.NotEmpty(t, batch)
	d := batch[0]
	codec, err := te.codec(d.b.K, d.b.N-d.b.K, d.b.Chunk)
	require.NoError(t, err)
	spec := writeSpec{k: d.b.K, m: d.b.N - d.b.K, chunk: d.b.Chunk, size: d.b.Size, data: d.data}
	require.NoError(t, te.writeShards(ctx, codec, &d.b, bytes.NewReader(d.data), spec))
	te.blobs.unstage(d.b.ID)
	te.reopen(t)
}

// TestDeferredUpload: small uploads commit their content in the index and write no shard;
// they read back whole and in ranges, fsck accounts for them, and placing them writes their
// replicas where the index says, after which they read from the shards.
func TestDeferredUpload(t *testing.T) {
	te := newTestEngine(t, withDeferral())
	ctx := t.Context()
	p := te.pkg(t)
	b := te.bucket(t, "deferred")
	small := [][]byte{randomBytes(1, 1), randomBytes(2, 700), randomBytes(3, 1024)}
	objs := te.upload(t, p.ID, "a", small[0], "b", small[1], "c", small[2])
	viaS3 := randomBytes(17, 700)
	s3obj := te.put(t, b.ID, "pkg/d", viaS3)
	large := te.upload1(t, p.ID, "large", randomBytes(4, 1025))

	require.Equal(t, te.shardsFor(t, large), te.shardCount(t), "only the large object has shards")
	m := te.Metrics()
	require.EqualValues(t, 4, m.DeferredBlobs)
	require.EqualValues(t, 1+700+1024+700, m.DeferredBytes)
	require.Equal(t, 4, te.deferredRecords(t))
	for i, o := range objs {
		require.Equal(t, RedundancyRep, o.Redundancy.Type)
		require.True(t, te.layouts(t, o.ID)[0].Deferred)
		require.Equal(t, small[i], te.read(t, o.ID))
	}
	require.Equal(t, viaS3, te.readKey(t, b.ID, "pkg/d"))
	r, err := te.OpenObject(ctx, objs[1].ID)
	require.NoError(t, err)
	var buf bytes.Buffer
	_, err = r.WriteRange(&buf, 100, 300)
	require.NoError(t, err)
	require.NoError(t, r.Close())
	require.Equal(t, small[1][100:400], buf.Bytes())

	rep := te.fsck(t, true)
	require.True(t, rep.Clean(), "%+v", rep)
	require.EqualValues(t, 4, rep.Deferred)
	require.EqualValues(t, 5, rep.Blobs)
	// Repair and scrub find nothing to do: a deferred blob has no shards yet.
	rr, err := te.Repair(ctx)
	require.NoError(t, err)
	require.Zero(t, rr.ShardsRebuilt+rr.Unrepairable+rr.Waiting, "%+v", rr)
	sr, err := te.Scrub(ctx, 0)
	require.NoError(t, err)
	require.Zero(t, sr.MissingShards+sr.CorruptShards+sr.ShardsRebuilt, "%+v", sr)
	require.Equal(t, te.shardsFor(t, large), te.shardCount(t))
	for _, o := range objs {
		require.True(t, te.layouts(t, o.ID)[0].Deferred)
	}

	require.Equal(t, 4, te.place(t))
	require.Equal(t, 0, te.deferredRecords(t))
	require.Equal(t, te.shardsFor(t, append(objs, s3obj, large)...), te.shardCount(t))
	m = te.Metrics()
	require.Zero(t, m.DeferredBlobs)
	require.Zero(t, m.DeferredBytes)
	require.EqualValues(t, 4, m.BlobsPlaced)
	for i, o := range objs {
		ls := te.layouts(t, o.ID)
		require.False(t, ls[0].Deferred)
		for j, id := range ls[0].Spaces {
			_, err := te.mem[id].Stat(ctx, shardName(ls[0].ID, j))
			require.NoError(t, err, "replica %d of %q is where the layout says", j, o.Path)
		}
		require.Equal(t, small[i], te.read(t, o.ID))
	}
	rep = te.fsck(t, true)
	require.True(t, rep.Clean(), "%+v", rep)
	require.Zero(t, rep.Deferred)
	require.Zero(t, te.place(t), "nothing left to place")
}

// TestDeferredSurvivesRestart: deferred content is as durable as the index; a restart counts
// it again and the placer places it.
func TestDeferredSurvivesRestart(t *testing.T) {
	te := newTestEngine(t, withDeferral())
	p := te.pkg(t)
	content := randomBytes(5, 800)
	o := te.upload1(t, p.ID, "x", content)
	te.reopen(t)
	require.EqualValues(t, 1, te.Metrics().DeferredBlobs)
	require.EqualValues(t, 800, te.Metrics().DeferredBytes)
	require.Equal(t, content, te.read(t, o.ID))
	require.Equal(t, 1, te.place(t))
	te.reopen(t)
	require.Zero(t, te.Metrics().DeferredBlobs)
	require.Equal(t, content, te.read(t, o.ID))
	require.Equal(t, 3, te.shardCount(t))
}

// TestDeferredPlacerRuns: with the background loops running, as in production, an upload is
// placed without being asked.
func TestDeferredPlacerRuns(t *testing.T) {
	te := newTestEngine(t, withDeferral(), withBackgroundGC())
	p := te.pkg(t)
	content := randomBytes(6, 900)
	o := te.upload1(t, p.ID, "x", content)
	require.Eventually(t, func() bool { return te.Metrics().BlobsPlaced == 1 }, 10*time.Second, 10*time.Millisecond)
	require.Equal(t, 3, te.shardCount(t))
	require.False(t, te.layouts(t, o.ID)[0].Deferred)
	require.Equal(t, content, te.read(t, o.ID))
}

// TestDeferredDeleteBeforePlacement: deleting a deferred object releases its blob; collection
// deletes the content record, and there is nothing left to place or to collect.
func TestDeferredDeleteBeforePlacement(t *testing.T) {
	te := newTestEngine(t, withDeferral())
	p := te.pkg(t)
	objs := te.upload(t, p.ID, "a", randomBytes(7, 500), "b", randomBytes(8, 600))
	require.NoError(t, te.DeleteObjects(t.Context(), []ObjectID{objs[0].ID}))
	st := te.collect(t)
	require.Equal(t, 1, st.Blobs)
	require.Equal(t, 1, te.deferredRecords(t))
	require.EqualValues(t, 1, te.Metrics().DeferredBlobs)
	require.EqualValues(t, 600, te.Metrics().DeferredBytes)
	require.Equal(t, 1, te.place(t))
	require.Equal(t, 3, te.shardCount(t))
	require.NoError(t, te.DeleteObjects(t.Context(), []ObjectID{objs[1].ID}))
	te.collect(t)
	require.Zero(t, te.shardCount(t))
	requireNoBlobRecords(t, te)
	require.Zero(t, te.deferredRecords(t))
	require.True(t, te.fsck(t, true).Clean())
}

// TestDeferredDedup: identical small content shares one deferred blob; placing it places it
// once, and the last reference to go takes it.
func TestDeferredDedup(t *testing.T) {
	te := newTestEngine(t, withDeferral())
	p := te.pkg(t)
	content := randomBytes(9, 1000)
	objs := te.upload(t, p.ID, "a", content, "b", content)
	c := te.upload1(t, p.ID, "c", content)
	require.Equal(t, te.layouts(t, objs[0].ID)[0].ID, te.layouts(t, c.ID)[0].ID)
	require.Equal(t, 1, te.deferredRecords(t))
	require.EqualValues(t, 1, te.Metrics().DeferredBlobs, "the copies that lost to the first are not counted")
	require.Equal(t, 1, te.place(t))
	require.Equal(t, 3, te.shardCount(t))
	require.NoError(t, te.DeleteObjects(t.Context(), []ObjectID{objs[0].ID, objs[1].ID}))
	te.collect(t)
	require.Equal(t, content, te.read(t, c.ID))
	require.True(t, te.fsck(t, true).Clean())
}

// TestDeferredReaderAcrossPlacement: a reader opened while the blob was deferred still reads
// it after the placer moved it to other spaces than chosen at upload, and after its object
// was deleted too.
func TestDeferredReaderAcrossPlacement(t *testing.T) {
	te := newTestEngine(t, withDeferral())
	p := te.pkg(t)
	content := randomBytes(10, 1000)
	o := te.upload1(t, p.ID, "x", content)
	r, err := te.OpenObject(t.Context(), o.ID)
	require.NoError(t, err)
	chosen := te.layouts(t, o.ID)[0].Spaces
	for _, id := range chosen {
		te.spaces[id].Fail(faultspace.OpPut, nil, errors.New("full"))
	}
	_, err = te.PlaceDeferred(t.Context())
	require.Error(t, err)
	for _, id := range chosen {
		te.spaces[id].Clear() // the engine still keeps them out of placement for a while
	}
	require.Equal(t, 1, te.place(t))
	for _, id := range te.layouts(t, o.ID)[0].Spaces {
		require.NotContains(t, chosen, id)
	}
	require.NoError(t, te.DeleteObjects(t.Context(), []ObjectID{o.ID}))
	st := te.collect(t)
	require.Zero(t, st.Blobs, "the reader pins the blob")
	got, err := io.ReadAll(r)
	require.NoError(t, err)
	require.Equal(t, content, got)
	require.NoError(t, r.Close())
	require.Equal(t, 1, te.collect(t).Blobs)
	require.Zero(t, te.shardCount(t))
}

// TestDeferredReaderPinsContent: a reader of a deferred blob whose object is deleted keeps
// the content record until it closes.
func TestDeferredReaderPinsContent(t *testing.T) {
	te := newTestEngine(t, withDeferral())
	p := te.pkg(t)
	content := randomBytes(11, 1000)
	o := te.upload1(t, p.ID, "x", content)
	r, err := te.OpenObject(t.Context(), o.ID)
	require.NoError(t, err)
	require.NoError(t, te.DeleteObjects(t.Context(), []ObjectID{o.ID}))
	require.Zero(t, te.collect(t).Blobs)
	require.Zero(t, te.place(t), "a released blob is not placed")
	got, err := io.ReadAll(r)
	require.NoError(t, err)
	require.Equal(t, content, got)
	require.NoError(t, r.Close())
	require.Equal(t, 1, te.collect(t).Blobs)
	require.Zero(t, te.deferredRecords(t))
	require.Zero(t, te.Metrics().DeferredBlobs)
}

// TestDeferredReleasedDuringPlacement: a blob released after the placer read it is not
// marked placed; the placer deletes the shards it wrote, and collection the content.
func TestDeferredReleasedDuringPlacement(t *testing.T) {
	te := newTestEngine(t, withDeferral())
	ctx := t.Context()
	p := te.pkg(t)
	o := te.upload1(t, p.ID, "x", randomBytes(12, 1000))
	batch, err := te.deferredPage(ctx, nil)
	require.NoError(t, err)
	require.Len(t, batch, 1)
	require.NoError(t, te.DeleteObjects(ctx, []ObjectID{o.ID}))
	n, err := te.placeBlobs(ctx, batch)
	require.NoError(t, err)
	require.Zero(t, n)
	require.Zero(t, te.shardCount(t))
	require.Equal(t, 1, te.collect(t).Blobs)
	requireNoBlobRecords(t, te)
	require.Zero(t, te.deferredRecords(t))
	require.True(t, te.fsck(t, true).Clean())
}

// TestDeferredPlacementCutShort: shards a crashed placement wrote are where the layout says,
// so the next placement writes over them and nothing is left over.
func TestDeferredPlacementCutShort(t *testing.T) {
	te := newTestEngine(t, withDeferral())
	ctx := t.Context()
	p := te.pkg(t)
	content := randomBytes(13, 1000)
	o := te.upload1(t, p.ID, "x", content)
	te.cutShortPlacement(t) // shards written, blob still deferred
	rep := te.fsck(t, true)
	require.True(t, rep.Clean(), "the placer's shards are not orphans: %+v", rep)
	st, err := te.CollectGarbage(ctx, time.Now().Add(time.Hour))
	require.NoError(t, err)
	require.Zero(t, st.Orphans, "nor does the sweep take them")
	require.Equal(t, 1, te.place(t))
	require.Equal(t, 3, te.shardCount(t))
	require.Equal(t, content, te.read(t, o.ID))
	require.True(t, te.fsck(t, true).Clean())
}

// TestDeferredPlacementAvoidsFailingSpaces: a space chosen at upload that fails when the
// placer comes is replaced; with too few spaces the blob stays deferred, readable, and is
// placed once they are back. An upload with too few usable spaces fails at once, deferred or
// not.
func TestDeferredPlacementAvoidsFailingSpaces(t *testing.T) {
	te := newTestEngine(t, withDeferral(), withSpaces(4))
	ctx := t.Context()
	p := te.pkg(t)
	content := randomBytes(14, 1000)
	o := te.upload1(t, p.ID, "x", content)
	first := te.layouts(t, o.ID)[0]
	boom := errors.New("disk on fire")
	te.spaces[first.Spaces[0]].Fail(faultspace.OpPut, nil, boom)
	_, err := te.PlaceDeferred(ctx)
	require.ErrorIs(t, err, boom)
	require.True(t, te.layouts(t, o.ID)[0].Deferred, "a failed placement leaves the blob deferred")
	require.Equal(t, content, te.read(t, o.ID))
	// The failed space now cools down: the next placement goes around it.
	require.Equal(t, 1, te.place(t))
	placed := te.layouts(t, o.ID)[0]
	require.NotContains(t, placed.Spaces, first.Spaces[0])
	require.Equal(t, content, te.read(t, o.ID))
	rep := te.fsck(t, true)
	require.True(t, rep.Clean(), "%+v", rep)

	for _, sp := range te.spaces {
		sp.Fail(faultspace.OpPut, nil, boom)
	}
	te.upload1(t, p.ID, "y", randomBytes(15, 10)) // placement was chosen from spaces not yet known to fail
	_, err = te.PlaceDeferred(ctx)
	require.Error(t, err)
	_, err = te.UploadObjects(ctx, UploadInput{PackageID: p.ID}, files("z", randomBytes(16, 10)))
	requireKind(t, KindUnavailable, err)
	te.clearFaults()
	require.Equal(t, 1, te.place(t))
}

// TestDeferLimit: past DeferLimit bytes waiting, uploads write their shards first.
func TestDeferLimit(t *testing.T) {
	te := newTestEngine(t, withDeferral(), withOptions(func(o *Options) { o.DeferLimit = 2000 }))
	p := te.pkg(t)
	var objs []Object
	for i := range 3 {
		objs = append(objs, te.upload1(t, p.ID, fmt.Sprint(i), randomBytes(uint64(20+i), 1000)))
	}
	require.True(t, te.layouts(t, objs[0].ID)[0].Deferred)
	require.True(t, te.layouts(t, objs[1].ID)[0].Deferred)
	require.False(t, te.layouts(t, objs[2].ID)[0].Deferred)
	require.Equal(t, 3, te.shardCount(t))
	require.Equal(t, 2, te.place(t))
	require.True(t, te.upload1(t, p.ID, "after", randomBytes(30, 1000)).Redundancy.Type == RedundancyRep)
	require.Equal(t, 1, te.deferredRecords(t), "room again once placed")
}

// TestBlobDataRecord: the content record carries a checksum that catches a flipped bit.
func TestBlobDataRecord(t *testing.T) {
	data := randomBytes(40, 300)
	v := encodeBlobData(data)
	got, err := decodeBlobData(v)
	require.NoError(t, err)
	require.Equal(t, data, got)
	v[100] ^= 1
	_, err = decodeBlobData(v)
	require.Error(t, err)
	_, err = decodeBlobData(v[:3])
	require.Error(t, err)
}

// TestDeferredReleasedAfterPlacementCutShort: shards a crashed placement wrote for a blob
// released since go with the blob when it is collected.
func TestDeferredReleasedAfterPlacementCutShort(t *testing.T) {
	te := newTestEngine(t, withDeferral())
	ctx := t.Context()
	p := te.pkg(t)
	o := te.upload1(t, p.ID, "x", randomBytes(18, 1000))
	te.cutShortPlacement(t)
	require.NoError(t, te.DeleteObjects(ctx, []ObjectID{o.ID}))
	require.Equal(t, 1, te.collect(t).Blobs)
	require.Zero(t, te.shardCount(t))
	requireNoBlobRecords(t, te)
	require.Zero(t, te.deferredRecords(t))
	for _, s := range te.Metrics().Spaces {
		require.Zero(t, s.UsedBytes, "space %d: shards never accounted are not subtracted", s.ID)
	}
}

// TestDeferredPlacementOnLocalSpaces: on Local spaces the placer writes each space's shards
// of a batch with one PutBatch; every object reads back, space usage counts the shards, fsck
// --verify is clean, and so is everything after a restart.
func TestDeferredPlacementOnLocalSpaces(t *testing.T) {
	base := t.TempDir()
	te := newTestEngine(t, withDeferral(), withOptions(func(o *Options) {
		o.OpenSpace = func(_ context.Context, us UserSpace) (space.Space, error) {
			dir := filepath.Join(base, us.Name)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, err
			}
			return localdir.Open(dir, localdir.Options{})
		}
	}))
	p := te.pkg(t)
	var pairs []any
	for i := range 60 {
		pairs = append(pairs, fmt.Sprintf("f%02d", i), randomBytes(uint64(50+i), 1+i*17))
	}
	objs := te.upload(t, p.ID, pairs...)
	require.Equal(t, 60, te.place(t))
	var used, shards int64
	for _, s := range te.Metrics().Spaces {
		used += s.UsedBytes
		shards += s.Shards
	}
	require.EqualValues(t, 180, shards)
	var want int64
	for _, o := range objs {
		size, err := te.shardFileSize(&te.layouts(t, o.ID)[0])
		require.NoError(t, err)
		want += 3 * size
	}
	require.Equal(t, want, used)
	check := func() {
		for i, o := range objs {
			require.Equal(t, pairs[2*i+1], te.read(t, o.ID))
			require.False(t, te.layouts(t, o.ID)[0].Deferred)
		}
		rep := te.fsck(t, true)
		require.True(t, rep.Clean(), "%+v", rep)
		require.EqualValues(t, 180, rep.Shards)
	}
	check()
	te.reopen(t)
	check()
}
