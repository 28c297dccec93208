package engine

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/kv"
)

// bucket creates a bucket named name.
func (te *testEngine) bucket(t *testing.T, name string) Bucket {
	t.Helper()
	b, err := te.CreateBucket(t.Context(), CreateBucketInput{Name: name})
	require.NoError(t, err)
	return b
}

// put writes content at an S3 key, its size announced, and returns the object.
func (te *testEngine) put(t *testing.T, b BucketID, key string, content []byte) Object {
	t.Helper()
	o, err := te.PutObject(t.Context(), PutObjectInput{Bucket: b, Key: key, Body: bytes.NewReader(content), Size: int64(len(content))})
	require.NoError(t, err, "key %q", key)
	return o
}

// readKey returns the content at an S3 key, read with OpenKey.
func (te *testEngine) readKey(t *testing.T, b BucketID, key string) []byte {
	t.Helper()
	r, err := te.OpenKey(t.Context(), b, key)
	require.NoError(t, err, "key %q", key)
	defer func() { require.NoError(t, r.Close()) }()
	got, err := io.ReadAll(r)
	require.NoError(t, err)
	return got
}

// requireNoKey fails unless StatObject and OpenKey both find nothing at key.
func (te *testEngine) requireNoKey(t *testing.T, b BucketID, key string) {
	t.Helper()
	_, err := te.StatObject(t.Context(), b, key)
	requireKind(t, KindNotFound, err)
	_, err = te.OpenKey(t.Context(), b, key)
	requireKind(t, KindNotFound, err)
}

// rawCount returns how many index records start with prefix.
func (te *testEngine) rawCount(t *testing.T, prefix []byte) int {
	t.Helper()
	n := 0
	require.NoError(t, te.store.View(t.Context(), func(r kv.Reader) error {
		return scanPrefix(r, prefix, func(_, _ []byte) error { n++; return nil })
	}))
	return n
}

// keyIndexCount returns how many S3 key index entries bucket b has.
func (te *testEngine) keyIndexCount(t *testing.T, b BucketID) int {
	t.Helper()
	return te.rawCount(t, kv.Key(kv.PrefixObjectKey).Uint64(uint64(b)))
}

func md5Hex(b []byte) string {
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}

// requireSameObject compares two objects field by field, times by instant.
func requireSameObject(t *testing.T, want, got Object) {
	t.Helper()
	requireSameTime(t, want.CreateTime, got.CreateTime, "create time")
	requireSameTime(t, want.UpdateTime, got.UpdateTime, "update time")
	want.CreateTime, want.UpdateTime, got.CreateTime, got.UpdateTime = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	require.Equal(t, want, got)
}

var testAttrs = Attributes{
	ContentType: "text/plain; charset=utf-8", ContentEncoding: "gzip", ContentDisposition: `attachment; filename="a b.txt"`,
	ContentLanguage: "de-CH", CacheControl: "no-cache", Expires: "Wed, 21 Oct 2015 07:28:00 GMT",
	Meta: map[string]string{"color": "blue", "empty": "", "üñí": "ç\n"},
}

// TestPutObject writes objects of every redundancy class, with the size announced and not,
// and checks what PutObject returns against independently computed hashes, and that
// StatObject, OpenKey, GetObject and the package/path API all see the same object.
func TestPutObject(t *testing.T) {
	te := newTestEngine(t)
	b := te.bucket(t, "bkt")
	for _, size := range []int{0, 1, 1024, 1025, 16 << 10, 40_000} {
		for _, known := range []bool{true, false} {
			t.Run(fmt.Sprintf("size=%d/known=%t", size, known), func(t *testing.T) {
				content := randomBytes(uint64(size)+7, size)
				key := fmt.Sprintf("docs/s%d-%t.bin", size, known)
				announced := int64(-1)
				if known {
					announced = int64(size)
				}
				wantSum := Checksum{Algorithm: "CRC32", Value: "AAAAAA==", Type: "FULL_OBJECT"}
				var gotMD5 [16]byte
				calls := 0
				tags := map[string]string{"k": "v", "size": fmt.Sprint(size)}
				o, err := te.PutObject(t.Context(), PutObjectInput{
					Bucket: b.ID, Key: key, Body: bytes.NewReader(content), Size: announced,
					Attrs: testAttrs, Tags: tags,
					Finish: func(sum [16]byte) (Checksum, error) {
						calls++
						gotMD5 = sum
						return wantSum, nil
					},
				})
				require.NoError(t, err)
				require.Equal(t, 1, calls, "Finish runs once")
				require.Equal(t, md5.Sum(content), gotMD5, "Finish gets the content's MD5")

				require.Equal(t, int64(size), o.Size)
				require.Equal(t, sha256.Sum256(content), o.SHA256)
				require.Equal(t, md5Hex(content), o.ETag)
				require.Regexp(t, "^[0-9a-f]{32}$", o.ETag)
				require.Equal(t, testAttrs, o.Attrs)
				require.Equal(t, tags, o.Tags)
				require.Equal(t, wantSum, o.Checksum)
				require.Equal(t, strings.TrimPrefix(key, "docs/"), o.Path)
				if size == 0 {
					require.Empty(t, o.Segments)
				} else {
					require.Len(t, o.Segments, 1)
					te.requireShardFiles(t, o)
				}

				st, err := te.StatObject(t.Context(), b.ID, key)
				require.NoError(t, err)
				requireSameObject(t, o, st)
				byID, err := te.GetObject(t.Context(), o.ID)
				require.NoError(t, err)
				requireSameObject(t, o, byID)
				p, err := te.GetPackageByName(t.Context(), "bkt", "docs")
				require.NoError(t, err)
				require.Equal(t, p.ID, o.PackageID)
				byPath := te.getPath(t, p.ID, o.Path)
				requireSameObject(t, o, byPath)

				r, err := te.OpenKey(t.Context(), b.ID, key)
				require.NoError(t, err)
				requireSameObject(t, o, r.Object)
				got, err := io.ReadAll(r)
				require.NoError(t, err)
				require.NoError(t, r.Close())
				require.Equal(t, content, got)
			})
		}
	}
}

// TestPutObjectZeroValues stores an object with no attributes, tags or checksum: they come
// back as zero values, not as empty maps.
func TestPutObjectZeroValues(t *testing.T) {
	te := newTestEngine(t)
	b := te.bucket(t, "b")
	te.put(t, b.ID, "k", []byte("v"))
	o, err := te.StatObject(t.Context(), b.ID, "k")
	require.NoError(t, err)
	require.Equal(t, Attributes{}, o.Attrs)
	require.Nil(t, o.Tags)
	require.Equal(t, Checksum{}, o.Checksum)
	require.Equal(t, md5Hex([]byte("v")), o.ETag)
}

// TestPutObjectReplace replaces objects across redundancy classes: ID and create time stay,
// update time, content, ETag, attributes and tags change, and the old data is collected.
func TestPutObjectReplace(t *testing.T) {
	sizes := []int{0, 100, 50_000}
	for _, from := range sizes {
		for _, to := range sizes {
			t.Run(fmt.Sprintf("%d->%d", from, to), func(t *testing.T) {
				te := newTestEngine(t, withClock(stepClock()))
				ctx := t.Context()
				b := te.bucket(t, "b")
				first, err := te.PutObject(ctx, PutObjectInput{Bucket: b.ID, Key: "p/k", Body: bytes.NewReader(randomBytes(1, from)),
					Size: int64(from), Attrs: testAttrs, Tags: map[string]string{"old": "1"}})
				require.NoError(t, err)
				want := randomBytes(2, to)
				second, err := te.PutObject(ctx, PutObjectInput{Bucket: b.ID, Key: "p/k", Body: bytes.NewReader(want), Size: -1,
					Attrs: Attributes{ContentType: "new/type"}})
				require.NoError(t, err)

				require.Equal(t, first.ID, second.ID, "ID kept")
				requireSameTime(t, first.CreateTime, second.CreateTime, "create time kept")
				require.True(t, second.UpdateTime.After(first.UpdateTime), "update time moved")
				require.Equal(t, md5Hex(want), second.ETag)
				st, err := te.StatObject(ctx, b.ID, "p/k")
				require.NoError(t, err)
				requireSameObject(t, second, st)
				require.Equal(t, Attributes{ContentType: "new/type"}, st.Attrs)
				require.Nil(t, st.Tags, "tags are not inherited")
				require.Equal(t, want, te.readKey(t, b.ID, "p/k"))
				require.Equal(t, 1, te.keyIndexCount(t, b.ID))

				te.collect(t)
				require.Equal(t, te.shardsFor(t, second), te.shardCount(t), "the old content is collected")
			})
		}
	}
}

// TestPutObjectConditions checks If-Match and If-None-Match against an existing object and a
// missing one. A failed condition changes nothing: the object, its content and its shards stay.
func TestPutObjectConditions(t *testing.T) {
	old := randomBytes(1, 30_000)
	oldETag := md5Hex(old)
	for _, tc := range []struct {
		name   string
		exists bool
		cond   WriteCondition
		want   Kind // KindInternal: success
	}{
		{"if-none-match * on existing", true, WriteCondition{IfNoneMatch: "*"}, KindPrecondition},
		{"if-none-match etag on existing", true, WriteCondition{IfNoneMatch: oldETag}, KindPrecondition},
		{"if-none-match other etag on existing", true, WriteCondition{IfNoneMatch: md5Hex([]byte("other"))}, KindInternal},
		{"if-none-match * on missing", false, WriteCondition{IfNoneMatch: "*"}, KindInternal},
		{"if-match on missing", false, WriteCondition{IfMatch: oldETag}, KindNotFound},
		{"if-match * on missing", false, WriteCondition{IfMatch: "*"}, KindNotFound},
		{"if-match wrong etag", true, WriteCondition{IfMatch: md5Hex([]byte("other"))}, KindPrecondition},
		{"if-match quoted etag", true, WriteCondition{IfMatch: `"` + oldETag + `"`}, KindPrecondition},
		{"if-match right etag", true, WriteCondition{IfMatch: oldETag}, KindInternal},
		{"if-match *", true, WriteCondition{IfMatch: "*"}, KindInternal},
		{"if-match right and if-none-match other", true, WriteCondition{IfMatch: oldETag, IfNoneMatch: "abc"}, KindInternal},
		{"if-match right and if-none-match *", true, WriteCondition{IfMatch: oldETag, IfNoneMatch: "*"}, KindPrecondition},
	} {
		t.Run(tc.name, func(t *testing.T) {
			te := newTestEngine(t)
			ctx := t.Context()
			b := te.bucket(t, "b")
			var prev Object
			if tc.exists {
				prev = te.put(t, b.ID, "p/k", old)
			}
			shards := te.shardCount(t)
			content := randomBytes(2, 20_000)
			o, err := te.PutObject(ctx, PutObjectInput{Bucket: b.ID, Key: "p/k", Body: bytes.NewReader(content), Size: -1, Cond: tc.cond})
			if tc.want == KindInternal {
				require.NoError(t, err)
				require.Equal(t, md5Hex(content), o.ETag)
				require.Equal(t, content, te.readKey(t, b.ID, "p/k"))
				return
			}
			requireKind(t, tc.want, err)
			te.collect(t)
			require.Equal(t, shards, te.shardCount(t), "nothing written stays")
			if tc.exists {
				st, err := te.StatObject(ctx, b.ID, "p/k")
				require.NoError(t, err)
				requireSameObject(t, prev, st)
				require.Equal(t, old, te.readKey(t, b.ID, "p/k"))
			} else {
				te.requireNoKey(t, b.ID, "p/k")
				require.Zero(t, te.keyIndexCount(t, b.ID))
			}
		})
	}
}

// barrierReader blocks its first Read until every reader of its group has started reading, so
// that all writers pass PutObject's early condition check before any of them commits.
type barrierReader struct {
	r       io.Reader
	arrived *sync.WaitGroup
	all     chan struct{}
	once    sync.Once
}

func (b *barrierReader) Read(p []byte) (int, error) {
	var err error
	b.once.Do(func() {
		b.arrived.Done()
		select {
		case <-b.all:
		case <-time.After(30 * time.Second):
			err = errors.New("barrier: not every writer started reading")
		}
	})
	if err != nil {
		return 0, err
	}
	return b.r.Read(p)
}

// TestPutObjectConditionalRace runs eight writers with If-None-Match "*" at one new key, each
// held until all have read their condition as satisfied: the commit must recheck it, so
// exactly one wins, the others fail with KindPrecondition, and only the winner's data stays.
func TestPutObjectConditionalRace(t *testing.T) {
	for _, key := range []string{"pkg/k", "rootkey"} { // an existing package, a new one
		t.Run(key, func(t *testing.T) {
			const writers = 8
			te := newTestEngine(t)
			b := te.bucket(t, "b")
			_, err := te.CreatePackage(t.Context(), b.ID, "pkg")
			require.NoError(t, err)
			var arrived sync.WaitGroup
			arrived.Add(writers)
			all := make(chan struct{})
			go func() { arrived.Wait(); close(all) }()

			contents := make([][]byte, writers)
			objs := make([]Object, writers)
			errs := make([]error, writers)
			var wg sync.WaitGroup
			for i := range writers {
				contents[i] = randomBytes(uint64(100+i), 5000+i)
				wg.Go(func() {
					body := &barrierReader{r: bytes.NewReader(contents[i]), arrived: &arrived, all: all}
					objs[i], errs[i] = te.PutObject(t.Context(), PutObjectInput{
						Bucket: b.ID, Key: key, Body: body, Size: -1, Cond: WriteCondition{IfNoneMatch: "*"},
					})
				})
			}
			wg.Wait()
			winner := -1
			for i, err := range errs {
				if err == nil {
					require.Equal(t, -1, winner, "writers %d and %d both won", winner, i)
					winner = i
					continue
				}
				requireKind(t, KindPrecondition, err)
			}
			require.NotEqual(t, -1, winner, "nobody won")
			st, err := te.StatObject(t.Context(), b.ID, key)
			require.NoError(t, err)
			require.Equal(t, objs[winner].ID, st.ID)
			require.Equal(t, md5Hex(contents[winner]), st.ETag)
			require.Equal(t, contents[winner], te.readKey(t, b.ID, key))
			te.collect(t)
			require.Equal(t, te.shardsFor(t, st), te.shardCount(t), "the losers' shards are gone")
			blobs, _, _ := te.indexCounts(t)
			require.Equal(t, 1, blobs)
		})
	}
}

var errFinish = errors.New("engine_test: checksum mismatch")

// TestPutObjectFinishAborts: an error from Finish fails the write with that error; no object,
// package or blob record is left, and the shards written are gone after collection. An object
// already at the key is untouched.
func TestPutObjectFinishAborts(t *testing.T) {
	for _, size := range []int{0, 10, 40_000} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			te := newTestEngine(t)
			ctx := t.Context()
			b := te.bucket(t, "b")
			prev := te.put(t, b.ID, "keep/k", []byte("previous"))
			shards := te.shardCount(t)
			for _, key := range []string{"new/k", "keep/k"} {
				_, err := te.PutObject(ctx, PutObjectInput{
					Bucket: b.ID, Key: key, Body: bytes.NewReader(randomBytes(3, size)), Size: int64(size),
					Finish: func([16]byte) (Checksum, error) { return Checksum{}, errFinish },
				})
				require.ErrorIs(t, err, errFinish)
			}
			te.requireNoKey(t, b.ID, "new/k")
			_, err := te.GetPackageByName(ctx, "b", "new")
			requireKind(t, KindNotFound, err)
			st, err := te.StatObject(ctx, b.ID, "keep/k")
			require.NoError(t, err)
			requireSameObject(t, prev, st)
			require.Equal(t, []byte("previous"), te.readKey(t, b.ID, "keep/k"))

			te.collect(t)
			require.Equal(t, shards, te.shardCount(t), "no shard of the aborted writes is left")
			blobs, queued, _ := te.indexCounts(t)
			require.Equal(t, 1, blobs, "only the previous object's blob")
			require.Zero(t, queued)
			require.Equal(t, 1, te.keyIndexCount(t, b.ID))
		})
	}
}

func TestPutObjectErrors(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	b := te.bucket(t, "b")
	for _, tc := range []struct {
		name   string
		bucket BucketID
		key    string
		body   []byte
		size   int64
		want   Kind
	}{
		{"missing bucket", 9999, "k", []byte("x"), 1, KindNotFound},
		{"empty key", b.ID, "", []byte("x"), 1, KindInvalid},
		{"key too long", b.ID, strings.Repeat("k", MaxPathLen+1), []byte("x"), 1, KindInvalid},
		{"package key too long", b.ID, "p/" + strings.Repeat("k", MaxPathLen-1), []byte("x"), 1, KindInvalid},
		{"NUL in key", b.ID, "a\x00b", []byte("x"), 1, KindInvalid},
		{"invalid UTF-8", b.ID, "a/\xff", []byte("x"), 1, KindInvalid},
		{"body shorter than size", b.ID, "short", []byte("abc"), 10, KindInvalid},
		{"body longer than size", b.ID, "long", randomBytes(1, 5000), 10, KindInvalid},
		{"empty body with size", b.ID, "empty", nil, 3, KindInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := te.PutObject(ctx, PutObjectInput{Bucket: tc.bucket, Key: tc.key, Body: bytes.NewReader(tc.body), Size: tc.size})
			requireKind(t, tc.want, err)
		})
	}
	_, err := te.PutObject(ctx, PutObjectInput{Bucket: b.ID, Key: "broken", Body: &failingReader{data: []byte("abc"), err: errBody}, Size: -1})
	require.ErrorIs(t, err, errBody)

	require.Zero(t, te.keyIndexCount(t, b.ID))
	pkgs, err := te.ListPackages(ctx, b.ID)
	require.NoError(t, err)
	require.Empty(t, pkgs, "no failed write creates a package")
	te.collect(t)
	require.Zero(t, te.shardCount(t))
	requireNoBlobRecords(t, te)

	// A key of exactly MaxPathLen bytes is valid, in a package and in the root package.
	for _, key := range []string{strings.Repeat("k", MaxPathLen), "p/" + strings.Repeat("k", MaxPathLen-2)} {
		te.put(t, b.ID, key, []byte("max"))
		require.Equal(t, []byte("max"), te.readKey(t, b.ID, key))
	}
}

// TestStatObjectErrors checks the lookups by key of missing things.
func TestStatObjectErrors(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	b := te.bucket(t, "b")
	te.put(t, b.ID, "p/k", []byte("x"))
	for _, tc := range []struct {
		name   string
		bucket BucketID
		key    string
	}{
		{"missing bucket", 9999, "p/k"},
		{"missing key in existing package", b.ID, "p/other"},
		{"missing package", b.ID, "q/k"},
		{"prefix of a key", b.ID, "p/"},
		{"package name alone", b.ID, "p"},
		{"empty key", b.ID, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			te.requireNoKey(t, tc.bucket, tc.key)
		})
	}
	// A multipart upload in progress (/v1) is invisible by key, as S3 shows no such object.
	p, err := te.GetPackageByName(ctx, "b", "p")
	require.NoError(t, err)
	_, err = te.CreateMultipartUpload(ctx, p.ID, "mp")
	require.NoError(t, err)
	te.requireNoKey(t, b.ID, "p/mp")
	// A /v1 multipart upload started over an object hides it by key until completed.
	_, err = te.CreateMultipartUpload(ctx, p.ID, "k")
	require.NoError(t, err)
	te.requireNoKey(t, b.ID, "p/k")
	res, err := te.ListKeys(ctx, ListKeysInput{Bucket: b.ID, Limit: 100})
	require.NoError(t, err)
	require.Empty(t, res.Objects)
}

// TestCopyObject copies between buckets and keys and checks that the copy shares the source's
// data, takes or replaces attributes and tags as asked, and outlives its source.
func TestCopyObject(t *testing.T) {
	te := newTestEngine(t, withClock(stepClock()))
	ctx := t.Context()
	b1, b2 := te.bucket(t, "one"), te.bucket(t, "two")
	content := randomBytes(1, 40_000)
	srcTags := map[string]string{"t": "1"}
	sum := Checksum{Algorithm: "SHA256", Value: "c3Vt", Type: "FULL_OBJECT"}
	src, err := te.PutObject(ctx, PutObjectInput{Bucket: b1.ID, Key: "src/a", Body: bytes.NewReader(content), Size: -1,
		Attrs: testAttrs, Tags: srcTags, Finish: func([16]byte) (Checksum, error) { return sum, nil }})
	require.NoError(t, err)
	shards := te.shardCount(t)

	// Default: everything but the identity comes from the source.
	cp, err := te.CopyObject(ctx, CopyObjectInput{SrcBucket: b1.ID, SrcKey: "src/a", DstBucket: b2.ID, DstKey: "dst/x"})
	require.NoError(t, err)
	require.NotEqual(t, src.ID, cp.ID)
	require.NotEqual(t, src.PackageID, cp.PackageID)
	require.Equal(t, "x", cp.Path)
	require.True(t, cp.CreateTime.After(src.CreateTime))
	require.Equal(t, src.Size, cp.Size)
	require.Equal(t, src.SHA256, cp.SHA256)
	require.Equal(t, src.ETag, cp.ETag)
	require.Equal(t, src.Segments, cp.Segments, "the copy shares the source's blob")
	require.Equal(t, src.Redundancy, cp.Redundancy)
	require.Equal(t, testAttrs, cp.Attrs)
	require.Equal(t, srcTags, cp.Tags)
	require.Equal(t, sum, cp.Checksum)
	require.Equal(t, shards, te.shardCount(t), "nothing is copied on the spaces")
	require.Equal(t, uint64(2), te.layouts(t, cp.ID)[0].Refs)
	st, err := te.StatObject(ctx, b2.ID, "dst/x")
	require.NoError(t, err)
	requireSameObject(t, cp, st)

	// Replacing attributes and tags.
	newAttrs := Attributes{ContentType: "application/x-new"}
	cp2, err := te.CopyObject(ctx, CopyObjectInput{SrcBucket: b1.ID, SrcKey: "src/a", DstBucket: b1.ID, DstKey: "other",
		Attrs: &newAttrs, Tags: map[string]string{"n": "2"}})
	require.NoError(t, err)
	require.Equal(t, newAttrs, cp2.Attrs)
	require.Equal(t, map[string]string{"n": "2"}, cp2.Tags)
	require.Equal(t, src.ETag, cp2.ETag)
	// An empty tag map drops the tags; empty attributes replace them all.
	cp3, err := te.CopyObject(ctx, CopyObjectInput{SrcBucket: b1.ID, SrcKey: "src/a", DstBucket: b1.ID, DstKey: "third",
		Attrs: &Attributes{}, Tags: map[string]string{}})
	require.NoError(t, err)
	require.Equal(t, Attributes{}, cp3.Attrs)
	require.Nil(t, cp3.Tags)
	st3, err := te.StatObject(ctx, b1.ID, "third")
	require.NoError(t, err)
	require.Nil(t, st3.Tags)
	require.Equal(t, uint64(4), te.layouts(t, src.ID)[0].Refs)

	// The source goes; the copies keep the data.
	require.NoError(t, te.DeleteKeys(ctx, b1.ID, []string{"src/a"}))
	te.collect(t)
	require.Equal(t, shards, te.shardCount(t), "the shared blob stays")
	for _, k := range []struct {
		b   BucketID
		key string
	}{{b2.ID, "dst/x"}, {b1.ID, "other"}, {b1.ID, "third"}} {
		require.Equal(t, content, te.readKey(t, k.b, k.key), "%s", k.key)
	}
	require.NoError(t, te.DeleteKeys(ctx, b1.ID, []string{"other", "third"}))
	require.NoError(t, te.DeleteKeys(ctx, b2.ID, []string{"dst/x"}))
	te.collect(t)
	require.Zero(t, te.shardCount(t))
	requireNoBlobRecords(t, te)
}

// TestCopyObjectOntoItself replaces an object's attributes in place: its ID, create time,
// content and blob references stay, and it survives collection.
func TestCopyObjectOntoItself(t *testing.T) {
	for _, size := range []int{0, 100, 40_000} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			te := newTestEngine(t, withClock(stepClock()))
			ctx := t.Context()
			b := te.bucket(t, "b")
			content := randomBytes(5, size)
			src, err := te.PutObject(ctx, PutObjectInput{Bucket: b.ID, Key: "k", Body: bytes.NewReader(content), Size: -1,
				Attrs: testAttrs, Tags: map[string]string{"a": "1"}})
			require.NoError(t, err)
			newAttrs := Attributes{ContentType: "image/png", Meta: map[string]string{"x": "y"}}
			o, err := te.CopyObject(ctx, CopyObjectInput{SrcBucket: b.ID, SrcKey: "k", DstBucket: b.ID, DstKey: "k", Attrs: &newAttrs})
			require.NoError(t, err)
			require.Equal(t, src.ID, o.ID)
			requireSameTime(t, src.CreateTime, o.CreateTime, "create time kept")
			require.True(t, o.UpdateTime.After(src.UpdateTime))
			require.Equal(t, newAttrs, o.Attrs)
			require.Equal(t, map[string]string{"a": "1"}, o.Tags, "tags kept without a tag directive")
			require.Equal(t, src.ETag, o.ETag)
			require.Equal(t, src.Segments, o.Segments)
			if size > 0 {
				require.Equal(t, uint64(1), te.layouts(t, o.ID)[0].Refs, "refcount intact")
			}
			st, err := te.StatObject(ctx, b.ID, "k")
			require.NoError(t, err)
			requireSameObject(t, o, st)

			te.collect(t)
			require.Equal(t, te.shardsFor(t, o), te.shardCount(t))
			require.Equal(t, content, te.readKey(t, b.ID, "k"))
			require.NoError(t, te.DeleteKeys(ctx, b.ID, []string{"k"}))
			te.collect(t)
			require.Zero(t, te.shardCount(t))
			requireNoBlobRecords(t, te)
		})
	}
}

// TestCopyObjectChecks: SrcCheck sees the source and its error aborts the copy; Cond applies to
// the destination; missing things are KindNotFound. A failed copy changes nothing.
func TestCopyObjectChecks(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	b := te.bucket(t, "b")
	src := te.put(t, b.ID, "src", randomBytes(1, 20_000))
	dst := te.put(t, b.ID, "d/dst", []byte("destination"))

	var seen Object
	_, err := te.CopyObject(ctx, CopyObjectInput{SrcBucket: b.ID, SrcKey: "src", DstBucket: b.ID, DstKey: "d/dst",
		SrcCheck: func(o *Object) error { seen = *o; return errFinish }})
	require.ErrorIs(t, err, errFinish)
	require.Equal(t, src.ID, seen.ID)
	require.Equal(t, src.ETag, seen.ETag)

	for _, tc := range []struct {
		name string
		in   CopyObjectInput
		want Kind
	}{
		{"if-none-match * on existing dst", CopyObjectInput{SrcKey: "src", DstKey: "d/dst", Cond: WriteCondition{IfNoneMatch: "*"}}, KindPrecondition},
		{"if-match wrong on dst", CopyObjectInput{SrcKey: "src", DstKey: "d/dst", Cond: WriteCondition{IfMatch: src.ETag}}, KindPrecondition},
		{"if-match on missing dst", CopyObjectInput{SrcKey: "src", DstKey: "e/new", Cond: WriteCondition{IfMatch: "*"}}, KindNotFound},
		{"missing source key", CopyObjectInput{SrcKey: "nope", DstKey: "e/new"}, KindNotFound},
		{"missing source bucket", CopyObjectInput{SrcBucket: 9999, SrcKey: "src", DstKey: "e/new"}, KindNotFound},
		{"missing destination bucket", CopyObjectInput{SrcKey: "src", DstBucket: 9999, DstKey: "e/new"}, KindNotFound},
		{"invalid destination key", CopyObjectInput{SrcKey: "src", DstKey: ""}, KindInvalid},
		{"destination key with NUL", CopyObjectInput{SrcKey: "src", DstKey: "e/\x00"}, KindInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			if in.SrcBucket == 0 {
				in.SrcBucket = b.ID
			}
			if in.DstBucket == 0 {
				in.DstBucket = b.ID
			}
			_, err := te.CopyObject(ctx, in)
			requireKind(t, tc.want, err)
		})
	}
	st, err := te.StatObject(ctx, b.ID, "d/dst")
	require.NoError(t, err)
	requireSameObject(t, dst, st)
	te.requireNoKey(t, b.ID, "e/new")
	_, err = te.GetPackageByName(ctx, "b", "e")
	requireKind(t, KindNotFound, err)
	require.Equal(t, uint64(1), te.layouts(t, src.ID)[0].Refs, "failed copies took no reference")

	// The right conditions pass.
	o, err := te.CopyObject(ctx, CopyObjectInput{SrcBucket: b.ID, SrcKey: "src", DstBucket: b.ID, DstKey: "d/dst",
		Cond: WriteCondition{IfMatch: dst.ETag}, SrcCheck: func(o *Object) error { return nil }})
	require.NoError(t, err)
	require.Equal(t, dst.ID, o.ID, "the replaced object's ID is kept")
	require.Equal(t, src.ETag, o.ETag)
	te.collect(t)
	require.Equal(t, te.shardsFor(t, src), te.shardCount(t), "the replaced destination's data is collected")
}

func TestSetObjectTags(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	b := te.bucket(t, "b")
	content := randomBytes(1, 3000)
	o, err := te.PutObject(ctx, PutObjectInput{Bucket: b.ID, Key: "p/k", Body: bytes.NewReader(content), Size: -1,
		Attrs: testAttrs, Tags: map[string]string{"old": "x"}})
	require.NoError(t, err)

	for _, tc := range []struct {
		name string
		tags map[string]string
		want map[string]string
	}{
		{"replace", map[string]string{"a": "1", "b": ""}, map[string]string{"a": "1", "b": ""}},
		{"empty map removes", map[string]string{}, nil},
		{"set again", map[string]string{"c": "3"}, map[string]string{"c": "3"}},
		{"nil removes", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := te.SetObjectTags(ctx, b.ID, "p/k", tc.tags)
			require.NoError(t, err)
			require.Equal(t, tc.want, got.Tags)
			st, err := te.StatObject(ctx, b.ID, "p/k")
			require.NoError(t, err)
			require.Equal(t, tc.want, st.Tags)
			want := o
			want.Tags = tc.want
			requireSameObject(t, want, st)
		})
	}
	require.Equal(t, content, te.readKey(t, b.ID, "p/k"))

	_, err = te.SetObjectTags(ctx, b.ID, "p/missing", map[string]string{"a": "b"})
	requireKind(t, KindNotFound, err)
	_, err = te.SetObjectTags(ctx, 9999, "p/k", map[string]string{"a": "b"})
	requireKind(t, KindNotFound, err)
	te.requireNoKey(t, b.ID, "p/missing")
}

func TestDeleteKeys(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	b, other := te.bucket(t, "b"), te.bucket(t, "other")
	objs := map[string]Object{}
	for i, key := range []string{"a", "p/b", "p/c", "q/d", "/e"} {
		objs[key] = te.put(t, b.ID, key, randomBytes(uint64(i), 2000*(i+1)))
	}
	keep := te.put(t, other.ID, "a", []byte("other bucket"))

	require.NoError(t, te.DeleteKeys(ctx, b.ID, []string{"a", "missing", "p/c", "p/c", "zz/top", "p/"}))
	for _, key := range []string{"a", "p/c"} {
		te.requireNoKey(t, b.ID, key)
		_, err := te.GetObject(ctx, objs[key].ID)
		requireKind(t, KindNotFound, err)
	}
	for _, key := range []string{"p/b", "q/d", "/e"} {
		_, err := te.StatObject(ctx, b.ID, key)
		require.NoError(t, err, key)
	}
	require.Equal(t, []byte("other bucket"), te.readKey(t, other.ID, "a"))
	require.Equal(t, 3, te.keyIndexCount(t, b.ID))
	te.collect(t)
	require.Equal(t, te.shardsFor(t, objs["p/b"], objs["q/d"], objs["/e"], keep), te.shardCount(t))

	require.NoError(t, te.DeleteKeys(ctx, b.ID, nil))
	require.NoError(t, te.DeleteKeys(ctx, b.ID, []string{"never"}))
	requireKind(t, KindNotFound, te.DeleteKeys(ctx, 9999, []string{"a"}))
	requireKind(t, KindNotFound, te.DeleteKeys(ctx, 9999, nil))
}

// TestDeleteEmptyBucket: a bucket with an object (or a /v1 upload in progress) is not empty;
// one with only empty packages and S3 uploads in progress is deleted with them, and the
// uploads' parts are collected.
func TestDeleteEmptyBucket(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	requireKind(t, KindNotFound, te.DeleteEmptyBucket(ctx, 9999))

	b := te.bucket(t, "b")
	survivor := te.put(t, te.bucket(t, "other").ID, "x", randomBytes(9, 5000))
	o := te.put(t, b.ID, "p/k", randomBytes(1, 20_000))
	requireKind(t, KindNotEmpty, te.DeleteEmptyBucket(ctx, b.ID))
	require.Equal(t, randomBytes(1, 20_000), te.readKey(t, b.ID, "p/k"), "a refused delete changes nothing")
	_, err := te.GetObject(ctx, o.ID)
	require.NoError(t, err)

	// An object in the root package counts too.
	require.NoError(t, te.DeleteKeys(ctx, b.ID, []string{"p/k"}))
	te.put(t, b.ID, "rootkey", []byte("r"))
	requireKind(t, KindNotEmpty, te.DeleteEmptyBucket(ctx, b.ID))
	require.NoError(t, te.DeleteKeys(ctx, b.ID, []string{"rootkey"}))

	// A /v1 multipart upload in progress is an object of its package.
	q, err := te.CreatePackage(ctx, b.ID, "q")
	require.NoError(t, err)
	mp, err := te.CreateMultipartUpload(ctx, q.ID, "mp")
	require.NoError(t, err)
	require.NoError(t, te.UploadPart(ctx, mp.ID, 0, bytes.NewReader(randomBytes(2, 3000)), -1))
	requireKind(t, KindNotEmpty, te.DeleteEmptyBucket(ctx, b.ID))
	require.NoError(t, te.DeleteObjects(ctx, []ObjectID{mp.ID}))

	// Empty packages ("p", "q", the root package) and S3 uploads with parts do not count.
	_, err = te.CreatePackage(ctx, b.ID, "empty")
	require.NoError(t, err)
	var ups []Upload
	for _, key := range []string{"u/1", "u/1", "root"} {
		up, err := te.CreateUpload(ctx, Upload{Bucket: b.ID, Key: key})
		require.NoError(t, err)
		for n := 1; n <= 2; n++ {
			_, err := te.PutPart(ctx, PutPartInput{Bucket: b.ID, Key: key, Upload: up.ID, Number: n,
				Body: bytes.NewReader(randomBytes(uint64(n), 10_000)), Size: -1})
			require.NoError(t, err)
		}
		ups = append(ups, up)
	}
	pkgs, err := te.ListPackages(ctx, b.ID)
	require.NoError(t, err)
	var names []string
	for _, p := range pkgs {
		names = append(names, p.Name)
	}
	require.Equal(t, []string{"/", "empty", "p", "q"}, names, "uploads create no package")
	require.NoError(t, te.DeleteEmptyBucket(ctx, b.ID))

	_, err = te.GetBucket(ctx, b.ID)
	requireKind(t, KindNotFound, err)
	for _, p := range pkgs {
		_, err := te.GetPackage(ctx, p.ID)
		requireKind(t, KindNotFound, err)
	}
	for _, up := range ups {
		_, err := te.GetUpload(ctx, b.ID, up.Key, up.ID)
		requireKind(t, KindNotFound, err)
	}
	_, _, err = te.ListUploads(ctx, ListUploadsInput{Bucket: b.ID, Limit: 10})
	requireKind(t, KindNotFound, err)
	for _, p := range []kv.Prefix{kv.PrefixUpload, kv.PrefixUploadPart, kv.PrefixUploadKey} {
		require.Zero(t, te.rawCount(t, kv.Key(p)), "%s records", p)
	}
	te.collect(t)
	require.Equal(t, te.shardsFor(t, survivor), te.shardCount(t), "the uploads' parts are collected")
	blobs, queued, parts := te.indexCounts(t)
	require.Equal(t, 1, blobs)
	require.Zero(t, queued)
	require.Zero(t, parts)

	// The name is free again, and the new bucket is empty.
	nb := te.bucket(t, "b")
	res, err := te.ListKeys(ctx, ListKeysInput{Bucket: nb.ID, Limit: 10})
	require.NoError(t, err)
	require.Empty(t, res.Objects)
	require.False(t, res.Truncated)
}

// TestPutObjectBucketDeletedBeforeCommit deletes the bucket while a write is between storing
// its data and committing (Finish runs there): the write fails with KindNotFound, creates no
// package or key, and its shards are collected.
func TestPutObjectBucketDeletedBeforeCommit(t *testing.T) {
	for _, empty := range []bool{true, false} {
		t.Run(fmt.Sprintf("DeleteEmptyBucket=%t", empty), func(t *testing.T) {
			te := newTestEngine(t)
			ctx := t.Context()
			b := te.bucket(t, "b")
			_, err := te.PutObject(ctx, PutObjectInput{Bucket: b.ID, Key: "p/k", Body: bytes.NewReader(randomBytes(1, 30_000)), Size: -1,
				Finish: func([16]byte) (Checksum, error) {
					if empty {
						require.NoError(t, te.DeleteEmptyBucket(ctx, b.ID))
					} else {
						require.NoError(t, te.DeleteBucket(ctx, b.ID))
					}
					return Checksum{}, nil
				}})
			requireKind(t, KindNotFound, err)
			require.Zero(t, te.keyIndexCount(t, b.ID))
			require.Zero(t, te.rawCount(t, kv.Key(kv.PrefixPackageName).Uint64(uint64(b.ID))), "no package record")
			te.collect(t)
			require.Zero(t, te.shardCount(t))
			requireNoBlobRecords(t, te)
		})
	}
}

// TestPutObjectVouchedSHA256 pins that a SHA-256 the caller vouches for is what the object
// records, for content kept in the index, written from memory and streamed alike, and that the
// MD5 is still computed.
func TestPutObjectVouchedSHA256(t *testing.T) {
	te := newTestEngine(t, withDeferral())
	b := te.bucket(t, "bkt")
	for _, size := range []int{10, 1025, 40_000} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			content := randomBytes(uint64(size), size)
			vouched := sha256.Sum256([]byte("not the content")) // the engine must take it as given
			o, err := te.PutObject(t.Context(), PutObjectInput{
				Bucket: b.ID, Key: fmt.Sprint("k", size), Body: bytes.NewReader(content), Size: int64(size), SHA256: &vouched,
			})
			require.NoError(t, err)
			require.Equal(t, vouched, o.SHA256)
			require.Equal(t, fmt.Sprintf("%x", md5.Sum(content)), o.ETag)
			got, err := te.StatObject(t.Context(), b.ID, fmt.Sprint("k", size))
			require.NoError(t, err)
			require.Equal(t, vouched, got.SHA256)
		})
	}
}
