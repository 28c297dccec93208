package engine

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

// getPath returns the object at path, failing the test if there is none.
func (te *testEngine) getPath(t *testing.T, pkg PackageID, path string) Object {
	t.Helper()
	o, err := te.GetObjectByPath(t.Context(), pkg, path)
	require.NoError(t, err, "%q", path)
	return o
}

func (te *testEngine) requireNoPath(t *testing.T, pkg PackageID, path string) {
	t.Helper()
	_, err := te.GetObjectByPath(t.Context(), pkg, path)
	requireKind(t, KindNotFound, err)
}

func TestMoveObjects(t *testing.T) {
	te := newTestEngine(t, withClock(stepClock()))
	ctx := t.Context()
	p := te.pkg(t)
	q, err := te.CreatePackage(ctx, p.BucketID, "q")
	require.NoError(t, err)
	content := randomBytes(1, 30_000)
	objs := te.upload(t, p.ID, "a", content, "b", []byte("bee"), "c", []byte("sea"))
	a, b, c := objs[0], objs[1], objs[2]

	moved, err := te.MoveObjects(ctx, []MoveInput{
		{ObjectID: a.ID, PackageID: q.ID, Path: "dir/a"}, // to another package
		{ObjectID: b.ID, PackageID: p.ID, Path: "c"},     // taken: skipped
		{ObjectID: c.ID, PackageID: p.ID, Path: "c"},     // onto itself
		{ObjectID: 9999, PackageID: p.ID, Path: "x"},     // no such object
		{ObjectID: b.ID, PackageID: 9999, Path: "x"},     // no such package
		{ObjectID: b.ID, PackageID: p.ID, Path: ""},      // invalid path
		{ObjectID: b.ID, PackageID: p.ID, Path: "b\x00"}, // invalid path
	})
	require.NoError(t, err)
	require.Equal(t, []ObjectID{a.ID, c.ID}, moved)

	got := te.getPath(t, q.ID, "dir/a")
	require.Equal(t, a.ID, got.ID)
	require.Equal(t, q.ID, got.PackageID)
	requireSameTime(t, a.CreateTime, got.CreateTime, "create time kept")
	require.True(t, got.UpdateTime.After(a.UpdateTime), "update time moved")
	require.Equal(t, a.Segments, got.Segments)
	te.requireNoPath(t, p.ID, "a")
	byID, err := te.GetObject(ctx, a.ID)
	require.NoError(t, err)
	require.Equal(t, "dir/a", byID.Path)
	require.Equal(t, content, te.read(t, a.ID))

	require.Equal(t, []byte("bee"), te.read(t, te.getPath(t, p.ID, "b").ID), "skipped move changed nothing")
	gotC := te.getPath(t, p.ID, "c")
	require.Equal(t, c.ID, gotC.ID, "nothing overwritten")
	requireSameTime(t, c.UpdateTime, gotC.UpdateTime, "a move onto itself changes nothing")
	require.Equal(t, []byte("sea"), te.read(t, c.ID))
	require.Equal(t, te.shardsFor(t, a, b, c), te.shardCount(t), "moves copy no data")

	moved, err = te.MoveObjects(ctx, nil)
	require.NoError(t, err)
	require.Empty(t, moved)
}

// TestMoveObjectsSequence: each move in a batch sees the ones before it, so a batch can
// chain moves and swap two paths through a third.
func TestMoveObjectsSequence(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	p := te.pkg(t)
	objs := te.upload(t, p.ID, "x", []byte("x"), "y", []byte("y"), "m", []byte("m"))
	x, y, m := objs[0], objs[1], objs[2]

	moved, err := te.MoveObjects(ctx, []MoveInput{
		{ObjectID: x.ID, PackageID: p.ID, Path: "tmp"},
		{ObjectID: y.ID, PackageID: p.ID, Path: "x"},
		{ObjectID: x.ID, PackageID: p.ID, Path: "y"},
		{ObjectID: m.ID, PackageID: p.ID, Path: "m1"},
		{ObjectID: m.ID, PackageID: p.ID, Path: "m2"},
	})
	require.NoError(t, err)
	require.Equal(t, []ObjectID{x.ID, y.ID, x.ID, m.ID, m.ID}, moved)
	require.Equal(t, []byte("y"), te.read(t, te.getPath(t, p.ID, "x").ID))
	require.Equal(t, []byte("x"), te.read(t, te.getPath(t, p.ID, "y").ID))
	require.Equal(t, m.ID, te.getPath(t, p.ID, "m2").ID)
	for _, gone := range []string{"tmp", "m", "m1"} {
		te.requireNoPath(t, p.ID, gone)
	}
	res, err := te.ListObjects(ctx, ListObjectsInput{PackageID: p.ID, IsPrefix: true})
	require.NoError(t, err)
	require.Equal(t, []string{"m2", "x", "y"}, paths(res.Objects))
}

// TestMoveUploadInProgress moves a multipart upload; its parts follow it.
func TestMoveUploadInProgress(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	p := te.pkg(t)
	mp, err := te.CreateMultipartUpload(ctx, p.ID, "up")
	require.NoError(t, err)
	part := randomBytes(1, 20_000)
	require.NoError(t, te.UploadPart(ctx, mp.ID, 1, bytes.NewReader(part), -1))
	moved, err := te.MoveObjects(ctx, []MoveInput{{ObjectID: mp.ID, PackageID: p.ID, Path: "moved"}})
	require.NoError(t, err)
	require.Equal(t, []ObjectID{mp.ID}, moved)
	up := te.getPath(t, p.ID, "moved")
	require.True(t, up.InProgress())
	o, err := te.CompleteMultipartUpload(ctx, mp.ID, []int{1})
	require.NoError(t, err)
	require.Equal(t, "moved", o.Path)
	require.Equal(t, part, te.read(t, mp.ID))
}

func TestDeleteObjects(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	p := te.pkg(t)
	objs := te.upload(t, p.ID, "a", randomBytes(1, 100), "b", randomBytes(2, 30_000), "c", []byte{}, "d", randomBytes(3, 500))
	mp, err := te.CreateMultipartUpload(ctx, p.ID, "up")
	require.NoError(t, err)
	require.NoError(t, te.UploadPart(ctx, mp.ID, 1, bytes.NewReader(randomBytes(4, 9000)), 9000))

	require.NoError(t, te.DeleteObjects(ctx, nil))
	require.NoError(t, te.DeleteObjects(ctx, []ObjectID{objs[0].ID, 123456, objs[1].ID, objs[0].ID, objs[2].ID, mp.ID}))
	for _, id := range []ObjectID{objs[0].ID, objs[1].ID, objs[2].ID, mp.ID} {
		_, err := te.GetObject(ctx, id)
		requireKind(t, KindNotFound, err)
	}
	for _, path := range []string{"a", "b", "c", "up"} {
		te.requireNoPath(t, p.ID, path)
	}
	require.Equal(t, randomBytes(3, 500), te.read(t, objs[3].ID), "the rest is untouched")

	te.collect(t)
	require.Equal(t, te.shardsFor(t, objs[3]), te.shardCount(t))
	_, _, parts := te.indexCounts(t)
	require.Zero(t, parts)

	require.NoError(t, te.DeleteObjects(ctx, []ObjectID{objs[3].ID}))
	te.collect(t)
	require.Zero(t, te.shardCount(t))
	requireNoBlobRecords(t, te)
}

func TestCloneObjects(t *testing.T) {
	te := newTestEngine(t, withClock(stepClock()))
	ctx := t.Context()
	p := te.pkg(t)
	q, err := te.CreatePackage(ctx, p.BucketID, "q")
	require.NoError(t, err)
	big, small := randomBytes(1, 40_000), randomBytes(2, 10)
	src := te.upload(t, p.ID, "big", big, "small", small, "empty", []byte{})
	mp, mpContent := te.multipartObject(t, p.ID, "mp", 5000, 17000)
	shards := te.shardCount(t)

	clones, err := te.CloneObjects(ctx, []CloneInput{
		{ObjectID: src[0].ID, PackageID: q.ID, Path: "big"},
		{ObjectID: src[0].ID, PackageID: p.ID, Path: "big2"},
		{ObjectID: src[1].ID, PackageID: q.ID, Path: "s"},
		{ObjectID: src[2].ID, PackageID: q.ID, Path: "e"},
		{ObjectID: mp.ID, PackageID: q.ID, Path: "mp"},
	})
	require.NoError(t, err)
	require.Len(t, clones, 5)
	require.Equal(t, shards, te.shardCount(t), "clones share data")
	for i, s := range []Object{src[0], src[0], src[1], src[2], mp} {
		c := clones[i]
		require.NotEqual(t, s.ID, c.ID)
		require.Equal(t, s.Size, c.Size)
		require.Equal(t, s.SHA256, c.SHA256)
		require.Equal(t, s.Redundancy, c.Redundancy)
		require.Equal(t, s.Segments, c.Segments)
		require.True(t, c.CreateTime.After(s.CreateTime), "a clone has new times")
		stored, err := te.GetObject(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, c.Path, stored.Path)
	}
	require.Equal(t, uint64(3), te.layouts(t, src[0].ID)[0].Refs)

	// Deleting the source keeps the clones readable, and the other way round.
	require.NoError(t, te.DeleteObjects(ctx, []ObjectID{src[0].ID, clones[2].ID, mp.ID}))
	te.collect(t)
	require.Equal(t, shards, te.shardCount(t), "every blob is still referenced")
	require.Equal(t, big, te.read(t, clones[0].ID))
	require.Equal(t, big, te.read(t, clones[1].ID))
	require.Equal(t, small, te.read(t, src[1].ID))
	require.Equal(t, mpContent, te.read(t, clones[4].ID))

	require.NoError(t, te.DeleteObjects(ctx, []ObjectID{clones[0].ID}))
	te.collect(t)
	require.Equal(t, big, te.read(t, clones[1].ID))
	require.NoError(t, te.DeleteObjects(ctx, []ObjectID{clones[1].ID, src[1].ID, clones[4].ID}))
	te.collect(t)
	require.Zero(t, te.shardCount(t))
	requireNoBlobRecords(t, te)
}

// TestCloneObjectsAllOrNothing runs clone batches that fail on their last item: nothing is
// created and no reference is taken.
func TestCloneObjectsAllOrNothing(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	p := te.pkg(t)
	src := te.upload(t, p.ID, "a", randomBytes(1, 30_000), "taken", []byte("t"))
	mp, err := te.CreateMultipartUpload(ctx, p.ID, "uploading")
	require.NoError(t, err)
	good := CloneInput{ObjectID: src[0].ID, PackageID: p.ID, Path: "new"}

	for _, tc := range []struct {
		name string
		bad  CloneInput
		want Kind
	}{
		{"target taken", CloneInput{ObjectID: src[0].ID, PackageID: p.ID, Path: "taken"}, KindAlreadyExists},
		{"target is the source", CloneInput{ObjectID: src[0].ID, PackageID: p.ID, Path: "a"}, KindAlreadyExists},
		{"target named twice", CloneInput{ObjectID: src[1].ID, PackageID: p.ID, Path: "new"}, KindAlreadyExists},
		{"missing source", CloneInput{ObjectID: 99999, PackageID: p.ID, Path: "x"}, KindNotFound},
		{"missing package", CloneInput{ObjectID: src[0].ID, PackageID: 99999, Path: "x"}, KindNotFound},
		{"empty path", CloneInput{ObjectID: src[0].ID, PackageID: p.ID, Path: ""}, KindInvalid},
		{"NUL path", CloneInput{ObjectID: src[0].ID, PackageID: p.ID, Path: "x\x00"}, KindInvalid},
		{"upload in progress", CloneInput{ObjectID: mp.ID, PackageID: p.ID, Path: "x"}, KindPrecondition},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := te.CloneObjects(ctx, []CloneInput{good, tc.bad})
			requireKind(t, tc.want, err)
			te.requireNoPath(t, p.ID, "new")
			te.requireNoPath(t, p.ID, "x")
			require.Equal(t, uint64(1), te.layouts(t, src[0].ID)[0].Refs, "no reference taken")
			res, err := te.ListObjects(ctx, ListObjectsInput{PackageID: p.ID, IsPrefix: true})
			require.NoError(t, err)
			require.Equal(t, []string{"a", "taken", "uploading"}, paths(res.Objects))
		})
	}
}
