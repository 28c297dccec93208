package engine

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/kv"
)

func TestSplitKey(t *testing.T) {
	long := strings.Repeat("n", MaxNameLen)
	for _, tc := range []struct {
		key, pkg, path string
	}{
		{"a", RootPackageName, "a"},
		{"a/b", "a", "b"},
		{"a/b/c", "a", "b/c"},
		{"a/", RootPackageName, "a/"},
		{"dir/", RootPackageName, "dir/"},
		{"/", RootPackageName, "/"},
		{"//", RootPackageName, "//"},
		{"///", RootPackageName, "///"},
		{"/a", RootPackageName, "/a"},
		{"/a/b", RootPackageName, "/a/b"},
		{"a//b", "a", "/b"},
		{"a//", "a", "/"},
		{"a/b/", "a", "b/"},
		{"../x", "..", "x"},
		{"./x", ".", "x"},
		{"a/../b", "a", "../b"},
		{"a\x01/b", RootPackageName, "a\x01/b"},
		{"a\x7f/b", RootPackageName, "a\x7f/b"},
		{"a\tb/c", RootPackageName, "a\tb/c"},
		{long + "/x", long, "x"},
		{long + "n/x", RootPackageName, long + "n/x"},
		{"日本/語", "日本", "語"},
		{"a b/c d", "a b", "c d"},
		{"a.txt", RootPackageName, "a.txt"},
	} {
		t.Run(tc.key, func(t *testing.T) {
			pkg, path := SplitKey(tc.key)
			require.Equal(t, tc.pkg, pkg)
			require.Equal(t, tc.path, path)
			require.Equal(t, tc.key, JoinKey(pkg, path))
		})
	}
}

// TestJoinKeyOfPackagePaths: every object of a named package, whatever its path, has a key
// that SplitKey sends back to that package and path, so /v1 objects are found by key.
func TestJoinKeyOfPackagePaths(t *testing.T) {
	for _, pkg := range []string{"a", "..", " ", "日本", strings.Repeat("n", MaxNameLen), "a.b", "-"} {
		for _, path := range []string{"x", "/", "//", "/x", "x/", "a/b/c", "..", "\x01", "a\x7f/b", strings.Repeat("p", MaxPathLen)} {
			gotPkg, gotPath := SplitKey(JoinKey(pkg, path))
			require.Equal(t, pkg, gotPkg, "package %q path %q", pkg, path)
			require.Equal(t, path, gotPath, "package %q path %q", pkg, path)
		}
	}
}

// trickyKeys are valid S3 keys that a key mapping could get wrong.
var trickyKeys = []string{
	"a", "a/b", "a/", "a//", "a//b", "/", "//", "///", "/a", "/a/", "dir/", "dir/sub/", "..", "../x",
	"a/../b", "./.", "x/./y", "a\x01/b", "a\x01", "\x01/x", "日本/語", "日本", "a b/c", "a.txt", "a-b/c",
	"a0", "~", "a/b/c/d/e", "%2F/x", "a\\b/c", "\u00a0/x", "\ufeff", strings.Repeat("n", MaxNameLen) + "/x",
	strings.Repeat("n", MaxNameLen+1) + "/x", strings.Repeat("k", MaxPathLen), "p/" + strings.Repeat("k", MaxPathLen-2),
	strings.Repeat("/", MaxPathLen),
}

// FuzzKeyRoundTrip: every valid S3 key (UTF-8, no NUL, 1 to 1024 bytes) maps to a package and
// path that JoinKey maps back, the package is the root package or a valid name with a non-empty
// path, the root package accepts the paths it is given, and an object written at the key is
// found at that key by StatObject, OpenKey and ListKeys, and at that package and path by the
// /v1 API.
func FuzzKeyRoundTrip(f *testing.F) {
	for _, k := range trickyKeys {
		f.Add(k)
	}
	// Found by fuzzing: quotes, a long first segment of digits, invalid UTF-8 after a valid name.
	for _, k := range []string{"", "\x00", "a\x00/b", "\xff/x", "a/\xc3", "é/", "a/b\U0010ffff",
		`""/0`, "000/000000000000000", "\xc3/0", "日00/\xe8", "/\x8d", "\xef\xbf\xc8"} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		pkg, path := SplitKey(key)
		require.Equal(t, key, JoinKey(pkg, path), "round trip")
		valid := validateKey(key) == nil
		if !valid {
			return
		}
		require.NoError(t, validatePath(path))
		if pkg == RootPackageName {
			require.Equal(t, key, path)
			require.NoError(t, checkPackagePath(&Package{Name: RootPackageName}, path))
		} else {
			require.NoError(t, validateName("package", pkg))
			require.True(t, strings.HasPrefix(key, pkg+"/"))
			require.Error(t, checkPackagePath(&Package{Name: RootPackageName}, key), "root must refuse %q", key)
		}
		// The key of any path in a named package leads back to it.
		p2, path2 := SplitKey(JoinKey("p", key))
		require.Equal(t, "p", p2)
		require.Equal(t, key, path2)

		te := newTestEngine(t, withSpaces(3))
		ctx := t.Context()
		b := te.bucket(t, "b")
		content := []byte(key) // at most 1 KiB: replicated
		o := te.put(t, b.ID, key, content)
		require.Equal(t, path, o.Path)
		st, err := te.StatObject(ctx, b.ID, key)
		require.NoError(t, err)
		require.Equal(t, o.ID, st.ID)
		require.Equal(t, content, te.readKey(t, b.ID, key))
		res, err := te.ListKeys(ctx, ListKeysInput{Bucket: b.ID, Prefix: key, Limit: 10})
		require.NoError(t, err)
		require.Len(t, res.Objects, 1)
		require.Equal(t, key, res.Objects[0].Key)
		require.Equal(t, o.ID, res.Objects[0].Object.ID)
		p, err := te.GetPackageByName(ctx, "b", pkg)
		require.NoError(t, err)
		require.Equal(t, o.PackageID, p.ID)
		require.Equal(t, o.ID, te.getPath(t, p.ID, path).ID)
	})
}

// TestKeysThroughEngine writes trickyKeys in one bucket and reads each back by key and by
// package and path, and lists them all in byte order.
func TestKeysThroughEngine(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	b := te.bucket(t, "b")
	objs := map[string]Object{}
	for i, key := range trickyKeys {
		objs[key] = te.put(t, b.ID, key, fmt.Appendf(nil, "content %d", i))
	}
	for i, key := range trickyKeys {
		t.Run(fmt.Sprintf("%d", i), func(t *testing.T) {
			want := fmt.Appendf(nil, "content %d", i)
			require.Equal(t, want, te.readKey(t, b.ID, key))
			st, err := te.StatObject(ctx, b.ID, key)
			require.NoError(t, err)
			require.Equal(t, objs[key].ID, st.ID)
			pkg, path := SplitKey(key)
			p, err := te.GetPackageByName(ctx, "b", pkg)
			require.NoError(t, err)
			got := te.getPath(t, p.ID, path)
			require.Equal(t, st.ID, got.ID)
			require.Equal(t, want, te.read(t, got.ID))
		})
	}
	want := slices.Clone(trickyKeys)
	sort.Strings(want)
	require.Equal(t, want, listAll(t, te, ListKeysInput{Bucket: b.ID}, 7).keys)
	require.Equal(t, len(trickyKeys), te.keyIndexCount(t, b.ID))
}

// TestUploadObjectsVisibleByKey: objects written with the /v1 API, in named packages, are at
// once visible by S3 key; deleting them by ID removes the key.
func TestUploadObjectsVisibleByKey(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	b := te.bucket(t, "b")
	p, err := te.CreatePackage(ctx, b.ID, "pkg")
	require.NoError(t, err)
	objs := te.upload(t, p.ID, "x", []byte("one"), "dir/y", []byte("two"), "/lead", []byte("three"), "trail/", []byte{})
	res, err := te.ListKeys(ctx, ListKeysInput{Bucket: b.ID, Limit: 100})
	require.NoError(t, err)
	require.Equal(t, []string{"pkg//lead", "pkg/dir/y", "pkg/trail/", "pkg/x"}, entryKeys(res))
	for _, o := range objs {
		key := JoinKey("pkg", o.Path)
		st, err := te.StatObject(ctx, b.ID, key)
		require.NoError(t, err)
		require.Equal(t, o.ID, st.ID)
		require.Equal(t, o.ETag, st.ETag)
	}
	require.Equal(t, md5Hex([]byte("two")), objs[1].ETag, "/v1 writes have an ETag too")
	require.Equal(t, []byte("two"), te.readKey(t, b.ID, "pkg/dir/y"))

	// A /v1 replacement is visible by key, with the same ID.
	again := te.upload1(t, p.ID, "x", []byte("uno"))
	require.Equal(t, objs[0].ID, again.ID)
	require.Equal(t, []byte("uno"), te.readKey(t, b.ID, "pkg/x"))

	require.NoError(t, te.DeleteObjects(ctx, []ObjectID{objs[1].ID}))
	te.requireNoKey(t, b.ID, "pkg/dir/y")
	require.Equal(t, 3, te.keyIndexCount(t, b.ID))

	// A /v1 multipart upload appears by key only once completed.
	mp, err := te.CreateMultipartUpload(ctx, p.ID, "mp")
	require.NoError(t, err)
	require.NoError(t, te.UploadPart(ctx, mp.ID, 0, bytes.NewReader([]byte("part")), -1))
	te.requireNoKey(t, b.ID, "pkg/mp")
	_, err = te.CompleteMultipartUpload(ctx, mp.ID, []int{0})
	require.NoError(t, err)
	require.Equal(t, []byte("part"), te.readKey(t, b.ID, "pkg/mp"))
}

// TestRootPackagePaths: the root package takes only paths whose key SplitKey sends to it, so
// no two objects can share a key; the /v1 API cannot put "a/b" there.
func TestRootPackagePaths(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	b := te.bucket(t, "b")
	te.put(t, b.ID, "rootkey", []byte("r"))
	root, err := te.GetPackageByName(ctx, "b", RootPackageName)
	require.NoError(t, err)
	require.Equal(t, RootPackageName, root.Name)
	_, err = te.CreatePackage(ctx, b.ID, RootPackageName)
	requireKind(t, KindInvalid, err)

	for _, path := range []string{"a/b", "a//", "a/b/", "..//x"} {
		_, err := te.UploadObjects(ctx, UploadInput{PackageID: root.ID}, files(path, []byte("x")))
		requireKind(t, KindInvalid, err)
	}
	// Paths that are keys of the root package are fine.
	te.upload(t, root.ID, "a/", []byte("1"), "/a", []byte("2"), "plain", []byte("3"), "a\x01/b", []byte("4"))
	for key, want := range map[string]string{"a/": "1", "/a": "2", "plain": "3", "a\x01/b": "4"} {
		require.Equal(t, []byte(want), te.readKey(t, b.ID, key))
	}
	_, err = te.GetPackageByName(ctx, "b", "a")
	requireKind(t, KindNotFound, err)

	// Clones and moves into the root package are held to the same rule.
	src := te.put(t, b.ID, "p/src", []byte("src"))
	_, err = te.CloneObjects(ctx, []CloneInput{{ObjectID: src.ID, PackageID: root.ID, Path: "a/b"}})
	requireKind(t, KindInvalid, err)
	moved, err := te.MoveObjects(ctx, []MoveInput{{ObjectID: src.ID, PackageID: root.ID, Path: "a/b"}})
	require.NoError(t, err)
	require.Empty(t, moved)
	require.Equal(t, []byte("src"), te.readKey(t, b.ID, "p/src"))
	te.requireNoKey(t, b.ID, "a/b")

	want := []string{"/a", "a/", "a\x01/b", "p/src", "plain", "rootkey"}
	sort.Strings(want)
	require.Equal(t, want, listAll(t, te, ListKeysInput{Bucket: b.ID}, 100).keys)
}

// TestMoveAndCloneKeepKeyIndex: a move takes its object's key with it, a clone adds one, and
// neither disturbs other keys.
func TestMoveAndCloneKeepKeyIndex(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	b, other := te.bucket(t, "b"), te.bucket(t, "other")
	a := te.put(t, b.ID, "p/a", []byte("A"))
	te.put(t, b.ID, "p/keep", []byte("K"))
	q, err := te.CreatePackage(ctx, b.ID, "q")
	require.NoError(t, err)
	root := te.put(t, b.ID, "r", []byte("R"))
	rootPkg := root.PackageID
	oq, err := te.CreatePackage(ctx, other.ID, "oq")
	require.NoError(t, err)

	moved, err := te.MoveObjects(ctx, []MoveInput{{ObjectID: a.ID, PackageID: q.ID, Path: "dir/a"}})
	require.NoError(t, err)
	require.Equal(t, []ObjectID{a.ID}, moved)
	te.requireNoKey(t, b.ID, "p/a")
	st, err := te.StatObject(ctx, b.ID, "q/dir/a")
	require.NoError(t, err)
	require.Equal(t, a.ID, st.ID)
	require.Equal(t, []byte("A"), te.readKey(t, b.ID, "q/dir/a"))

	// Into and within the root package, and into another bucket.
	moved, err = te.MoveObjects(ctx, []MoveInput{
		{ObjectID: a.ID, PackageID: rootPkg, Path: "top"},
		{ObjectID: root.ID, PackageID: rootPkg, Path: "r2/"},
	})
	require.NoError(t, err)
	require.Equal(t, []ObjectID{a.ID, root.ID}, moved)
	require.Equal(t, []string{"p/keep", "r2/", "top"}, listAll(t, te, ListKeysInput{Bucket: b.ID}, 2).keys)
	moved, err = te.MoveObjects(ctx, []MoveInput{{ObjectID: a.ID, PackageID: oq.ID, Path: "x"}})
	require.NoError(t, err)
	require.Equal(t, []ObjectID{a.ID}, moved)
	require.Equal(t, []string{"p/keep", "r2/"}, listAll(t, te, ListKeysInput{Bucket: b.ID}, 2).keys)
	require.Equal(t, []string{"oq/x"}, listAll(t, te, ListKeysInput{Bucket: other.ID}, 2).keys)
	require.Equal(t, []byte("A"), te.readKey(t, other.ID, "oq/x"))

	// Clones add keys; the source's stays.
	clones, err := te.CloneObjects(ctx, []CloneInput{
		{ObjectID: a.ID, PackageID: q.ID, Path: "c1"},
		{ObjectID: a.ID, PackageID: rootPkg, Path: "c2"},
	})
	require.NoError(t, err)
	require.Len(t, clones, 2)
	require.Equal(t, []string{"c2", "p/keep", "q/c1", "r2/"}, listAll(t, te, ListKeysInput{Bucket: b.ID}, 3).keys)
	require.Equal(t, []string{"oq/x"}, listAll(t, te, ListKeysInput{Bucket: other.ID}, 2).keys)
	for _, c := range clones {
		st, err := te.StatObject(ctx, b.ID, JoinKey(map[PackageID]string{q.ID: "q", rootPkg: RootPackageName}[c.PackageID], c.Path))
		require.NoError(t, err)
		require.Equal(t, c.ID, st.ID)
		require.Equal(t, a.ETag, st.ETag)
	}
	require.Equal(t, 4, te.keyIndexCount(t, b.ID))
	require.Equal(t, 1, te.keyIndexCount(t, other.ID))
}

// TestDeletePackageAndBucketRemoveKeys: deleting a package removes its keys (and only its);
// deleting a bucket removes all of them, S3 uploads included.
func TestDeletePackageAndBucketRemoveKeys(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	b := te.bucket(t, "b")
	for _, key := range []string{"p/1", "p/2", "p/", "q/1", "root", "/x"} {
		te.put(t, b.ID, key, []byte(key))
	}
	p, err := te.GetPackageByName(ctx, "b", "p")
	require.NoError(t, err)
	require.NoError(t, te.DeletePackage(ctx, p.ID))
	te.requireNoKey(t, b.ID, "p/1")
	te.requireNoKey(t, b.ID, "p/2")
	require.Equal(t, []string{"/x", "p/", "q/1", "root"}, listAll(t, te, ListKeysInput{Bucket: b.ID}, 10).keys)

	// Writing at a key of the deleted package makes a new one.
	te.put(t, b.ID, "p/3", []byte("new"))
	p2, err := te.GetPackageByName(ctx, "b", "p")
	require.NoError(t, err)
	require.NotEqual(t, p.ID, p2.ID)

	root, err := te.GetPackageByName(ctx, "b", RootPackageName)
	require.NoError(t, err)
	require.NoError(t, te.DeletePackage(ctx, root.ID))
	require.Equal(t, []string{"p/3", "q/1"}, listAll(t, te, ListKeysInput{Bucket: b.ID}, 10).keys)

	up := te.createUpload(t, b.ID, "up")
	te.putPart(t, up, 1, randomBytes(1, 20_000))
	require.NoError(t, te.DeleteBucket(ctx, b.ID))
	require.Zero(t, te.keyIndexCount(t, b.ID))
	nu, np, ni := te.uploadRecords(t)
	require.Zero(t, nu+np+ni, "the bucket's uploads are aborted")
	_, err = te.ListKeys(ctx, ListKeysInput{Bucket: b.ID})
	requireKind(t, KindNotFound, err)
	te.collect(t)
	require.Zero(t, te.shardCount(t))
	requireNoBlobRecords(t, te)
}

// keyListing is what a complete listing returned, page after page.
type keyListing struct {
	keys, prefixes []string
	entries        []string // keys and prefixes in the order returned
	pages          int
}

// listAll pages through a listing with the given page size, checking that each page is
// consistent: within the limit, Next the last entry, Truncated on every page but the last.
func listAll(t *testing.T, te *testEngine, in ListKeysInput, page int) keyListing {
	t.Helper()
	var out keyListing
	in.Limit = page
	for {
		res, err := te.ListKeys(t.Context(), in)
		require.NoError(t, err)
		out.pages++
		require.LessOrEqual(t, len(res.Objects)+len(res.CommonPrefixes), page)
		require.True(t, slices.IsSorted(entryKeys(res)), "objects in order")
		require.True(t, slices.IsSorted(res.CommonPrefixes), "common prefixes in order")
		entries := mergeEntries(res)
		for _, e := range res.Objects {
			out.keys = append(out.keys, e.Key)
			_, path := SplitKey(e.Key)
			require.Equal(t, path, e.Object.Path, "key %q", e.Key)
		}
		out.prefixes = append(out.prefixes, res.CommonPrefixes...)
		out.entries = append(out.entries, entries...)
		if len(entries) > 0 {
			require.Equal(t, entries[len(entries)-1], res.Next)
		}
		if !res.Truncated {
			return out
		}
		require.Len(t, entries, page, "a truncated page is full")
		require.Less(t, out.pages, 100_000, "listing does not end")
		in.After = res.Next
	}
}

// mergeEntries returns a page's keys and common prefixes merged in byte order.
func mergeEntries(res ListKeysResult) []string {
	out := entryKeys(res)
	out = append(out, res.CommonPrefixes...)
	sort.Strings(out)
	return out
}

func entryKeys(res ListKeysResult) []string {
	out := []string{}
	for _, e := range res.Objects {
		out = append(out, e.Key)
	}
	return out
}

// listModel is S3's listing, written the obvious way over a sorted slice of every key: what
// ListKeys must return for in.
func listModel(keys []string, in ListKeysInput) (objs, prefixes []string, truncated bool) {
	return listModelLimit(keys, in, min(max(in.Limit, 0), MaxListKeys))
}

// listModelAll is the whole listing, of any length, that pages of ListKeys add up to.
func listModelAll(keys []string, prefix, delim string) (objs, prefixes []string) {
	objs, prefixes, _ = listModelLimit(keys, ListKeysInput{Prefix: prefix, Delimiter: delim}, len(keys))
	return objs, prefixes
}

func listModelLimit(keys []string, in ListKeysInput, limit int) (objs, prefixes []string, truncated bool) {
	// After names a common prefix if folding it as a key gives itself.
	afterIsPrefix := false
	if in.After != "" && in.Delimiter != "" && strings.HasPrefix(in.After, in.Prefix) {
		i := strings.Index(in.After[len(in.Prefix):], in.Delimiter)
		afterIsPrefix = i >= 0 && len(in.Prefix)+i+len(in.Delimiter) == len(in.After)
	}
	n := 0
	seen := map[string]bool{}
	objs, prefixes = []string{}, []string{}
	for _, k := range keys {
		if !strings.HasPrefix(k, in.Prefix) || k <= in.After || afterIsPrefix && strings.HasPrefix(k, in.After) {
			continue
		}
		entry, isPrefix := k, false
		if in.Delimiter != "" {
			if i := strings.Index(k[len(in.Prefix):], in.Delimiter); i >= 0 {
				entry, isPrefix = k[:len(in.Prefix)+i+len(in.Delimiter)], true
			}
		}
		if isPrefix && seen[entry] {
			continue
		}
		if n == limit {
			return objs, prefixes, true
		}
		n++
		if isPrefix {
			seen[entry] = true
			prefixes = append(prefixes, entry)
		} else {
			objs = append(objs, entry)
		}
	}
	return objs, prefixes, false
}

// listFixtureKeys are the keys of TestListKeys, in byte order.
var listFixtureKeys = []string{
	"/x", "a", "a-b/1", "a.txt", "a/", "a//1", "a/1", "a/b/1", "a/b/2", "a/c/1", "ab", "b::c::d", "b::c::e",
	"b::x", "b:y", "c", "d/e/f/g", "d/e/h", "日本/a", "日本/b/c", "日本語",
}

func TestListKeys(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	b := te.bucket(t, "b")
	for _, key := range listFixtureKeys {
		te.put(t, b.ID, key, nil)
	}
	te.put(t, te.bucket(t, "other").ID, "a/zz", nil)
	all := slices.Clone(listFixtureKeys)
	sort.Strings(all)
	require.Equal(t, listFixtureKeys, all, "fixture in byte order")

	for _, tc := range []struct {
		name      string
		in        ListKeysInput
		objs      []string
		prefixes  []string
		truncated bool
	}{
		{"all", ListKeysInput{Limit: 1000}, all, nil, false},
		{"prefix", ListKeysInput{Prefix: "a/", Limit: 1000}, []string{"a/", "a//1", "a/1", "a/b/1", "a/b/2", "a/c/1"}, nil, false},
		{"prefix crosses packages", ListKeysInput{Prefix: "a", Limit: 1000}, all[1:11], nil, false},
		{"prefix is a key", ListKeysInput{Prefix: "a.txt", Limit: 1000}, []string{"a.txt"}, nil, false},
		{"prefix matches nothing", ListKeysInput{Prefix: "zz", Limit: 1000}, nil, nil, false},
		{
			"delimiter at top", ListKeysInput{Delimiter: "/", Limit: 1000},
			[]string{"a", "a.txt", "ab", "b::c::d", "b::c::e", "b::x", "b:y", "c", "日本語"},
			[]string{"/", "a-b/", "a/", "d/", "日本/"}, false,
		},
		{
			"delimiter under prefix", ListKeysInput{Prefix: "a/", Delimiter: "/", Limit: 1000},
			[]string{"a/", "a/1"}, []string{"a//", "a/b/", "a/c/"}, false,
		},
		{
			"delimiter under partial prefix", ListKeysInput{Prefix: "a", Delimiter: "/", Limit: 1000},
			[]string{"a", "a.txt", "ab"}, []string{"a-b/", "a/"}, false,
		},
		{
			"nested", ListKeysInput{Prefix: "d/", Delimiter: "/", Limit: 1000}, nil, []string{"d/e/"}, false,
		},
		{
			"multi-byte delimiter", ListKeysInput{Prefix: "b", Delimiter: "::", Limit: 1000},
			[]string{"b:y"}, []string{"b::"}, false,
		},
		{
			"multi-byte delimiter under prefix", ListKeysInput{Prefix: "b::", Delimiter: "::", Limit: 1000},
			[]string{"b::x"}, []string{"b::c::"}, false,
		},
		{
			"multi-byte UTF-8 delimiter", ListKeysInput{Delimiter: "本", Limit: 1000},
			[]string{"/x", "a", "a-b/1", "a.txt", "a/", "a//1", "a/1", "a/b/1", "a/b/2", "a/c/1", "ab", "b::c::d", "b::c::e", "b::x", "b:y", "c", "d/e/f/g", "d/e/h"},
			[]string{"日本"}, false,
		},
		{"delimiter not present", ListKeysInput{Prefix: "c", Delimiter: "|", Limit: 1000}, []string{"c"}, nil, false},
		{"after a key", ListKeysInput{After: "a/b/1", Limit: 3}, []string{"a/b/2", "a/c/1", "ab"}, nil, true},
		{"after a missing key", ListKeysInput{After: "a/a", Limit: 2}, []string{"a/b/1", "a/b/2"}, nil, true},
		{"after a prefix", ListKeysInput{Delimiter: "/", After: "a/", Limit: 2}, []string{"ab", "b::c::d"}, nil, true},
		{"after a prefix under prefix", ListKeysInput{Prefix: "a/", Delimiter: "/", After: "a/b/", Limit: 10}, []string{}, []string{"a/c/"}, false},
		{"after a key equal to the prefix", ListKeysInput{Prefix: "a/", Delimiter: "/", After: "a/", Limit: 10}, []string{"a/1"}, []string{"a//", "a/b/", "a/c/"}, false},
		{"after a key inside a prefix", ListKeysInput{Delimiter: "/", After: "a/b/1", Limit: 2}, []string{"ab"}, []string{"a/"}, true},
		{"after below prefix", ListKeysInput{Prefix: "d/", After: "c", Limit: 10}, []string{"d/e/f/g", "d/e/h"}, nil, false},
		{"after beyond prefix", ListKeysInput{Prefix: "a/", After: "b", Limit: 10}, nil, nil, false},
		{"after the last key", ListKeysInput{After: "日本語", Limit: 10}, nil, nil, false},
		{"limit 1", ListKeysInput{Limit: 1}, []string{"/x"}, nil, true},
		{"limit 1 prefix first", ListKeysInput{Delimiter: "/", Limit: 1}, nil, []string{"/"}, true},
		{"limit exactly fits", ListKeysInput{Prefix: "d/", Limit: 2}, []string{"d/e/f/g", "d/e/h"}, nil, false},
		{"limit 0", ListKeysInput{}, nil, nil, true},
		{"negative limit", ListKeysInput{Limit: -5}, nil, nil, true},
		{"limit 0 nothing matches", ListKeysInput{Prefix: "zz"}, nil, nil, false},
		{"limit 0 with delimiter", ListKeysInput{Prefix: "d/", Delimiter: "/"}, nil, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.Bucket = b.ID
			res, err := te.ListKeys(ctx, in)
			require.NoError(t, err)
			require.Equal(t, orEmpty(tc.objs), entryKeys(res), "objects")
			require.Equal(t, tc.prefixes, res.CommonPrefixes, "common prefixes")
			require.Equal(t, tc.truncated, res.Truncated, "truncated")
			mo, mp, mt := listModel(all, in)
			require.Equal(t, mo, entryKeys(res), "model objects")
			require.Equal(t, orEmpty(mp), orEmpty(res.CommonPrefixes), "model prefixes")
			require.Equal(t, mt, res.Truncated, "model truncated")
			if entries := mergeEntries(res); len(entries) > 0 {
				require.Equal(t, entries[len(entries)-1], res.Next)
			}
		})
	}
	_, err := te.ListKeys(ctx, ListKeysInput{Bucket: 9999, Limit: 10})
	requireKind(t, KindNotFound, err)
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// TestListKeysByteOrderAcrossPackages lists 2500 keys spread over packages and the root
// package, named so that the order of package names differs from the order of keys ("a-b" <
// "a" + "/"), in pages of several sizes: every listing returns the keys in pure byte order.
func TestListKeysByteOrderAcrossPackages(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	b := te.bucket(t, "b")
	var want []string
	pkgNames := []string{"a", "a-b", "a.b", "a0", "ab", "日本", "Z", "~"}
	for i, name := range pkgNames {
		p, err := te.CreatePackage(ctx, b.ID, name)
		require.NoError(t, err)
		var pairs []any
		for j := range 250 {
			path := fmt.Sprintf("%d/%03d", j%5, j)
			if j%50 == 0 {
				path = fmt.Sprintf("!%d", j) // '!' sorts before '/' and digits
			}
			if j%70 == 1 {
				path = fmt.Sprintf("/lead%d", j)
			}
			pairs = append(pairs, path, []byte{})
			want = append(want, name+"/"+path)
		}
		if i%2 == 0 { // half by /v1 in one batch, half by key
			te.upload(t, p.ID, pairs...)
		} else {
			for k := 0; k < len(pairs); k += 2 {
				te.put(t, b.ID, name+"/"+pairs[k].(string), nil)
			}
		}
	}
	for j := range 500 - 5 {
		key := fmt.Sprintf("r%04d", j)
		switch j % 6 {
		case 1:
			key = fmt.Sprintf("a.txt%d", j)
		case 2:
			key = fmt.Sprintf("a-%d", j)
		case 3:
			key = fmt.Sprintf("/%d", j)
		case 4:
			key = fmt.Sprintf("a/%d", j) // package "a", written by key
		}
		te.put(t, b.ID, key, nil)
		want = append(want, key)
	}
	for _, key := range []string{"a", "a-b", "a.txt", "a/", "a0/"} {
		te.put(t, b.ID, key, nil)
		want = append(want, key)
	}
	sort.Strings(want)
	require.Len(t, want, 2500)
	require.Len(t, slices.Compact(slices.Clone(want)), 2500, "keys are distinct")

	for _, page := range []int{1000, 999, 333, 7, 1} {
		t.Run(fmt.Sprint(page), func(t *testing.T) {
			got := listAll(t, te, ListKeysInput{Bucket: b.ID}, page)
			require.Equal(t, want, got.keys)
			require.Empty(t, got.prefixes)
			require.Equal(t, (2500+page-1)/page, got.pages)
		})
	}
	t.Run("limit above max", func(t *testing.T) {
		res, err := te.ListKeys(ctx, ListKeysInput{Bucket: b.ID, Limit: 5000})
		require.NoError(t, err)
		require.Len(t, res.Objects, MaxListKeys)
		require.True(t, res.Truncated)
		require.Equal(t, want[:MaxListKeys], entryKeys(res))
	})
	t.Run("delimiter", func(t *testing.T) {
		for _, in := range []ListKeysInput{
			{Bucket: b.ID, Delimiter: "/"},
			{Bucket: b.ID, Prefix: "a/", Delimiter: "/"},
			{Bucket: b.ID, Prefix: "a", Delimiter: "/"},
			{Bucket: b.ID, Prefix: "a-b/", Delimiter: "/"},
			{Bucket: b.ID, Prefix: "日本/1/", Delimiter: "/"},
			{Bucket: b.ID, Delimiter: "0"},
		} {
			for _, page := range []int{1000, 3, 1} {
				got := listAll(t, te, in, page)
				mo, mp := listModelAll(want, in.Prefix, in.Delimiter)
				require.Equal(t, mo, orEmpty(got.keys), "prefix %q delimiter %q page %d", in.Prefix, in.Delimiter, page)
				require.Equal(t, mp, orEmpty(got.prefixes), "prefix %q delimiter %q page %d", in.Prefix, in.Delimiter, page)
				require.True(t, slices.IsSorted(got.entries))
			}
		}
	})
}

// TestListKeysModel compares ListKeys with listModel on random keys over a small alphabet
// (so that delimiters, shared prefixes and package boundaries are frequent) and random
// queries, single pages and whole paginations.
func TestListKeysModel(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	b := te.bucket(t, "b")
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "b", "/", "-", ".", "日", "::", ":"}
	randStr := func(maxLen int) string {
		var s strings.Builder
		for range 1 + rng.IntN(maxLen) {
			s.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		return s.String()
	}
	set := map[string]bool{}
	for len(set) < 400 {
		set[randStr(7)] = true
	}
	var keys []string
	for k := range set {
		keys = append(keys, k)
		te.put(t, b.ID, k, nil)
	}
	sort.Strings(keys)
	require.Equal(t, keys, listAll(t, te, ListKeysInput{Bucket: b.ID}, 1000).keys)

	delims := []string{"", "/", "::", ":", "日", "a", "/a"}
	for i := range 600 {
		in := ListKeysInput{Bucket: b.ID, Delimiter: delims[rng.IntN(len(delims))], Limit: rng.IntN(12)}
		switch rng.IntN(3) {
		case 1:
			in.Prefix = randStr(3)
		case 2: // a prefix of a key, often the whole key
			k := keys[rng.IntN(len(keys))]
			in.Prefix = k[:max(len(k)-rng.IntN(3), 0)]
			if !utf8.ValidString(in.Prefix) {
				in.Prefix = k
			}
		}
		switch rng.IntN(3) {
		case 1:
			in.After = randStr(5)
		case 2:
			in.After = keys[rng.IntN(len(keys))]
		}
		res, err := te.ListKeys(ctx, in)
		require.NoError(t, err)
		mo, mp, mt := listModel(keys, in)
		require.Equal(t, mo, entryKeys(res), "query %d: %+v", i, in)
		require.Equal(t, mp, orEmpty(res.CommonPrefixes), "query %d: %+v", i, in)
		require.Equal(t, mt, res.Truncated, "query %d: %+v", i, in)
		if in.Limit > 0 && i%3 == 0 {
			in.After = ""
			got := listAll(t, te, in, in.Limit)
			mo, mp := listModelAll(keys, in.Prefix, in.Delimiter)
			require.Equal(t, mo, orEmpty(got.keys), "paged query %d: %+v", i, in)
			require.Equal(t, mp, orEmpty(got.prefixes), "paged query %d: %+v", i, in)
		}
	}
}

// TestListKeysResumeAfterMarkerObject pages, one entry at a time, through a "folder" whose
// marker object's key is the listing's prefix and ends with the delimiter (S3 consoles create
// "dir/" objects). Resuming after that key must not skip the folder's contents as if the key
// were a common prefix; likewise for a key whose multi-byte delimiter overlaps the prefix.
func TestListKeysResumeAfterMarkerObject(t *testing.T) {
	te := newTestEngine(t)
	b := te.bucket(t, "b")
	for _, key := range []string{"dir/", "dir/a", "dir/b/c", "dir/d", "a:", "a::", "a::x", "a:::y"} {
		te.put(t, b.ID, key, nil)
	}
	for _, tc := range []struct {
		prefix, delim string
		want          []string
	}{
		{"dir/", "/", []string{"dir/", "dir/a", "dir/b/", "dir/d"}},
		{"a:", "::", []string{"a:", "a::", "a:::", "a::x"}},
	} {
		t.Run(tc.prefix, func(t *testing.T) {
			for _, page := range []int{1, 2, 1000} {
				got := listAll(t, te, ListKeysInput{Bucket: b.ID, Prefix: tc.prefix, Delimiter: tc.delim}, page)
				require.Equal(t, tc.want, got.entries, "page size %d", page)
			}
		})
	}
}

// TestListKeysEntries: each listed entry carries its object, as StatObject returns it.
func TestListKeysEntries(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	b := te.bucket(t, "b")
	want := map[string]Object{}
	for i, key := range []string{"p/a", "p/b", "root", "q/x/y"} {
		o, err := te.PutObject(ctx, PutObjectInput{Bucket: b.ID, Key: key, Body: bytes.NewReader(randomBytes(uint64(i), 100*i)),
			Size: -1, Attrs: Attributes{ContentType: key}, Tags: map[string]string{"i": fmt.Sprint(i)}})
		require.NoError(t, err)
		want[key] = o
	}
	res, err := te.ListKeys(ctx, ListKeysInput{Bucket: b.ID, Limit: 10})
	require.NoError(t, err)
	require.Len(t, res.Objects, 4)
	for _, e := range res.Objects {
		requireSameObject(t, want[e.Key], e.Object)
	}
}

// TestListKeysCommonPrefixSeek folds many keys under one common prefix: a page of one entry
// is that prefix, and the next page resumes past all of its keys.
func TestListKeysCommonPrefixSeek(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	b := te.bucket(t, "b")
	p, err := te.CreatePackage(ctx, b.ID, "big")
	require.NoError(t, err)
	var pairs []any
	for i := range 3000 {
		pairs = append(pairs, fmt.Sprintf("%05d", i), []byte{})
	}
	te.upload(t, p.ID, pairs...)
	te.put(t, b.ID, "big", nil)
	te.put(t, b.ID, "bigger/x", nil)
	te.put(t, b.ID, "a", nil)

	got := listAll(t, te, ListKeysInput{Bucket: b.ID, Delimiter: "/"}, 1)
	require.Equal(t, []string{"a", "big", "big/", "bigger/"}, got.entries)
	require.Equal(t, 4, got.pages)
	res, err := te.ListKeys(ctx, ListKeysInput{Bucket: b.ID, Delimiter: "/", After: "big/", Limit: 10})
	require.NoError(t, err)
	require.Empty(t, res.Objects)
	require.Equal(t, []string{"bigger/"}, res.CommonPrefixes)
	require.False(t, res.Truncated)
}

// TestKeyRecordsRaw checks the key index directly: one entry per readable object, each
// naming its package and pointing at an object that exists.
func TestKeyRecordsRaw(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	b := te.bucket(t, "b")
	for _, key := range trickyKeys {
		te.put(t, b.ID, key, nil)
	}
	stem := kv.Key(kv.PrefixObjectKey).Uint64(uint64(b.ID))
	var got []string
	require.NoError(t, te.store.View(ctx, func(r kv.Reader) error {
		return scanPrefix(r, stem, func(k, v []byte) error {
			key := string(k[len(stem):])
			got = append(got, key)
			id, err := decodeID(v)
			require.NoError(t, err)
			pkg, err := getPackage(r, PackageID(id))
			require.NoError(t, err)
			name, path := SplitKey(key)
			require.Equal(t, name, pkg.Name, "key %q", key)
			_, ok, err := lookupObject(r, pkg.ID, path)
			require.NoError(t, err)
			require.True(t, ok, "key %q", key)
			return nil
		})
	}))
	want := slices.Clone(trickyKeys)
	sort.Strings(want)
	require.Equal(t, want, got)
	require.True(t, utf8.ValidString(strings.Join(got, "")))
}
