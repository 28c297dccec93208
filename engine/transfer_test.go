package engine

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space"
	"github.com/jointcloud/jcs/engine/space/memspace"
)

// withFiles gives every user space a plain-file view in memory, returned in views.
func withFiles(views map[SpaceID]*memspace.Files) testOption {
	return withOptions(func(o *Options) {
		o.OpenFiles = func(_ context.Context, us UserSpace) (space.Files, error) {
			if views[us.ID] == nil {
				views[us.ID] = memspace.NewFiles()
			}
			return views[us.ID], nil
		}
	})
}

func writeFile(t *testing.T, f space.Files, p string, data []byte) {
	t.Helper()
	require.NoError(t, f.WriteFile(t.Context(), p, bytes.NewReader(data), int64(len(data))))
}

func readFile(t *testing.T, f space.Files, p string) []byte {
	t.Helper()
	r, _, err := f.OpenFile(t.Context(), p)
	require.NoError(t, err)
	defer r.Close()
	b, err := io.ReadAll(r)
	require.NoError(t, err)
	return b
}

// TestImportExport: a directory tree of a space becomes a package (paths relative to the
// imported directory, everything erasure-coded as uploads are), and exporting it to another
// place writes the same files back.
func TestImportExport(t *testing.T) {
	views := map[SpaceID]*memspace.Files{}
	te := newTestEngine(t, withFiles(views))
	ctx := t.Context()
	src := SpaceID(2)
	views[src] = memspace.NewFiles()
	tree := map[string][]byte{
		"data/in/a.txt":       randomBytes(1, 10),
		"data/in/sub/b.bin":   randomBytes(2, 50_000),
		"data/in/sub/c/d.bin": randomBytes(3, 3000),
		"data/in/empty":       {},
		"data/other.txt":      randomBytes(4, 20), // outside the imported directory
	}
	for p, c := range tree {
		writeFile(t, views[src], p, c)
	}
	b, err := te.CreateBucket(ctx, CreateBucketInput{Name: "imports"})
	require.NoError(t, err)

	pkg, rep, err := te.ImportPackage(ctx, ImportPackageInput{Space: src, Path: "data/in", BucketID: b.ID, Name: "in", Affinity: 3})
	require.NoError(t, err)
	require.Empty(t, rep.Failed)
	require.Equal(t, 4, rep.Objects)
	for p, want := range map[string][]byte{"a.txt": tree["data/in/a.txt"], "sub/b.bin": tree["data/in/sub/b.bin"], "sub/c/d.bin": tree["data/in/sub/c/d.bin"], "empty": {}} {
		o, err := te.GetObjectByPath(ctx, pkg.ID, p)
		require.NoError(t, err, p)
		require.Equal(t, want, te.read(t, o.ID), p)
	}
	o, err := te.GetObjectByPath(ctx, pkg.ID, "sub/b.bin")
	require.NoError(t, err)
	require.Equal(t, RedundancyEC, o.Redundancy.Type)
	require.Equal(t, SpaceID(3), te.layouts(t, o.ID)[0].Spaces[0], "affinity space first")

	// A single file keeps its base name.
	one, _, err := te.ImportPackage(ctx, ImportPackageInput{Space: src, Path: "data/other.txt", BucketID: b.ID, Name: "one"})
	require.NoError(t, err)
	_, err = te.GetObjectByPath(ctx, one.ID, "other.txt")
	require.NoError(t, err)

	// Export to another space, under a root.
	dst := SpaceID(5)
	rep, err = te.ExportPackage(ctx, ExportPackageInput{Space: dst, Package: pkg.ID, RootPath: "out/x"})
	require.NoError(t, err)
	require.Empty(t, rep.Failed)
	require.Equal(t, 4, rep.Objects)
	require.Equal(t, tree["data/in/sub/b.bin"], readFile(t, views[dst], "out/x/sub/b.bin"))
	require.Equal(t, tree["data/in/a.txt"], readFile(t, views[dst], "out/x/a.txt"))
	require.Empty(t, readFile(t, views[dst], "out/x/empty"))

	// Missing paths and unsafe ones fail clearly.
	_, _, err = te.ImportPackage(ctx, ImportPackageInput{Space: src, Path: "nope", BucketID: b.ID, Name: "nope"})
	requireKind(t, KindNotFound, err)
	for _, bad := range []string{"../etc", "a/../../b", "x\x00y"} {
		_, _, err = te.ImportPackage(ctx, ImportPackageInput{Space: src, Path: bad, BucketID: b.ID, Name: "bad"})
		requireKind(t, KindInvalid, err)
		_, err = te.ExportPackage(ctx, ExportPackageInput{Space: dst, Package: pkg.ID, RootPath: bad})
		requireKind(t, KindInvalid, err)
	}
	// The engine's own files are never imported, nor written over by an export.
	_, _, err = te.ImportPackage(ctx, ImportPackageInput{Space: src, Path: "blobs", BucketID: b.ID, Name: "shards"})
	requireKind(t, KindInvalid, err)
	_, err = te.ExportPackage(ctx, ExportPackageInput{Space: dst, Package: pkg.ID, RootPath: "blobs/x"})
	requireKind(t, KindInvalid, err)
}

// TestExportUnsafeObjectPaths: objects whose paths cannot be files under the root fail alone;
// the others are exported and nothing lands outside the root.
func TestExportUnsafeObjectPaths(t *testing.T) {
	views := map[SpaceID]*memspace.Files{}
	te := newTestEngine(t, withFiles(views))
	ctx := t.Context()
	p := te.pkg(t)
	paths := []string{"ok/1", "../escape", "a/../../up", "a//b", "ok/2"}
	var next []UploadFile
	for i, path := range paths {
		next = append(next, UploadFile{Path: path, Body: bytes.NewReader(randomBytes(uint64(i), 100)), Size: 100})
	}
	_, err := te.UploadObjects(ctx, UploadInput{PackageID: p.ID}, fileList(next...))
	require.NoError(t, err, "object paths are stored verbatim")

	rep, err := te.ExportPackage(ctx, ExportPackageInput{Space: 1, Package: p.ID, RootPath: "root"})
	require.NoError(t, err)
	require.Equal(t, 2, rep.Objects)
	var failed []string
	for _, f := range rep.Failed {
		failed = append(failed, f.Path)
		require.Contains(t, f.Err, "unsafe", f.Path)
	}
	require.ElementsMatch(t, []string{"../escape", "a/../../up", "a//b"}, failed)
	var written []string
	require.NoError(t, views[1].Walk(ctx, "", func(f space.FileInfo) error {
		written = append(written, f.Path)
		return nil
	}))
	require.Equal(t, []string{"root/ok/1", "root/ok/2"}, written)
	require.Equal(t, randomBytes(4, 100), readFile(t, views[1], "root/ok/2"))
}
