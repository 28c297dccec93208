package engine

import (
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// listPaths are the objects of the listing fixture, in byte order.
var listPaths = []string{
	"/root", "a", "a-b", "a/1", "a/2", "a/b/1", "a/b/2", "a/c/1", "a0", "ab",
	"b/", "b/x", "c", "d/e/f/g", "d/e/h", "z",
}

// listFixture uploads listPaths (empty objects, so it is cheap) and an unrelated package.
func listFixture(t *testing.T) (*testEngine, PackageID) {
	t.Helper()
	te := newTestEngine(t)
	p := te.pkg(t)
	var pairs []any
	for _, path := range listPaths {
		pairs = append(pairs, path, []byte{})
	}
	te.upload(t, p.ID, pairs...)
	other, err := te.CreatePackage(t.Context(), p.BucketID, "other")
	require.NoError(t, err)
	te.upload(t, other.ID, "a/1", []byte{}, "zz", []byte{})
	return te, p.ID
}

func paths(objs []Object) []string {
	out := []string{}
	for _, o := range objs {
		out = append(out, o.Path)
	}
	return out
}

func TestListObjects(t *testing.T) {
	te, pkg := listFixture(t)
	for _, tc := range []struct {
		name        string
		in          ListObjectsInput
		wantObjects []string
		wantPrefix  []string
	}{
		{"exact", ListObjectsInput{Path: "a/1"}, []string{"a/1"}, nil},
		{"exact missing", ListObjectsInput{Path: "a/"}, []string{}, nil},
		{"exact ignores noRecursive", ListObjectsInput{Path: "a/b/1", NoRecursive: true}, []string{"a/b/1"}, nil},
		{"prefix all", ListObjectsInput{IsPrefix: true}, listPaths, nil},
		{"prefix dir", ListObjectsInput{Path: "a/", IsPrefix: true}, []string{"a/1", "a/2", "a/b/1", "a/b/2", "a/c/1"}, nil},
		{"prefix partial name", ListObjectsInput{Path: "a", IsPrefix: true}, []string{"a", "a-b", "a/1", "a/2", "a/b/1", "a/b/2", "a/c/1", "a0", "ab"}, nil},
		{"prefix is an object", ListObjectsInput{Path: "b/", IsPrefix: true}, []string{"b/", "b/x"}, nil},
		{"prefix none", ListObjectsInput{Path: "zz", IsPrefix: true}, []string{}, nil},
		{
			"one level at root", ListObjectsInput{IsPrefix: true, NoRecursive: true},
			[]string{"a", "a-b", "a0", "ab", "c", "z"}, []string{"/", "a/", "b/", "d/"},
		},
		{
			"one level in dir", ListObjectsInput{Path: "a/", IsPrefix: true, NoRecursive: true},
			[]string{"a/1", "a/2"}, []string{"a/b/", "a/c/"},
		},
		{
			"one level partial name", ListObjectsInput{Path: "a", IsPrefix: true, NoRecursive: true},
			[]string{"a", "a-b", "a0", "ab"}, []string{"a/"},
		},
		{
			"one level object at prefix", ListObjectsInput{Path: "b/", IsPrefix: true, NoRecursive: true},
			[]string{"b/", "b/x"}, nil,
		},
		{
			"one level nested", ListObjectsInput{Path: "d/", IsPrefix: true, NoRecursive: true},
			[]string{}, []string{"d/e/"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.PackageID = pkg
			res, err := te.ListObjects(t.Context(), tc.in)
			require.NoError(t, err)
			require.Equal(t, tc.wantObjects, paths(res.Objects))
			require.Equal(t, tc.wantPrefix, res.CommonPrefixes)
			require.False(t, res.IsTruncated)
			require.Empty(t, res.NextContinuationToken)
			for _, o := range res.Objects {
				require.Equal(t, pkg, o.PackageID)
				require.NotZero(t, o.ID)
				require.Equal(t, RedundancyNone, o.Redundancy.Type)
			}
		})
	}
}

// listEntry is one entry of a listing: an object path or a common prefix (with a "P:" mark).
func listEntries(res ListObjectsResult) []string {
	var out []string
	for _, o := range res.Objects {
		out = append(out, o.Path)
	}
	for _, p := range res.CommonPrefixes {
		out = append(out, "P:"+p)
	}
	return out
}

// listPages lists in, maxKeys at a time, until a page is not truncated, checks the shape of
// every page, and returns all entries and whether some page ended on a common prefix.
func listPages(t *testing.T, te *testEngine, in ListObjectsInput, maxKeys int) (entries []string, endedOnPrefix bool) {
	t.Helper()
	in.MaxKeys = maxKeys
	for page := 0; ; page++ {
		require.Less(t, page, 10_000, "listing does not end")
		res, err := te.ListObjects(t.Context(), in)
		require.NoError(t, err)
		got := listEntries(res)
		entries = append(entries, got...)
		if !res.IsTruncated {
			require.Empty(t, res.NextContinuationToken)
			require.LessOrEqual(t, len(got), maxKeys)
			return entries, endedOnPrefix
		}
		require.Len(t, got, maxKeys, "a truncated page is full")
		require.NotEmpty(t, res.NextContinuationToken)
		tok, err := decodeListToken(res.NextContinuationToken, in.Path)
		require.NoError(t, err)
		endedOnPrefix = endedOnPrefix || tok.isPrefix
		in.ContinuationToken = res.NextContinuationToken
	}
}

// TestListObjectsPaging pages through every listing of the fixture with every page size and
// checks that the pages together hold exactly the entries of the unpaged listing, each once.
func TestListObjectsPaging(t *testing.T) {
	te, pkg := listFixture(t)
	sawPrefixBoundary := false
	for _, in := range []ListObjectsInput{
		{IsPrefix: true},
		{IsPrefix: true, NoRecursive: true},
		{Path: "a", IsPrefix: true},
		{Path: "a", IsPrefix: true, NoRecursive: true},
		{Path: "a/", IsPrefix: true, NoRecursive: true},
		{Path: "d/", IsPrefix: true, NoRecursive: true},
	} {
		in.PackageID = pkg
		full, err := te.ListObjects(t.Context(), in)
		require.NoError(t, err)
		want := listEntries(full)
		slices.Sort(want)
		for maxKeys := 1; maxKeys <= len(want)+1; maxKeys++ {
			t.Run(fmt.Sprintf("%q/noRecursive=%t/maxKeys=%d", in.Path, in.NoRecursive, maxKeys), func(t *testing.T) {
				got, endedOnPrefix := listPages(t, te, in, maxKeys)
				sawPrefixBoundary = sawPrefixBoundary || endedOnPrefix
				slices.Sort(got)
				require.Equal(t, want, got, "every entry exactly once")
			})
		}
	}
	require.True(t, sawPrefixBoundary, "some page ended on a common prefix")
}

// TestListObjectsMaxKeys checks the default, the cap and the paging of a package of more
// than MaxListKeys objects.
func TestListObjectsMaxKeys(t *testing.T) {
	te := newTestEngine(t)
	p := te.pkg(t)
	const n = 2*MaxListKeys + 345
	var pairs []any
	for i := range n {
		pairs = append(pairs, fmt.Sprintf("dir%d/obj%05d", i%3, i), []byte{})
	}
	te.upload(t, p.ID, pairs...)

	for _, tc := range []struct {
		maxKeys  int
		wantPage int
	}{
		{0, MaxListKeys},
		{MaxListKeys, MaxListKeys},
		{MaxListKeys + 1, MaxListKeys},
		{1 << 30, MaxListKeys},
		{999, 999},
	} {
		t.Run(fmt.Sprint(tc.maxKeys), func(t *testing.T) {
			in := ListObjectsInput{PackageID: p.ID, IsPrefix: true, MaxKeys: tc.maxKeys}
			res, err := te.ListObjects(t.Context(), in)
			require.NoError(t, err)
			require.Len(t, res.Objects, tc.wantPage)
			require.True(t, res.IsTruncated)

			seen := map[string]bool{}
			last := ""
			for {
				for _, o := range res.Objects {
					require.False(t, seen[o.Path], "%s twice", o.Path)
					require.Greater(t, o.Path, last, "byte order")
					seen[o.Path], last = true, o.Path
				}
				if !res.IsTruncated {
					break
				}
				in.ContinuationToken = res.NextContinuationToken
				res, err = te.ListObjects(t.Context(), in)
				require.NoError(t, err)
			}
			require.Len(t, seen, n)
		})
	}

	res, err := te.ListObjects(t.Context(), ListObjectsInput{PackageID: p.ID, IsPrefix: true, NoRecursive: true, MaxKeys: 2})
	require.NoError(t, err)
	require.Equal(t, []string{"dir0/", "dir1/"}, res.CommonPrefixes)
	require.True(t, res.IsTruncated)
}

func TestListObjectsErrors(t *testing.T) {
	te, pkg := listFixture(t)
	page, err := te.ListObjects(t.Context(), ListObjectsInput{PackageID: pkg, Path: "a/", IsPrefix: true, MaxKeys: 2})
	require.NoError(t, err)
	require.True(t, page.IsTruncated)
	token := page.NextContinuationToken

	for _, tc := range []struct {
		name string
		in   ListObjectsInput
		want Kind
	}{
		{"negative maxKeys", ListObjectsInput{PackageID: pkg, IsPrefix: true, MaxKeys: -1}, KindInvalid},
		{"token of another prefix", ListObjectsInput{PackageID: pkg, Path: "b/", IsPrefix: true, ContinuationToken: token}, KindInvalid},
		{"garbage token", ListObjectsInput{PackageID: pkg, IsPrefix: true, ContinuationToken: "!!not base64!!"}, KindInvalid},
		{"token of bad kind", ListObjectsInput{PackageID: pkg, IsPrefix: true, ContinuationToken: encodeListTokenRaw("xa/1")}, KindInvalid},
		{"empty token body", ListObjectsInput{PackageID: pkg, IsPrefix: true, ContinuationToken: encodeListTokenRaw("o")}, KindInvalid},
		{"missing package", ListObjectsInput{PackageID: pkg + 100, IsPrefix: true}, KindNotFound},
		{"missing package exact", ListObjectsInput{PackageID: pkg + 100, Path: "a"}, KindNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := te.ListObjects(t.Context(), tc.in)
			requireKind(t, tc.want, err)
		})
	}

	// The token resumes its own listing after the entries already returned.
	res, err := te.ListObjects(t.Context(), ListObjectsInput{PackageID: pkg, Path: "a/", IsPrefix: true, ContinuationToken: token})
	require.NoError(t, err)
	require.Equal(t, []string{"a/b/1", "a/b/2", "a/c/1"}, paths(res.Objects))
}

// encodeListTokenRaw encodes a token body as encodeListToken does, with any marker.
func encodeListTokenRaw(body string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(body))
}

// TestListShowsUploadsInProgress: an upload in progress is listed, with its state.
func TestListShowsUploadsInProgress(t *testing.T) {
	te := newTestEngine(t)
	p := te.pkg(t)
	mp, err := te.CreateMultipartUpload(t.Context(), p.ID, "up")
	require.NoError(t, err)
	res, err := te.ListObjects(t.Context(), ListObjectsInput{PackageID: p.ID, IsPrefix: true})
	require.NoError(t, err)
	require.Len(t, res.Objects, 1)
	require.Equal(t, mp.ID, res.Objects[0].ID)
	require.True(t, res.Objects[0].InProgress())
}

func TestWalkPackageObjects(t *testing.T) {
	te := newTestEngine(t)
	p := te.pkg(t)
	const n = MaxListKeys*2 + 17
	var pairs []any
	var want []string
	for i := range n {
		path := fmt.Sprintf("w/%06d", i)
		pairs = append(pairs, path, []byte{})
		want = append(want, path)
	}
	te.upload(t, p.ID, pairs...)

	var got []string
	require.NoError(t, te.WalkPackageObjects(t.Context(), p.ID, func(o Object) error {
		got = append(got, o.Path)
		return nil
	}))
	require.Equal(t, want, got, "every object once, in order")

	errStop := errors.New("stop")
	count := 0
	err := te.WalkPackageObjects(t.Context(), p.ID, func(o Object) error {
		count++
		if count == MaxListKeys+5 {
			return errStop
		}
		return nil
	})
	require.ErrorIs(t, err, errStop)
	require.Equal(t, MaxListKeys+5, count, "stops at the first error")

	err = te.WalkPackageObjects(t.Context(), p.ID+1, func(Object) error { return nil })
	requireKind(t, KindNotFound, err)

	empty, err := te.CreatePackage(t.Context(), p.BucketID, "empty")
	require.NoError(t, err)
	require.NoError(t, te.WalkPackageObjects(t.Context(), empty.ID, func(Object) error {
		return errors.New("called for an empty package")
	}))
}
