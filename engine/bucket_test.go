package engine

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCreateBucketNames(t *testing.T) {
	te := newTestEngine(t)
	for _, tc := range nameCases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := te.CreateBucket(t.Context(), CreateBucketInput{Name: tc.in})
			if !tc.valid {
				requireKind(t, KindInvalid, err)
				_, err := te.GetBucketByName(t.Context(), tc.in)
				requireKind(t, KindNotFound, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.in, b.Name)
			got, err := te.GetBucketByName(t.Context(), tc.in)
			require.NoError(t, err)
			require.Equal(t, b.ID, got.ID)
		})
	}
}

func TestCreateBucket(t *testing.T) {
	te := newTestEngine(t, withClock(stepClock()))
	ctx := t.Context()

	b, err := te.CreateBucket(ctx, CreateBucketInput{Name: "a"})
	require.NoError(t, err)
	require.NotZero(t, b.ID)
	require.Equal(t, RootUserID, b.Owner, "owner 0 means root")
	require.False(t, b.CreateTime.IsZero())

	_, err = te.CreateBucket(ctx, CreateBucketInput{Name: "nobodys", Owner: 42})
	requireKind(t, KindNotFound, err) // no user 42
	alice := te.user(t, "alice")
	owned, err := te.CreateBucket(ctx, CreateBucketInput{Name: "owned", Owner: alice.ID})
	require.NoError(t, err)
	require.Equal(t, alice.ID, owned.Owner)
	require.NotEqual(t, b.ID, owned.ID)

	_, err = te.CreateBucket(ctx, CreateBucketInput{Name: "a"})
	requireKind(t, KindAlreadyExists, err)
	_, err = te.CreateBucket(ctx, CreateBucketInput{Name: "a", Owner: alice.ID})
	requireKind(t, KindAlreadyExists, err)
	_, err = te.CreateBucket(ctx, CreateBucketInput{Name: "A"})
	require.NoError(t, err, "names are case-sensitive")

	got, err := te.GetBucket(ctx, b.ID)
	require.NoError(t, err)
	require.Equal(t, b.ID, got.ID)
	require.Equal(t, b.Name, got.Name)
	require.Equal(t, b.Owner, got.Owner)
	requireSameTime(t, b.CreateTime, got.CreateTime, "create time")
}

func TestGetBucketMissing(t *testing.T) {
	te := newTestEngine(t)
	b, err := te.CreateBucket(t.Context(), CreateBucketInput{Name: "there"})
	require.NoError(t, err)
	for _, id := range []BucketID{0, b.ID + 1, 1 << 62} {
		_, err := te.GetBucket(t.Context(), id)
		requireKind(t, KindNotFound, err)
	}
	for _, name := range []string{"", "Ther", "there ", "nope"} {
		_, err := te.GetBucketByName(t.Context(), name)
		requireKind(t, KindNotFound, err)
	}
}

func TestListBuckets(t *testing.T) {
	te := newTestEngine(t)
	got, err := te.ListBuckets(t.Context())
	require.NoError(t, err)
	require.Empty(t, got)

	for _, name := range []string{"m", "b", "z", "B", "a-1", "a"} {
		_, err := te.CreateBucket(t.Context(), CreateBucketInput{Name: name})
		require.NoError(t, err)
	}
	got, err = te.ListBuckets(t.Context())
	require.NoError(t, err)
	var names []string
	for _, b := range got {
		names = append(names, b.Name)
	}
	require.Equal(t, []string{"B", "a", "a-1", "b", "m", "z"}, names, "byte order of names")
}

func TestDeleteBucket(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	requireKind(t, KindNotFound, te.DeleteBucket(ctx, 12345))

	b, err := te.CreateBucket(ctx, CreateBucketInput{Name: "gone"})
	require.NoError(t, err)
	keep, err := te.CreateBucket(ctx, CreateBucketInput{Name: "kept"})
	require.NoError(t, err)
	require.NoError(t, te.DeleteBucket(ctx, b.ID))
	requireKind(t, KindNotFound, te.DeleteBucket(ctx, b.ID))
	_, err = te.GetBucket(ctx, b.ID)
	requireKind(t, KindNotFound, err)
	_, err = te.GetBucketByName(ctx, "gone")
	requireKind(t, KindNotFound, err)
	_, err = te.ListPackages(ctx, b.ID)
	requireKind(t, KindNotFound, err)
	list, err := te.ListBuckets(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, keep.ID, list[0].ID)

	again, err := te.CreateBucket(ctx, CreateBucketInput{Name: "gone"})
	require.NoError(t, err, "a deleted bucket's name is free")
	require.NotEqual(t, b.ID, again.ID, "IDs are never reused")
}

// populate fills a package with one object of each redundancy and a multipart upload in
// progress with two parts, and returns the objects.
func populate(t *testing.T, te *testEngine, pkg PackageID, seed uint64) []Object {
	t.Helper()
	objs := te.upload(t, pkg,
		"empty", []byte{},
		"small", randomBytes(seed, 100),
		"dir/large", randomBytes(seed+1, 40_000),
	)
	mp, err := te.CreateMultipartUpload(t.Context(), pkg, "dir/upload")
	require.NoError(t, err)
	for i := range 2 {
		require.NoError(t, te.UploadPart(t.Context(), mp.ID, i, bytes.NewReader(randomBytes(seed+2, 5000)), 5000))
	}
	return append(objs, mp)
}

// TestDeleteBucketCascade deletes a bucket full of packages, objects and an upload in
// progress, and checks that everything in it is gone and all its data collected, while a
// clone of one of its objects in another bucket still reads.
func TestDeleteBucketCascade(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	b, err := te.CreateBucket(ctx, CreateBucketInput{Name: "doomed"})
	require.NoError(t, err)
	var objs []Object
	var pkgs []Package
	for i := range 3 {
		p, err := te.CreatePackage(ctx, b.ID, fmt.Sprintf("p%d", i))
		require.NoError(t, err)
		pkgs = append(pkgs, p)
		objs = append(objs, populate(t, te, p.ID, uint64(10*i))...)
	}
	// A clone within the bucket shares a blob with an object in it.
	_, err = te.CloneObjects(ctx, []CloneInput{{ObjectID: objs[2].ID, PackageID: pkgs[1].ID, Path: "clone"}})
	require.NoError(t, err)
	// A clone outside the bucket keeps one blob alive.
	other := te.pkg(t)
	outside, err := te.CloneObjects(ctx, []CloneInput{{ObjectID: objs[2].ID, PackageID: other.ID, Path: "saved"}})
	require.NoError(t, err)
	survivor := te.upload1(t, other.ID, "own", randomBytes(99, 3000))

	require.NoError(t, te.DeleteBucket(ctx, b.ID))
	for _, p := range pkgs {
		_, err := te.GetPackage(ctx, p.ID)
		requireKind(t, KindNotFound, err)
	}
	for _, o := range objs {
		_, err := te.GetObject(ctx, o.ID)
		requireKind(t, KindNotFound, err)
	}
	te.collect(t)
	require.Equal(t, te.shardsFor(t, outside[0], survivor), te.shardCount(t))
	require.Equal(t, randomBytes(1, 40_000), te.read(t, outside[0].ID))

	require.NoError(t, te.DeleteObjects(ctx, []ObjectID{outside[0].ID, survivor.ID}))
	te.collect(t)
	require.Zero(t, te.shardCount(t))
	requireNoBlobRecords(t, te)
}
