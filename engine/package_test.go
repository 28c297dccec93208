package engine

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCreatePackageNames(t *testing.T) {
	te := newTestEngine(t)
	b, err := te.CreateBucket(t.Context(), CreateBucketInput{Name: "b"})
	require.NoError(t, err)
	for _, tc := range nameCases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := te.CreatePackage(t.Context(), b.ID, tc.in)
			if !tc.valid {
				requireKind(t, KindInvalid, err)
				_, err := te.GetPackageByName(t.Context(), "b", tc.in)
				requireKind(t, KindNotFound, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.in, p.Name)
			require.Equal(t, b.ID, p.BucketID)
			got, err := te.GetPackageByName(t.Context(), "b", tc.in)
			require.NoError(t, err)
			require.Equal(t, p.ID, got.ID)
		})
	}
}

func TestCreatePackage(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	b1, err := te.CreateBucket(ctx, CreateBucketInput{Name: "b1"})
	require.NoError(t, err)
	b2, err := te.CreateBucket(ctx, CreateBucketInput{Name: "b2"})
	require.NoError(t, err)

	p, err := te.CreatePackage(ctx, b1.ID, "p")
	require.NoError(t, err)
	require.NotZero(t, p.ID)
	require.False(t, p.CreateTime.IsZero())

	_, err = te.CreatePackage(ctx, b1.ID, "p")
	requireKind(t, KindAlreadyExists, err)
	p2, err := te.CreatePackage(ctx, b2.ID, "p")
	require.NoError(t, err, "the same name in another bucket")
	require.NotEqual(t, p.ID, p2.ID)
	_, err = te.CreatePackage(ctx, 999, "p")
	requireKind(t, KindNotFound, err)
	_, err = te.CreatePackage(ctx, 999, "")
	requireKind(t, KindInvalid, err)

	got, err := te.GetPackage(ctx, p.ID)
	require.NoError(t, err)
	require.Equal(t, p.Name, got.Name)
	require.Equal(t, b1.ID, got.BucketID)
	requireSameTime(t, p.CreateTime, got.CreateTime, "create time")
	got, err = te.GetPackageByName(ctx, "b2", "p")
	require.NoError(t, err)
	require.Equal(t, p2.ID, got.ID)
}

func TestGetPackageMissing(t *testing.T) {
	te := newTestEngine(t)
	p := te.pkg(t)
	b, err := te.GetBucket(t.Context(), p.BucketID)
	require.NoError(t, err)
	for _, id := range []PackageID{0, p.ID + 1} {
		_, err := te.GetPackage(t.Context(), id)
		requireKind(t, KindNotFound, err)
	}
	for _, tc := range []struct{ bucket, pkg string }{
		{b.Name, "q"}, {"nope", "p"}, {"", ""}, {b.Name, ""},
	} {
		_, err := te.GetPackageByName(t.Context(), tc.bucket, tc.pkg)
		requireKind(t, KindNotFound, err)
	}
}

func TestListPackages(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	_, err := te.ListPackages(ctx, 77)
	requireKind(t, KindNotFound, err)

	b, err := te.CreateBucket(ctx, CreateBucketInput{Name: "b"})
	require.NoError(t, err)
	other, err := te.CreateBucket(ctx, CreateBucketInput{Name: "other"})
	require.NoError(t, err)
	got, err := te.ListPackages(ctx, b.ID)
	require.NoError(t, err)
	require.Empty(t, got)

	for _, name := range []string{"y", "x", "Z", "x.1"} {
		_, err := te.CreatePackage(ctx, b.ID, name)
		require.NoError(t, err)
	}
	_, err = te.CreatePackage(ctx, other.ID, "a")
	require.NoError(t, err)
	got, err = te.ListPackages(ctx, b.ID)
	require.NoError(t, err)
	var names []string
	for _, p := range got {
		names = append(names, p.Name)
		require.Equal(t, b.ID, p.BucketID)
	}
	require.Equal(t, []string{"Z", "x", "x.1", "y"}, names)
}

// TestDeletePackage deletes a package full of objects and an upload in progress: everything
// in it is gone, the rest of the bucket is untouched, and after collection only the other
// package's shards remain.
func TestDeletePackage(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	requireKind(t, KindNotFound, te.DeletePackage(ctx, 4242))

	doomed := te.pkg(t)
	kept, err := te.CreatePackage(ctx, doomed.BucketID, "kept")
	require.NoError(t, err)
	gone := populate(t, te, doomed.ID, 1)
	stay := populate(t, te, kept.ID, 2)

	require.NoError(t, te.DeletePackage(ctx, doomed.ID))
	requireKind(t, KindNotFound, te.DeletePackage(ctx, doomed.ID))
	_, err = te.GetPackage(ctx, doomed.ID)
	requireKind(t, KindNotFound, err)
	for _, o := range gone {
		_, err := te.GetObject(ctx, o.ID)
		requireKind(t, KindNotFound, err)
	}
	_, err = te.ListObjects(ctx, ListObjectsInput{PackageID: doomed.ID, IsPrefix: true})
	requireKind(t, KindNotFound, err)

	te.collect(t)
	require.Equal(t, te.shardsFor(t, stay[:3]...)+2*6, te.shardCount(t), "kept objects and 2 parts")
	require.Equal(t, randomBytes(3, 40_000), te.read(t, stay[2].ID))

	again, err := te.CreatePackage(ctx, doomed.BucketID, doomed.Name)
	require.NoError(t, err, "a deleted package's name is free")
	res, err := te.ListObjects(ctx, ListObjectsInput{PackageID: again.ID, IsPrefix: true})
	require.NoError(t, err)
	require.Empty(t, res.Objects, "a new package of the same name starts empty")

	require.NoError(t, te.DeletePackage(ctx, kept.ID))
	te.collect(t)
	require.Zero(t, te.shardCount(t))
	requireNoBlobRecords(t, te)
}
