package engine

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"hash"
	"hash/fnv"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/cryptotest"
	"time"

	"github.com/cockroachdb/datadriven"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space/faultspace"
	"github.com/jointcloud/jcs/erasure"
)

// TestScenarios runs the engine scenarios in testdata/engine, each file on a fresh engine
// with six spaces s1..s6. Blob IDs come from crypto/rand, which the test seeds, so placement
// and therefore the output are reproducible. Commands:
//
//	create bucket=<name> package=<name>
//	  creates the bucket if needed and the package, which later commands use.
//	upload path=<path> size=<n> [break-at=<n>]    or    upload  with lines "<path> <size>"
//	  uploads one file (or a batch) of pseudo-random content; break-at makes the body fail
//	  after that many bytes. Prints each object's ID, size, redundancy and spaces, or the
//	  error's kind.
//	read path=<path> [off=<n> len=<n>]
//	  reads the object (or a range), compares it with what was uploaded, and prints how
//	  many degraded reads that took.
//	fail space=<sN> [op=<op>]    or    fail path=<path> shard=<i> [op=<op>]
//	  makes op (put, open, readat, delete, list or all; default all for a space, open for a
//	  shard) fail on a whole space or on one shard of an object.
//	corrupt space=<sN>    or    corrupt path=<path> shard=<i>
//	  flips bytes of the first block of every shard on a space, or of one shard.
//	clear [space=<sN>]
//	  removes faults.
//	delete path=<path>    or    delete path=(<path>,<path>,...)    or    delete package=<name>
//	collect [sweep]
//	  runs CollectGarbage (with a sweep of everything older than an hour from now) and
//	  prints what it did and the shard files left on each space.
//	list [prefix=<p>] [delim] [max=<n>]
//	  lists the current package, page by page.
//	reopen
//	  restarts the engine over the same index and spaces.
//
// Regenerate the expected output with -rewrite.
func TestScenarios(t *testing.T) {
	datadriven.Walk(t, "testdata/engine", func(t *testing.T, path string) {
		cryptotest.SetGlobalRandom(t, 1)
		s := &scenario{te: newTestEngine(t), pkgs: map[string]Package{}, content: map[string][]byte{}}
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			return s.run(t, d)
		})
	})
}

type scenario struct {
	te      *testEngine
	pkgs    map[string]Package
	pkg     Package
	content map[string][]byte // by package ID and path
}

func (s *scenario) key(path string) string { return fmt.Sprintf("%d/%s", s.pkg.ID, path) }

func (s *scenario) run(t *testing.T, d *datadriven.TestData) string {
	ctx := t.Context()
	switch d.Cmd {
	case "create":
		var bucket, pkg string
		d.ScanArgs(t, "bucket", &bucket)
		d.ScanArgs(t, "package", &pkg)
		b, err := s.te.GetBucketByName(ctx, bucket)
		if KindOf(err) == KindNotFound {
			b, err = s.te.CreateBucket(ctx, CreateBucketInput{Name: bucket})
		}
		if err != nil {
			return errorLine(err)
		}
		p, err := s.te.CreatePackage(ctx, b.ID, pkg)
		if err != nil {
			return errorLine(err)
		}
		s.pkgs[pkg], s.pkg = p, p
		return fmt.Sprintf("bucket %s: id=%d\npackage %s: id=%d\n", bucket, b.ID, pkg, p.ID)
	case "upload":
		return s.upload(t, d)
	case "read":
		return s.read(t, d)
	case "fail", "corrupt":
		return s.fault(t, d)
	case "clear":
		if d.HasArg("space") {
			s.space(t, d).Clear()
			s.te.forgetFailures()
		} else {
			s.te.clearFaults()
		}
		return "ok\n"
	case "delete":
		if d.HasArg("package") {
			var name string
			d.ScanArgs(t, "package", &name)
			if err := s.te.DeletePackage(ctx, s.pkgs[name].ID); err != nil {
				return errorLine(err)
			}
			return "ok\n"
		}
		var ids []ObjectID
		for _, path := range argValues(t, d, "path") {
			o, err := s.te.GetObjectByPath(ctx, s.pkg.ID, path)
			if err != nil {
				return errorLine(err)
			}
			ids = append(ids, o.ID)
		}
		if err := s.te.DeleteObjects(ctx, ids); err != nil {
			return errorLine(err)
		}
		return "ok\n"
	case "collect":
		var before time.Time
		if d.HasArg("sweep") {
			before = time.Now().Add(time.Hour)
		}
		st, err := s.te.CollectGarbage(ctx, before)
		out := fmt.Sprintf("collected blobs=%d orphans=%d\n", st.Blobs, st.Orphans)
		if err != nil {
			out += errorLine(err)
		}
		return out + s.shards(t)
	case "list":
		return s.list(t, d)
	case "reopen":
		s.te.reopen(t)
		return "ok\n"
	}
	d.Fatalf(t, "unknown command %q", d.Cmd)
	return ""
}

// errorLine prints an error by its kind only, so that wording changes do not churn the
// expected output.
func errorLine(err error) string { return "error: " + KindOf(err).String() + "\n" }

func argValues(t *testing.T, d *datadriven.TestData, key string) []string {
	arg, ok := d.Arg(key)
	if !ok {
		d.Fatalf(t, "missing argument %q", key)
	}
	return arg.Vals
}

// contentFor is the pseudo-random content of an upload: the same for the same path and size.
func contentFor(path string, size int) []byte {
	h := fnv.New64a()
	h.Write([]byte(path))
	return randomBytes(h.Sum64(), size)
}

func (s *scenario) upload(t *testing.T, d *datadriven.TestData) string {
	type file struct {
		path          string
		size, breakAt int
	}
	var fs []file
	if d.HasArg("path") {
		f := file{breakAt: -1}
		d.ScanArgs(t, "path", &f.path)
		d.ScanArgs(t, "size", &f.size)
		d.MaybeScanArgs(t, "break-at", &f.breakAt)
		fs = append(fs, f)
	}
	for line := range strings.SplitSeq(strings.TrimSpace(d.Input), "\n") {
		if line == "" {
			continue
		}
		var f file
		_, err := fmt.Sscanf(line, "%s %d", &f.path, &f.size)
		require.NoError(t, err, "line %q", line)
		f.breakAt = -1
		fs = append(fs, f)
	}
	var ufs []UploadFile
	for _, f := range fs {
		c := contentFor(f.path, f.size)
		var body io.Reader = bytes.NewReader(c)
		if f.breakAt >= 0 {
			body = &failingReader{data: c[:f.breakAt], err: errBody}
		}
		ufs = append(ufs, UploadFile{Path: f.path, Body: body, Size: -1})
	}
	objs, err := s.te.UploadObjects(t.Context(), UploadInput{PackageID: s.pkg.ID}, fileList(ufs...))
	if err != nil {
		return errorLine(err)
	}
	var out strings.Builder
	for i, o := range objs {
		s.content[s.key(o.Path)] = contentFor(fs[i].path, fs[i].size)
		fmt.Fprintf(&out, "%s: id=%d size=%d %s", o.Path, o.ID, o.Size, o.Redundancy)
		for _, b := range s.te.layouts(t, o.ID) {
			out.WriteString(" on")
			for _, sp := range b.Spaces {
				fmt.Fprintf(&out, " s%d", sp)
			}
		}
		out.WriteString("\n")
	}
	return out.String()
}

func (s *scenario) read(t *testing.T, d *datadriven.TestData) string {
	var path string
	d.ScanArgs(t, "path", &path)
	before := s.te.Metrics().DegradedReads
	r, err := s.te.OpenObjectByPath(t.Context(), s.pkg.ID, path)
	if err != nil {
		return errorLine(err)
	}
	defer r.Close()
	off, n := int64(0), r.Object.Size
	d.MaybeScanArgs(t, "off", &off)
	d.MaybeScanArgs(t, "len", &n)
	var buf bytes.Buffer
	_, err = r.WriteRange(&buf, off, n)
	degraded := s.te.Metrics().DegradedReads - before
	if err != nil {
		return fmt.Sprintf("%sdegraded reads: +%d\n", errorLine(err), degraded)
	}
	want := s.content[s.key(path)]
	verdict := "match"
	if !bytes.Equal(want[off:off+n], buf.Bytes()) {
		verdict = "MISMATCH"
	}
	return fmt.Sprintf("%d bytes, %s\ndegraded reads: +%d\n", buf.Len(), verdict, degraded)
}

func (s *scenario) space(t *testing.T, d *datadriven.TestData) *faultspace.Space {
	var name string
	d.ScanArgs(t, "space", &name)
	id, err := strconv.Atoi(strings.TrimPrefix(name, "s"))
	require.NoError(t, err, "space %q", name)
	sp, ok := s.te.spaces[SpaceID(id)]
	require.True(t, ok, "no space %q", name)
	return sp
}

var opNames = map[string]faultspace.Op{
	"put": faultspace.OpPut, "open": faultspace.OpOpen, "readat": faultspace.OpReadAt,
	"delete": faultspace.OpDelete, "list": faultspace.OpList, "all": faultspace.OpAll,
}

// fault handles fail and corrupt, on a whole space or on one shard of an object.
func (s *scenario) fault(t *testing.T, d *datadriven.TestData) string {
	var sp *faultspace.Space
	var match func(string) bool
	op := "all"
	if d.HasArg("space") {
		sp = s.space(t, d)
	} else {
		var path string
		var shard int
		d.ScanArgs(t, "path", &path)
		d.ScanArgs(t, "shard", &shard)
		o, err := s.te.GetObjectByPath(t.Context(), s.pkg.ID, path)
		require.NoError(t, err)
		var name string
		sp, name = s.te.shardSpace(t, o.ID, shard)
		match, op = faultspace.Name(name), "open"
	}
	if d.Cmd == "corrupt" {
		sp.Corrupt(match, erasure.HeaderSize, 16)
		return "ok\n"
	}
	d.MaybeScanArgs(t, "op", &op)
	o, ok := opNames[op]
	require.True(t, ok, "unknown op %q", op)
	sp.Fail(o, match, nil)
	return "ok\n"
}

// shards prints the shard files on each space.
func (s *scenario) shards(t *testing.T) string {
	var ids []SpaceID
	for id := range s.te.mem {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var out strings.Builder
	total := 0
	out.WriteString("shards:")
	for _, id := range ids {
		infos, _, err := s.te.mem[id].List(t.Context(), shardPrefix, "", 100000)
		require.NoError(t, err)
		fmt.Fprintf(&out, " s%d=%d", id, len(infos))
		total += len(infos)
	}
	fmt.Fprintf(&out, " total=%d\n", total)
	return out.String()
}

func (s *scenario) list(t *testing.T, d *datadriven.TestData) string {
	in := ListObjectsInput{PackageID: s.pkg.ID, IsPrefix: true, NoRecursive: d.HasArg("delim")}
	d.MaybeScanArgs(t, "prefix", &in.Path)
	d.MaybeScanArgs(t, "max", &in.MaxKeys)
	var out strings.Builder
	for page := 1; ; page++ {
		res, err := s.te.ListObjects(t.Context(), in)
		if err != nil {
			return errorLine(err)
		}
		if in.MaxKeys > 0 {
			fmt.Fprintf(&out, "page %d:\n", page)
		}
		for _, o := range res.Objects {
			fmt.Fprintf(&out, "  %s size=%d %s\n", o.Path, o.Size, o.Redundancy)
		}
		for _, p := range res.CommonPrefixes {
			fmt.Fprintf(&out, "  %s (prefix)\n", p)
		}
		if !res.IsTruncated {
			break
		}
		in.ContinuationToken = res.NextContinuationToken
	}
	if out.Len() == 0 {
		return "(empty)\n"
	}
	return out.String()
}

// hashWriter records the SHA-256 of what is written to it.
type hashWriter struct{ h hash.Hash }

func (w hashWriter) Write(p []byte) (int, error) { return w.h.Write(p) }

// TestConcurrentUploadsSamePath races uploads to one path, with collection running: every
// upload succeeds and keeps the object's ID, and afterwards the object holds one of the
// uploaded contents and only its data is left on the spaces.
func TestConcurrentUploadsSamePath(t *testing.T) {
	te := newTestEngine(t, withBackgroundGC())
	p := te.pkg(t)
	const workers, rounds = 8, 6
	uploaded := map[[32]byte]bool{}
	var mu sync.Mutex
	ids := map[ObjectID]bool{}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range rounds {
				size := []int{0, 100, 5000, 40_000}[(w+i)%4]
				c := randomBytes(uint64(w*100+i), size)
				objs, err := te.UploadObjects(t.Context(), UploadInput{PackageID: p.ID}, files("same", c))
				if !assert.NoError(t, err) {
					return
				}
				mu.Lock()
				uploaded[sha256.Sum256(c)] = true
				ids[objs[0].ID] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	require.Len(t, ids, 1, "every upload to the path keeps its ID")

	o := te.getPath(t, p.ID, "same")
	got := te.read(t, o.ID)
	require.True(t, uploaded[sha256.Sum256(got)], "the object holds one of the uploads")
	require.Equal(t, sha256.Sum256(got), o.SHA256)
	te.collect(t)
	require.Equal(t, te.shardsFor(t, o), te.shardCount(t))
	_, queued, _ := te.indexCounts(t)
	require.Zero(t, queued)
}

// TestConcurrentMixed runs uploaders on their own paths, readers and deleters on shared ones,
// and collection, all at once. Every read that opens returns exactly the content whose hash
// its object records, even when the object is deleted and collected meanwhile; afterwards
// every object reads back exactly and the spaces hold exactly the live objects' shards.
func TestConcurrentMixed(t *testing.T) {
	te := newTestEngine(t, withBackgroundGC())
	ctx := t.Context()
	p := te.pkg(t)
	const workers, rounds = 4, 8
	shared := []string{"s0", "s1", "s2"}
	sizes := []int{1, 900, 17_000, 40_000}

	var wg sync.WaitGroup
	want := make([]map[string][]byte, workers)
	for w := range workers {
		want[w] = map[string][]byte{}
		wg.Go(func() { // uploader: own paths, some replaced, some deleted
			for i := range rounds {
				path := fmt.Sprintf("w%d/%d", w, i%5)
				c := randomBytes(uint64(w*1000+i), sizes[i%len(sizes)])
				objs, err := te.UploadObjects(ctx, UploadInput{PackageID: p.ID}, files(path, c, shared[i%3], c))
				if !assert.NoError(t, err) {
					return
				}
				want[w][path] = c
				if i%4 == 3 {
					if !assert.NoError(t, te.DeleteObjects(ctx, []ObjectID{objs[0].ID})) {
						return
					}
					delete(want[w], path)
				}
			}
		})
		wg.Go(func() { // reader of shared paths
			for i := range rounds * 3 {
				r, err := te.OpenObjectByPath(ctx, p.ID, shared[(w+i)%3])
				if KindOf(err) == KindNotFound {
					continue
				}
				if !assert.NoError(t, err) {
					return
				}
				h := hashWriter{sha256.New()}
				_, err = r.WriteTo(h)
				assert.NoError(t, err)
				assert.Equal(t, r.Object.SHA256[:], h.h.Sum(nil), "a reader sees one consistent version")
				assert.NoError(t, r.Close())
			}
		})
	}
	wg.Go(func() { // deleter of shared paths
		for i := range rounds * 2 {
			o, err := te.GetObjectByPath(ctx, p.ID, shared[i%3])
			if err == nil {
				assert.NoError(t, te.DeleteObjects(ctx, []ObjectID{o.ID}))
			}
		}
	})
	wg.Go(func() { // explicit collection alongside the background collector
		for range rounds {
			_, err := te.CollectGarbage(ctx, time.Time{})
			assert.NoError(t, err)
		}
	})
	wg.Wait()
	if t.Failed() {
		return
	}

	var live []Object
	for w := range workers {
		for path, c := range want[w] {
			o := te.getPath(t, p.ID, path)
			require.Equal(t, c, te.read(t, o.ID), path)
			live = append(live, o)
		}
	}
	for _, path := range shared {
		if o, err := te.GetObjectByPath(ctx, p.ID, path); err == nil {
			got := te.read(t, o.ID)
			require.Equal(t, o.SHA256, sha256.Sum256(got), path)
			live = append(live, o)
		}
	}
	res, err := te.ListObjects(ctx, ListObjectsInput{PackageID: p.ID, IsPrefix: true})
	require.NoError(t, err)
	require.Len(t, res.Objects, len(live), "no object left that should not be")
	te.collect(t)
	require.Equal(t, te.shardsFor(t, live...), te.shardCount(t))
	require.Empty(t, te.blobs.staged)
	require.Empty(t, te.blobs.pinned)
}
