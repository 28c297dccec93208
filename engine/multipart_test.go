package engine

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space/faultspace"
)

func TestCreateMultipartUpload(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	p := te.pkg(t)
	mp, err := te.CreateMultipartUpload(ctx, p.ID, "dir/up")
	require.NoError(t, err)
	require.NotZero(t, mp.ID)
	require.True(t, mp.InProgress())
	require.Equal(t, Redundancy{Type: RedundancyMultipart}, mp.Redundancy)
	require.Zero(t, mp.Size)
	require.Zero(t, mp.SHA256)
	require.Empty(t, mp.Segments)
	got, err := te.GetObject(ctx, mp.ID)
	require.NoError(t, err)
	require.Equal(t, "dir/up", got.Path)
	require.True(t, got.InProgress())

	_, err = te.CreateMultipartUpload(ctx, p.ID+100, "x")
	requireKind(t, KindNotFound, err)
	_, err = te.CreateMultipartUpload(ctx, p.ID, "")
	requireKind(t, KindInvalid, err)
	_, err = te.CreateMultipartUpload(ctx, p.ID, "a\x00")
	requireKind(t, KindInvalid, err)
}

// TestCreateMultipartUploadResets starts an upload where an object or another upload is: the
// upload keeps the ID and create time, and the old content or parts are released.
func TestCreateMultipartUploadResets(t *testing.T) {
	te := newTestEngine(t, withClock(stepClock()))
	ctx := t.Context()
	p := te.pkg(t)
	old := te.upload1(t, p.ID, "x", randomBytes(1, 30_000))
	mp, err := te.CreateMultipartUpload(ctx, p.ID, "x")
	require.NoError(t, err)
	require.Equal(t, old.ID, mp.ID)
	requireSameTime(t, old.CreateTime, mp.CreateTime, "create time kept")
	require.True(t, mp.InProgress())
	te.collect(t)
	require.Zero(t, te.shardCount(t), "old content released")
	_, err = te.OpenObject(ctx, old.ID)
	requireKind(t, KindPrecondition, err)

	require.NoError(t, te.UploadPart(ctx, mp.ID, 1, bytes.NewReader(randomBytes(2, 100)), 100))
	require.NoError(t, te.UploadPart(ctx, mp.ID, 2, bytes.NewReader(randomBytes(3, 100)), 100))
	again, err := te.CreateMultipartUpload(ctx, p.ID, "x")
	require.NoError(t, err)
	require.Equal(t, old.ID, again.ID)
	te.collect(t)
	require.Zero(t, te.shardCount(t), "parts of the earlier upload released")
	requireNoBlobRecords(t, te)
	_, err = te.CompleteMultipartUpload(ctx, again.ID, []int{1})
	requireKind(t, KindInvalid, err)
}

func TestUploadPartErrors(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	p := te.pkg(t)
	plain := te.upload1(t, p.ID, "plain", []byte("x"))
	mp, err := te.CreateMultipartUpload(ctx, p.ID, "up")
	require.NoError(t, err)
	shards := te.shardCount(t)
	body := func() *bytes.Reader { return bytes.NewReader(randomBytes(1, 20_000)) }

	for _, tc := range []struct {
		name   string
		obj    ObjectID
		index  int
		body   func() *bytes.Reader
		size   int64
		faults func()
		want   Kind
	}{
		{name: "missing object", obj: 98765, index: 1, want: KindNotFound},
		{name: "not an upload", obj: plain.ID, index: 1, want: KindPrecondition},
		{name: "negative index", obj: mp.ID, index: -1, want: KindInvalid},
		{name: "index too large", obj: mp.ID, index: MaxPartIndex + 1, want: KindInvalid},
		{name: "size mismatch", obj: mp.ID, index: 1, size: 10_000, want: KindInvalid},
		{name: "put fails", obj: mp.ID, index: 1, faults: func() { te.spaces[3].Fail(faultspace.OpPut, nil, nil) }, want: KindUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.faults != nil {
				tc.faults()
				defer te.clearFaults()
			}
			size := tc.size
			if size == 0 {
				size = -1
			}
			err := te.UploadPart(ctx, tc.obj, tc.index, body(), size)
			requireKind(t, tc.want, err)
			require.Equal(t, shards, te.shardCount(t), "no shard left behind")
			require.Empty(t, te.blobs.staged)
			_, _, parts := te.indexCounts(t)
			require.Zero(t, parts)
		})
	}
	err = te.UploadPart(ctx, mp.ID, 1, &failingReader{data: randomBytes(1, 5000), err: errBody}, -1)
	requireKind(t, KindInvalid, err)
	require.Equal(t, shards, te.shardCount(t))
}

// TestMultipartComplete completes an upload with its parts listed out of order, one twice
// and one left out, and checks the content, size and hash, and that the unlisted part's data
// is collected.
func TestMultipartComplete(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	p := te.pkg(t)
	mp, err := te.CreateMultipartUpload(ctx, p.ID, "up")
	require.NoError(t, err)
	parts := map[int][]byte{
		0:            randomBytes(10, 16384),
		7:            randomBytes(11, 1),
		3:            randomBytes(12, 20_000),
		MaxPartIndex: randomBytes(13, 777),
		5:            {},
		9:            randomBytes(14, 30_000), // left out
	}
	for _, i := range []int{9, 3, MaxPartIndex, 0, 7, 5} {
		size := int64(len(parts[i]))
		if i%2 == 1 {
			size = -1
		}
		require.NoError(t, te.UploadPart(ctx, mp.ID, i, bytes.NewReader(parts[i]), size))
	}
	// Replacing a part drops the old one.
	require.NoError(t, te.UploadPart(ctx, mp.ID, 3, bytes.NewReader([]byte("discarded")), -1))
	require.NoError(t, te.UploadPart(ctx, mp.ID, 3, bytes.NewReader(parts[3]), -1))
	te.collect(t)
	require.Equal(t, 6*6, te.shardCount(t), "the replaced part is collected")

	order := []int{3, 0, 7, 3, MaxPartIndex, 5, 0}
	var want []byte
	for _, i := range order {
		want = append(want, parts[i]...)
	}
	o, err := te.CompleteMultipartUpload(ctx, mp.ID, order)
	require.NoError(t, err)
	require.Equal(t, mp.ID, o.ID)
	require.False(t, o.InProgress())
	require.Equal(t, int64(len(want)), o.Size)
	require.Equal(t, sha256.Sum256(want), o.SHA256)
	require.Equal(t, RedundancyEC, o.Redundancy.Type)
	require.Len(t, o.Segments, len(order))
	require.Equal(t, want, te.read(t, o.ID))
	stored, err := te.GetObject(ctx, o.ID)
	require.NoError(t, err)
	require.Equal(t, o.SHA256, stored.SHA256)
	require.Equal(t, o.Segments, stored.Segments)

	te.collect(t)
	require.Equal(t, 5*6, te.shardCount(t), "the unlisted part is collected")
	require.Equal(t, te.shardsFor(t, o), te.shardCount(t))
	_, _, partRecords := te.indexCounts(t)
	require.Zero(t, partRecords)
	require.Equal(t, uint64(2), te.layouts(t, o.ID)[0].Refs, "part 3 is listed twice")

	_, err = te.CompleteMultipartUpload(ctx, mp.ID, []int{3})
	requireKind(t, KindPrecondition, err)
	require.NoError(t, te.DeleteObjects(ctx, []ObjectID{o.ID}))
	te.collect(t)
	require.Zero(t, te.shardCount(t))
	requireNoBlobRecords(t, te)
}

func TestMultipartCompleteErrors(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	p := te.pkg(t)
	plain := te.upload1(t, p.ID, "plain", []byte("x"))
	mp, err := te.CreateMultipartUpload(ctx, p.ID, "up")
	require.NoError(t, err)
	part := randomBytes(1, 5000)
	require.NoError(t, te.UploadPart(ctx, mp.ID, 1, bytes.NewReader(part), -1))

	for _, tc := range []struct {
		name    string
		obj     ObjectID
		indexes []int
		want    Kind
	}{
		{"no parts listed", mp.ID, nil, KindInvalid},
		{"empty list", mp.ID, []int{}, KindInvalid},
		{"unknown index", mp.ID, []int{1, 2}, KindInvalid},
		{"negative index", mp.ID, []int{-1}, KindInvalid},
		{"index too large", mp.ID, []int{MaxPartIndex + 1}, KindInvalid},
		{"not an upload", plain.ID, []int{1}, KindPrecondition},
		{"missing object", 4242, []int{1}, KindNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := te.CompleteMultipartUpload(ctx, tc.obj, tc.indexes)
			requireKind(t, tc.want, err)
			got, err := te.GetObject(ctx, mp.ID)
			require.NoError(t, err)
			require.True(t, got.InProgress(), "still in progress")
		})
	}
	require.Empty(t, te.blobs.pinned)
	o, err := te.CompleteMultipartUpload(ctx, mp.ID, []int{1})
	require.NoError(t, err, "the upload is intact after failed completions")
	require.Equal(t, part, te.read(t, o.ID))
}

// TestMultipartSurvivesRestart uploads parts, restarts the engine over the same index and
// spaces, sweeps everything unreferenced, and completes the upload with the new engine.
func TestMultipartSurvivesRestart(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	p := te.pkg(t)
	mp, err := te.CreateMultipartUpload(ctx, p.ID, "up")
	require.NoError(t, err)
	p1, p2, p3 := randomBytes(1, 20_000), randomBytes(2, 100), randomBytes(3, 40_000)
	require.NoError(t, te.UploadPart(ctx, mp.ID, 1, bytes.NewReader(p1), -1))
	require.NoError(t, te.UploadPart(ctx, mp.ID, 2, bytes.NewReader(p2), -1))

	te.reopen(t)
	st, err := te.CollectGarbage(ctx, time.Now().Add(time.Hour))
	require.NoError(t, err)
	require.Zero(t, st.Orphans, "parts are not orphans")
	require.Equal(t, 12, te.shardCount(t))

	require.NoError(t, te.UploadPart(ctx, mp.ID, 3, bytes.NewReader(p3), -1))
	te.reopen(t)
	o, err := te.CompleteMultipartUpload(ctx, mp.ID, []int{1, 2, 3})
	require.NoError(t, err)
	want := append(append(append([]byte{}, p1...), p2...), p3...)
	require.Equal(t, sha256.Sum256(want), o.SHA256)
	require.Equal(t, want, te.read(t, o.ID))

	// New IDs after a restart do not collide with old ones.
	other := te.upload1(t, p.ID, "other", []byte("o"))
	require.NotEqual(t, mp.ID, other.ID)
	require.Equal(t, want, te.read(t, mp.ID))
}

// TestCreateMultipartUploadRetryTakesFreshID races CreateMultipartUpload on a path against a
// move of the object there. When the create's transaction is rerun after the move committed,
// it must not reuse the moved object's ID: two objects would share it, and deleting one by ID
// would orphan the other. (Found by review; failed within a few hundred iterations.)
func TestCreateMultipartUploadRetryTakesFreshID(t *testing.T) {
	te := newTestEngine(t)
	p := te.pkg(t)
	ctx := t.Context()
	for i := range 500 {
		x := fmt.Sprintf("x%d", i)
		old := te.upload1(t, p.ID, x, []byte("old"))
		var wg sync.WaitGroup
		var mp Object
		var mpErr, moveErr error
		wg.Go(func() { mp, mpErr = te.CreateMultipartUpload(ctx, p.ID, x) })
		wg.Go(func() {
			_, moveErr = te.MoveObjects(ctx, []MoveInput{{ObjectID: old.ID, PackageID: p.ID, Path: "moved-" + x}})
		})
		wg.Wait()
		require.NoError(t, mpErr)
		require.NoError(t, moveErr)
		// Whichever committed first, every object present must own its ID alone: the one at
		// "moved-x" (the old object, or the upload if the create won and was then moved) and
		// the one at x (the upload, if the move won) are reachable by their own IDs.
		moved, movedErr := te.GetObjectByPath(ctx, p.ID, "moved-"+x)
		atX, atXErr := te.GetObjectByPath(ctx, p.ID, x)
		if movedErr == nil && atXErr == nil {
			require.NotEqual(t, moved.ID, atX.ID, "iteration %d: two objects share ID %d", i, moved.ID)
		}
		for _, o := range []Object{moved, atX} {
			if o.ID != 0 {
				byID, err := te.GetObject(ctx, o.ID)
				require.NoError(t, err)
				require.Equal(t, o.Path, byID.Path, "iteration %d: ID %d leads elsewhere", i, o.ID)
			}
		}
		_ = mp
	}
}
