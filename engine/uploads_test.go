package engine

import (
	"bytes"
	"cmp"
	"crypto/md5"
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/kv"
)

// createUpload starts an S3 multipart upload to key.
func (te *testEngine) createUpload(t *testing.T, b BucketID, key string) Upload {
	t.Helper()
	u, err := te.CreateUpload(t.Context(), Upload{Bucket: b, Key: key})
	require.NoError(t, err)
	return u
}

// putPart uploads part n of u, its size unannounced.
func (te *testEngine) putPart(t *testing.T, u Upload, n int, content []byte) UploadPartInfo {
	t.Helper()
	info, err := te.PutPart(t.Context(), PutPartInput{Bucket: u.Bucket, Key: u.Key, Upload: u.ID, Number: n,
		Body: bytes.NewReader(content), Size: -1})
	require.NoError(t, err)
	return info
}

// uploadRecords returns how many upload, upload part and upload index records the index holds.
func (te *testEngine) uploadRecords(t *testing.T) (uploads, parts, index int) {
	t.Helper()
	return te.rawCount(t, kv.Key(kv.PrefixUpload)), te.rawCount(t, kv.Key(kv.PrefixUploadPart)),
		te.rawCount(t, kv.Key(kv.PrefixUploadKey))
}

// multipartETag is S3's ETag of a multipart object, computed from the parts' bytes: the hex MD5
// of their MD5s concatenated, "-", and the number of parts.
func multipartETag(parts ...[]byte) string {
	var cat []byte
	for _, p := range parts {
		sum := md5.Sum(p)
		cat = append(cat, sum[:]...)
	}
	return fmt.Sprintf("%s-%d", md5Hex(cat), len(parts))
}

// completed lists parts by number with their ETags.
func completed(infos ...UploadPartInfo) []CompletedPart {
	out := make([]CompletedPart, len(infos))
	for i, p := range infos {
		out[i] = CompletedPart{Number: p.Number, ETag: p.ETag}
	}
	return out
}

func requireSamePartInfos(t *testing.T, want, got []UploadPartInfo) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		requireSameTime(t, want[i].Modified, got[i].Modified, fmt.Sprintf("part %d modified", want[i].Number))
		w, g := want[i], got[i]
		w.Modified, g.Modified = time.Time{}, time.Time{}
		require.Equal(t, w, g)
	}
}

func requireSameUpload(t *testing.T, want, got Upload) {
	t.Helper()
	requireSameTime(t, want.Initiated, got.Initiated, "initiated")
	want.Initiated, got.Initiated = time.Time{}, time.Time{}
	require.Equal(t, want, got)
}

func TestUploadIDString(t *testing.T) {
	u := UploadID{0x01, 0xab, 0xff}
	s := u.String()
	require.Len(t, s, 32)
	require.Equal(t, "01abff"+strings.Repeat("0", 26), s)
	got, ok := ParseUploadID(s)
	require.True(t, ok)
	require.Equal(t, u, got)
	for _, bad := range []string{"", "01abff", s + "0", strings.Repeat("g", 32), strings.ToUpper(s)[:31]} {
		_, ok := ParseUploadID(bad)
		require.False(t, ok, "%q", bad)
	}
}

// TestUploadLifecycle runs an upload over an existing object from start to end: the object
// stays readable and listed, unchanged, until completion replaces it (keeping its ID and
// create time) with the parts joined, the upload's attributes and tags, the multipart ETag
// and the SHA-256 of the whole; then the upload is gone and the old data collected.
func TestUploadLifecycle(t *testing.T) {
	te := newTestEngine(t, withClock(stepClock()))
	ctx := t.Context()
	b := te.bucket(t, "b")
	old := te.put(t, b.ID, "p/obj", randomBytes(99, 30_000))

	tags := map[string]string{"project": "x"}
	up, err := te.CreateUpload(ctx, Upload{Bucket: b.ID, Key: "p/obj", Attrs: testAttrs, Tags: tags,
		ChecksumAlgorithm: "CRC32C", ChecksumType: "COMPOSITE", Initiator: 7, ID: UploadID{1, 2, 3}})
	require.NoError(t, err)
	require.NotEqual(t, UploadID{1, 2, 3}, up.ID, "the ID is chosen by CreateUpload")
	require.NotEqual(t, UploadID{}, up.ID)
	require.False(t, up.Initiated.IsZero())
	require.Equal(t, testAttrs, up.Attrs)
	got, err := te.GetUpload(ctx, b.ID, "p/obj", up.ID)
	require.NoError(t, err)
	requireSameUpload(t, up, got)

	contents := [][]byte{randomBytes(1, 20_000), randomBytes(2, 20_000), randomBytes(3, 700)}
	var infos []UploadPartInfo
	for i, c := range contents {
		var gotMD5 [16]byte
		info, err := te.PutPart(ctx, PutPartInput{Bucket: b.ID, Key: "p/obj", Upload: up.ID, Number: i + 1,
			Body: bytes.NewReader(c), Size: int64(len(c)),
			Finish: func(sum [16]byte) (string, error) { gotMD5 = sum; return fmt.Sprintf("sum%d", i+1), nil }})
		require.NoError(t, err)
		require.Equal(t, md5.Sum(c), gotMD5)
		require.Equal(t, i+1, info.Number)
		require.Equal(t, int64(len(c)), info.Size)
		require.Equal(t, md5Hex(c), info.ETag)
		require.Equal(t, fmt.Sprintf("sum%d", i+1), info.Checksum)
		infos = append(infos, info)
	}
	listed, truncated, err := te.ListParts(ctx, b.ID, "p/obj", up.ID, 0, 100)
	require.NoError(t, err)
	require.False(t, truncated)
	requireSamePartInfos(t, infos, listed)

	// Meanwhile the old object is what the key shows.
	st, err := te.StatObject(ctx, b.ID, "p/obj")
	require.NoError(t, err)
	requireSameObject(t, old, st)
	require.Equal(t, randomBytes(99, 30_000), te.readKey(t, b.ID, "p/obj"))
	res, err := te.ListKeys(ctx, ListKeysInput{Bucket: b.ID, Limit: 10})
	require.NoError(t, err)
	require.Len(t, res.Objects, 1)
	require.Equal(t, old.ETag, res.Objects[0].Object.ETag)

	var finishUpload Upload
	var finishParts []UploadPartInfo
	sum := Checksum{Algorithm: "CRC32C", Value: "abc=-3", Type: "COMPOSITE"}
	o, err := te.CompleteUpload(ctx, CompleteUploadInput{Bucket: b.ID, Key: "p/obj", Upload: up.ID,
		Parts: completed(infos...), MinPartSize: 20_000,
		Finish: func(u *Upload, parts []UploadPartInfo) (Checksum, error) {
			finishUpload, finishParts = *u, slices.Clone(parts)
			return sum, nil
		}})
	require.NoError(t, err)
	requireSameUpload(t, up, finishUpload)
	requireSamePartInfos(t, infos, finishParts)

	whole := slices.Concat(contents...)
	require.Equal(t, multipartETag(contents...), o.ETag)
	require.Regexp(t, "^[0-9a-f]{32}-3$", o.ETag)
	require.Equal(t, sha256.Sum256(whole), o.SHA256)
	require.Equal(t, int64(len(whole)), o.Size)
	require.Len(t, o.Segments, 3)
	require.Equal(t, testAttrs, o.Attrs)
	require.Equal(t, tags, o.Tags)
	require.Equal(t, sum, o.Checksum)
	require.Equal(t, old.ID, o.ID, "a replaced object keeps its ID")
	requireSameTime(t, old.CreateTime, o.CreateTime, "and its create time")
	require.True(t, o.UpdateTime.After(old.UpdateTime))

	st, err = te.StatObject(ctx, b.ID, "p/obj")
	require.NoError(t, err)
	requireSameObject(t, o, st)
	require.Equal(t, whole, te.readKey(t, b.ID, "p/obj"))
	require.Equal(t, whole, te.read(t, o.ID))
	res, err = te.ListKeys(ctx, ListKeysInput{Bucket: b.ID, Limit: 10})
	require.NoError(t, err)
	require.Equal(t, []string{"p/obj"}, entryKeys(res))
	require.Equal(t, o.ETag, res.Objects[0].Object.ETag)

	// The upload is over.
	_, err = te.GetUpload(ctx, b.ID, "p/obj", up.ID)
	requireKind(t, KindNotFound, err)
	_, err = te.CompleteUpload(ctx, CompleteUploadInput{Bucket: b.ID, Key: "p/obj", Upload: up.ID, Parts: completed(infos...)})
	requireKind(t, KindNotFound, err)
	_, err = te.PutPart(ctx, PutPartInput{Bucket: b.ID, Key: "p/obj", Upload: up.ID, Number: 4, Body: strings.NewReader("x"), Size: 1})
	requireKind(t, KindNotFound, err)
	ups, _, err := te.ListUploads(ctx, ListUploadsInput{Bucket: b.ID, Limit: 10})
	require.NoError(t, err)
	require.Empty(t, ups)
	nu, np, ni := te.uploadRecords(t)
	require.Zero(t, nu+np+ni, "no upload records left")

	te.collect(t)
	require.Equal(t, te.shardsFor(t, o), te.shardCount(t), "the old object's data is collected, the parts' is not")
	require.Equal(t, whole, te.readKey(t, b.ID, "p/obj"))
	require.NoError(t, te.DeleteKeys(ctx, b.ID, []string{"p/obj"}))
	te.collect(t)
	require.Zero(t, te.shardCount(t))
	requireNoBlobRecords(t, te)
}

// TestUploadInvisibleUntilComplete: an upload to a new key shows nowhere by key, and creates
// no package, until completed.
func TestUploadInvisibleUntilComplete(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	b := te.bucket(t, "b")
	up := te.createUpload(t, b.ID, "newpkg/k")
	p1 := te.putPart(t, up, 1, randomBytes(1, 3000))
	te.requireNoKey(t, b.ID, "newpkg/k")
	res, err := te.ListKeys(ctx, ListKeysInput{Bucket: b.ID, Limit: 10})
	require.NoError(t, err)
	require.Empty(t, res.Objects)
	require.False(t, res.Truncated)
	_, err = te.GetPackageByName(ctx, "b", "newpkg")
	requireKind(t, KindNotFound, err)
	require.NoError(t, te.DeleteKeys(ctx, b.ID, []string{"newpkg/k"}), "deleting the key leaves the upload alone")

	o, err := te.CompleteUpload(ctx, CompleteUploadInput{Bucket: b.ID, Key: "newpkg/k", Upload: up.ID, Parts: completed(p1)})
	require.NoError(t, err)
	require.Equal(t, multipartETag(randomBytes(1, 3000)), o.ETag)
	require.Equal(t, []string{"newpkg/k"}, listAll(t, te, ListKeysInput{Bucket: b.ID}, 10).keys)
	p, err := te.GetPackageByName(ctx, "b", "newpkg")
	require.NoError(t, err)
	require.Equal(t, o.ID, te.getPath(t, p.ID, "k").ID)
}

// TestCompleteUploadErrors tries completions that must fail and checks that each leaves the
// upload intact and the key empty; a valid completion then succeeds and releases the part it
// leaves out.
func TestCompleteUploadErrors(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	b := te.bucket(t, "b")
	other := te.bucket(t, "other")
	up := te.createUpload(t, b.ID, "p/k")
	p1, p2, p3 := randomBytes(1, 6000), randomBytes(2, 10), randomBytes(3, 6000)
	i1, i2, i3 := te.putPart(t, up, 1, p1), te.putPart(t, up, 2, p2), te.putPart(t, up, 3, p3)
	const minPart = 5000

	for _, tc := range []struct {
		name   string
		bucket BucketID
		key    string
		id     UploadID
		parts  []CompletedPart
		cond   WriteCondition
		kind   Kind
		is     error
	}{
		{name: "no parts", parts: nil, kind: KindInvalid},
		{name: "empty list", parts: []CompletedPart{}, kind: KindInvalid},
		{name: "wrong etag", parts: []CompletedPart{{1, i3.ETag}}, kind: KindInvalid, is: ErrInvalidPart},
		{name: "quoted etag", parts: []CompletedPart{{1, `"` + i1.ETag + `"`}}, kind: KindInvalid, is: ErrInvalidPart},
		{name: "empty etag", parts: []CompletedPart{{1, ""}}, kind: KindInvalid, is: ErrInvalidPart},
		{name: "missing part", parts: []CompletedPart{{1, i1.ETag}, {4, i1.ETag}}, kind: KindInvalid, is: ErrInvalidPart},
		{name: "part 0", parts: []CompletedPart{{0, i1.ETag}}, kind: KindInvalid, is: ErrInvalidPart},
		{name: "part too large", parts: []CompletedPart{{MaxUploadParts + 1, i1.ETag}}, kind: KindInvalid, is: ErrInvalidPart},
		{name: "negative part", parts: []CompletedPart{{-1, i1.ETag}}, kind: KindInvalid, is: ErrInvalidPart},
		{name: "descending", parts: completed(i3, i1), kind: KindInvalid, is: ErrInvalidPartOrder},
		{name: "repeated", parts: completed(i1, i1), kind: KindInvalid, is: ErrInvalidPartOrder},
		{name: "small part not last", parts: completed(i1, i2, i3), kind: KindInvalid, is: ErrEntityTooSmall},
		{name: "if-match on missing object", parts: completed(i1), cond: WriteCondition{IfMatch: "*"}, kind: KindNotFound},
		{name: "wrong key", key: "p/other", parts: completed(i1), kind: KindNotFound},
		{name: "other bucket", bucket: other.ID, parts: completed(i1), kind: KindNotFound},
		{name: "missing bucket", bucket: 9999, parts: completed(i1), kind: KindNotFound},
		{name: "unknown upload", id: UploadID{9}, parts: completed(i1), kind: KindNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := CompleteUploadInput{Bucket: b.ID, Key: "p/k", Upload: up.ID, Parts: tc.parts, MinPartSize: minPart, Cond: tc.cond}
			if tc.bucket != 0 {
				in.Bucket = tc.bucket
			}
			if tc.key != "" {
				in.Key = tc.key
			}
			if tc.id != (UploadID{}) {
				in.Upload = tc.id
			}
			_, err := te.CompleteUpload(ctx, in)
			requireKind(t, tc.kind, err)
			if tc.is != nil {
				require.ErrorIs(t, err, tc.is)
			}
			te.requireNoKey(t, b.ID, "p/k")
			parts, _, err := te.ListParts(ctx, b.ID, "p/k", up.ID, 0, 10)
			require.NoError(t, err)
			require.Len(t, parts, 3, "the upload is intact")
		})
	}
	// Finish's error aborts the completion; the upload stays.
	_, err := te.CompleteUpload(ctx, CompleteUploadInput{Bucket: b.ID, Key: "p/k", Upload: up.ID, Parts: completed(i1),
		Finish: func(*Upload, []UploadPartInfo) (Checksum, error) { return Checksum{}, errFinish }})
	require.ErrorIs(t, err, errFinish)
	te.requireNoKey(t, b.ID, "p/k")
	_, err = te.GetUpload(ctx, b.ID, "p/k", up.ID)
	require.NoError(t, err)
	require.Empty(t, te.blobs.pinned, "no blob left pinned")

	// A small last part is fine; the unlisted part 2 is released.
	o, err := te.CompleteUpload(ctx, CompleteUploadInput{Bucket: b.ID, Key: "p/k", Upload: up.ID, Parts: completed(i1, i3), MinPartSize: minPart})
	require.NoError(t, err)
	require.Equal(t, multipartETag(p1, p3), o.ETag)
	require.Equal(t, slices.Concat(p1, p3), te.readKey(t, b.ID, "p/k"))
	te.collect(t)
	require.Equal(t, te.shardsFor(t, o), te.shardCount(t), "the unlisted part is collected")
	blobs, queued, _ := te.indexCounts(t)
	require.Equal(t, 2, blobs)
	require.Zero(t, queued)
}

// TestCompleteUploadSmallLastPart: only parts before the last must reach MinPartSize.
func TestCompleteUploadSmallLastPart(t *testing.T) {
	te := newTestEngine(t)
	b := te.bucket(t, "b")
	up := te.createUpload(t, b.ID, "k")
	p1, p2 := randomBytes(1, 5000), randomBytes(2, 1)
	i1, i2 := te.putPart(t, up, 1, p1), te.putPart(t, up, 2, p2)
	_, err := te.CompleteUpload(t.Context(), CompleteUploadInput{Bucket: b.ID, Key: "k", Upload: up.ID, Parts: completed(i1, i2), MinPartSize: 5001})
	require.ErrorIs(t, err, ErrEntityTooSmall)
	o, err := te.CompleteUpload(t.Context(), CompleteUploadInput{Bucket: b.ID, Key: "k", Upload: up.ID, Parts: completed(i1, i2), MinPartSize: 5000})
	require.NoError(t, err)
	require.Equal(t, slices.Concat(p1, p2), te.readKey(t, b.ID, "k"))
	require.Equal(t, multipartETag(p1, p2), o.ETag)
}

// TestCompleteUploadEmptyParts completes uploads with empty parts, which have no blob: last,
// first (with no minimum size) and alone.
func TestCompleteUploadEmptyParts(t *testing.T) {
	data := randomBytes(1, 20_000)
	for _, tc := range []struct {
		name  string
		parts [][]byte
		min   int64
		segs  int
	}{
		{"empty last", [][]byte{data, {}}, 5000, 1},
		{"empty first", [][]byte{{}, data}, 0, 1},
		{"empty middle", [][]byte{data, {}, data}, 0, 2},
		{"only empty", [][]byte{{}}, 5000, 0},
		{"all empty", [][]byte{{}, {}}, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			te := newTestEngine(t)
			b := te.bucket(t, "b")
			up := te.createUpload(t, b.ID, "p/k")
			var infos []UploadPartInfo
			for i, p := range tc.parts {
				infos = append(infos, te.putPart(t, up, 2*i+1, p))
			}
			o, err := te.CompleteUpload(t.Context(), CompleteUploadInput{Bucket: b.ID, Key: "p/k", Upload: up.ID,
				Parts: completed(infos...), MinPartSize: tc.min})
			require.NoError(t, err)
			whole := append([]byte{}, slices.Concat(tc.parts...)...)
			require.Equal(t, int64(len(whole)), o.Size)
			require.Equal(t, sha256.Sum256(whole), o.SHA256)
			require.Equal(t, multipartETag(tc.parts...), o.ETag)
			require.Len(t, o.Segments, tc.segs)
			require.Equal(t, whole, te.readKey(t, b.ID, "p/k"))
			te.collect(t)
			require.Equal(t, te.shardsFor(t, o), te.shardCount(t))
			require.Equal(t, whole, te.readKey(t, b.ID, "p/k"))
		})
	}
}

// TestPutPartReplace uploads a part number again: the new part replaces the old, whose blob
// is released, across empty, small and large parts.
func TestPutPartReplace(t *testing.T) {
	sizes := []int{0, 100, 20_000}
	for _, from := range sizes {
		for _, to := range sizes {
			t.Run(fmt.Sprintf("%d->%d", from, to), func(t *testing.T) {
				te := newTestEngine(t)
				b := te.bucket(t, "b")
				up := te.createUpload(t, b.ID, "k")
				keep := te.putPart(t, up, 2, randomBytes(9, 3000))
				te.putPart(t, up, 1, randomBytes(1, from))
				want := randomBytes(2, to)
				info := te.putPart(t, up, 1, want)
				require.Equal(t, md5Hex(want), info.ETag)
				parts, _, err := te.ListParts(t.Context(), b.ID, "k", up.ID, 0, 10)
				require.NoError(t, err)
				require.Len(t, parts, 2)
				requireSamePartInfos(t, []UploadPartInfo{info, keep}, parts)

				te.collect(t)
				blobs, queued, _ := te.indexCounts(t)
				wantBlobs, wantShards := 1, 6 // part 2: 3000 bytes, erasure coded
				switch {
				case to > 1024:
					wantBlobs, wantShards = 2, 6+6
				case to > 0:
					wantBlobs, wantShards = 2, 6+3 // replicated
				}
				require.Equal(t, wantBlobs, blobs)
				require.Zero(t, queued)
				require.Equal(t, wantShards, te.shardCount(t), "the replaced part's shards are collected")

				o, err := te.CompleteUpload(t.Context(), CompleteUploadInput{Bucket: b.ID, Key: "k", Upload: up.ID, Parts: completed(info, keep)})
				require.NoError(t, err)
				require.Equal(t, slices.Concat(want, randomBytes(9, 3000)), te.readKey(t, b.ID, "k"))
				require.Equal(t, multipartETag(want, randomBytes(9, 3000)), o.ETag)
			})
		}
	}
}

func TestPutPartErrors(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	b, other := te.bucket(t, "b"), te.bucket(t, "other")
	up := te.createUpload(t, b.ID, "p/k")
	for _, tc := range []struct {
		name   string
		in     PutPartInput
		body   []byte
		size   int64
		kind   Kind
		finish bool
	}{
		{name: "part 0", in: PutPartInput{Number: 0}, kind: KindInvalid},
		{name: "negative part", in: PutPartInput{Number: -3}, kind: KindInvalid},
		{name: "part too large", in: PutPartInput{Number: MaxUploadParts + 1}, kind: KindInvalid},
		{name: "wrong key", in: PutPartInput{Number: 1, Key: "p/other"}, kind: KindNotFound},
		{name: "other bucket", in: PutPartInput{Number: 1, Bucket: other.ID}, kind: KindNotFound},
		{name: "missing bucket", in: PutPartInput{Number: 1, Bucket: 9999}, kind: KindNotFound},
		{name: "unknown upload", in: PutPartInput{Number: 1, Upload: UploadID{7}}, kind: KindNotFound},
		{name: "body shorter than size", in: PutPartInput{Number: 1}, body: randomBytes(1, 100), size: 200, kind: KindInvalid},
		{name: "body longer than size", in: PutPartInput{Number: 1}, body: randomBytes(1, 20_000), size: 2000, kind: KindInvalid},
		{name: "finish fails", in: PutPartInput{Number: 1}, body: randomBytes(1, 20_000), size: -1, finish: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.Bucket, in.Key, in.Upload = cmp.Or(in.Bucket, b.ID), cmp.Or(in.Key, "p/k"), cmp.Or(in.Upload, up.ID)
			in.Body, in.Size = bytes.NewReader(tc.body), tc.size
			if tc.body == nil {
				in.Body, in.Size = strings.NewReader("x"), 1
			}
			if tc.finish {
				in.Finish = func([16]byte) (string, error) { return "", errFinish }
			}
			_, err := te.PutPart(ctx, in)
			if tc.finish {
				require.ErrorIs(t, err, errFinish)
			} else {
				requireKind(t, tc.kind, err)
			}
		})
	}
	parts, truncated, err := te.ListParts(ctx, b.ID, "p/k", up.ID, 0, 10)
	require.NoError(t, err)
	require.Empty(t, parts)
	require.False(t, truncated)
	te.collect(t)
	require.Zero(t, te.shardCount(t), "no failed part leaves shards")
	requireNoBlobRecords(t, te)

	// The highest part number is valid.
	info := te.putPart(t, up, MaxUploadParts, []byte("last"))
	require.Equal(t, MaxUploadParts, info.Number)
}

// blockingBody blocks its first Read until released, telling started when it is reached.
type blockingBody struct {
	r       *bytes.Reader
	started chan struct{}
	release chan struct{}
	once    sync.Once
}

func (b *blockingBody) Read(p []byte) (int, error) {
	b.once.Do(func() {
		close(b.started)
		<-b.release
	})
	return b.r.Read(p)
}

// TestPutPartRacesAbort aborts an upload while a part streams into it: the part's commit must
// find the upload gone, fail with KindNotFound and leave nothing behind.
func TestPutPartRacesAbort(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	b := te.bucket(t, "b")
	up := te.createUpload(t, b.ID, "k")
	body := &blockingBody{r: bytes.NewReader(randomBytes(1, 30_000)), started: make(chan struct{}), release: make(chan struct{})}
	done := make(chan error, 1)
	go func() {
		_, err := te.PutPart(ctx, PutPartInput{Bucket: b.ID, Key: "k", Upload: up.ID, Number: 1, Body: body, Size: -1})
		done <- err
	}()
	<-body.started
	require.NoError(t, te.AbortUpload(ctx, b.ID, "k", up.ID))
	close(body.release)
	requireKind(t, KindNotFound, <-done)
	te.collect(t)
	require.Zero(t, te.shardCount(t))
	requireNoBlobRecords(t, te)
	nu, np, ni := te.uploadRecords(t)
	require.Zero(t, nu+np+ni)
}

func TestListParts(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	b := te.bucket(t, "b")
	up := te.createUpload(t, b.ID, "k")
	numbers := []int{21, 1, 3, 2, 10000, 5, 13, 8}
	infos := map[int]UploadPartInfo{}
	for _, n := range numbers {
		infos[n] = te.putPart(t, up, n, fmt.Appendf(nil, "part %d", n))
	}
	sorted := slices.Sorted(slices.Values(numbers))
	for _, after := range []int{-1, 0, 1, 4, 5, 21, 9999, 10000, 20000} {
		for _, limit := range []int{0, 1, 2, 3, 8, 100} {
			t.Run(fmt.Sprintf("after=%d/limit=%d", after, limit), func(t *testing.T) {
				var want []UploadPartInfo
				more := 0
				for _, n := range sorted {
					if n <= after {
						continue
					}
					if len(want) < limit {
						want = append(want, infos[n])
					} else {
						more++
					}
				}
				got, truncated, err := te.ListParts(ctx, b.ID, "k", up.ID, after, limit)
				require.NoError(t, err)
				requireSamePartInfos(t, want, got)
				require.Equal(t, more > 0, truncated)
			})
		}
	}
	// Paging with the last number returned.
	var all []int
	after := 0
	for {
		got, truncated, err := te.ListParts(ctx, b.ID, "k", up.ID, after, 3)
		require.NoError(t, err)
		for _, p := range got {
			all = append(all, p.Number)
		}
		if !truncated {
			break
		}
		after = got[len(got)-1].Number
	}
	require.Equal(t, sorted, all)

	_, _, err := te.ListParts(ctx, b.ID, "other", up.ID, 0, 10)
	requireKind(t, KindNotFound, err)
	_, _, err = te.ListParts(ctx, 9999, "k", up.ID, 0, 10)
	requireKind(t, KindNotFound, err)
	_, _, err = te.ListParts(ctx, b.ID, "k", UploadID{1}, 0, 10)
	requireKind(t, KindNotFound, err)
}

// TestListUploads lists uploads by key and then upload ID, with prefixes, markers, limits and
// paging; several uploads share a key, and another bucket's upload never shows.
func TestListUploads(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	b, other := te.bucket(t, "b"), te.bucket(t, "other")
	te.createUpload(t, other.ID, "a")
	var all []Upload
	for i, key := range []string{"b", "a", "a", "c/d", "ab", "a/x", "a", "a\x01", "日本"} {
		u, err := te.CreateUpload(ctx, Upload{Bucket: b.ID, Key: key, Initiator: UserID(100 + i),
			Attrs: Attributes{ContentType: fmt.Sprint(i)}, Tags: map[string]string{"i": fmt.Sprint(i)}})
		require.NoError(t, err)
		all = append(all, u)
	}
	slices.SortFunc(all, func(x, y Upload) int {
		return cmpKeyID(x.Key, x.ID, y.Key, y.ID)
	})
	keysOf := func(us []Upload) []string {
		out := []string{}
		for _, u := range us {
			out = append(out, u.Key+"#"+u.ID.String())
		}
		return out
	}
	filter := func(f func(Upload) bool) []Upload {
		var out []Upload
		for _, u := range all {
			if f(u) {
				out = append(out, u)
			}
		}
		return out
	}
	aIDs := filter(func(u Upload) bool { return u.Key == "a" })
	require.Len(t, aIDs, 3)
	// past returns the uploads listed after u.
	past := func(u Upload) []Upload {
		i := slices.IndexFunc(all, func(v Upload) bool { return v.ID == u.ID })
		return all[i+1:]
	}

	for _, tc := range []struct {
		name      string
		in        ListUploadsInput
		want      []Upload
		truncated bool
	}{
		{"all", ListUploadsInput{Limit: 100}, all, false},
		{"prefix", ListUploadsInput{Prefix: "a", Limit: 100}, filter(func(u Upload) bool { return strings.HasPrefix(u.Key, "a") }), false},
		{"prefix dir", ListUploadsInput{Prefix: "a/", Limit: 100}, filter(func(u Upload) bool { return u.Key == "a/x" }), false},
		{"prefix none", ListUploadsInput{Prefix: "zz", Limit: 100}, nil, false},
		{"key marker", ListUploadsInput{KeyMarker: "a", Limit: 100}, filter(func(u Upload) bool { return u.Key > "a" }), false},
		{"key marker not a key", ListUploadsInput{KeyMarker: "a0", Limit: 100}, filter(func(u Upload) bool { return u.Key > "a0" }), false},
		{"key and id marker", ListUploadsInput{KeyMarker: "a", IDMarker: &aIDs[0].ID, Limit: 100}, past(aIDs[0]), false},
		{"key and middle id marker", ListUploadsInput{KeyMarker: "a", IDMarker: &aIDs[1].ID, Limit: 100}, past(aIDs[1]), false},
		{"key and last id marker", ListUploadsInput{KeyMarker: "a", IDMarker: &aIDs[2].ID, Limit: 100}, filter(func(u Upload) bool { return u.Key > "a" }), false},
		{"prefix and key marker", ListUploadsInput{Prefix: "a", KeyMarker: "a/x", Limit: 100}, filter(func(u Upload) bool { return strings.HasPrefix(u.Key, "a") && u.Key > "a/x" }), false},
		{"key marker below prefix", ListUploadsInput{Prefix: "b", KeyMarker: "a", Limit: 100}, filter(func(u Upload) bool { return u.Key == "b" }), false},
		{"key marker beyond prefix", ListUploadsInput{Prefix: "a", KeyMarker: "b", Limit: 100}, nil, false},
		{"limit", ListUploadsInput{Limit: 2}, all[:2], true},
		{"limit exact", ListUploadsInput{Prefix: "a", Limit: 6}, filter(func(u Upload) bool { return strings.HasPrefix(u.Key, "a") }), false},
		{"limit 0", ListUploadsInput{}, nil, true},
		{"limit 0 nothing", ListUploadsInput{Prefix: "zz"}, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.Bucket = b.ID
			got, truncated, err := te.ListUploads(ctx, in)
			require.NoError(t, err)
			require.Equal(t, keysOf(tc.want), keysOf(got))
			require.Equal(t, tc.truncated, truncated)
			for i := range got {
				requireSameUpload(t, tc.want[i], got[i])
			}
		})
	}

	// Paging with the last upload as both markers.
	for _, page := range []int{1, 2, 4} {
		var got []Upload
		in := ListUploadsInput{Bucket: b.ID, Limit: page}
		for {
			us, truncated, err := te.ListUploads(ctx, in)
			require.NoError(t, err)
			got = append(got, us...)
			if !truncated {
				break
			}
			last := us[len(us)-1]
			in.KeyMarker, in.IDMarker = last.Key, &last.ID
		}
		require.Equal(t, keysOf(all), keysOf(got), "page %d", page)
	}

	_, _, err := te.ListUploads(ctx, ListUploadsInput{Bucket: 9999, Limit: 10})
	requireKind(t, KindNotFound, err)
}

// cmpKeyID orders uploads by key, then by ID bytes.
func cmpKeyID(k1 string, id1 UploadID, k2 string, id2 UploadID) int {
	if c := strings.Compare(k1, k2); c != 0 {
		return c
	}
	return bytes.Compare(id1[:], id2[:])
}

func TestCreateUploadErrors(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	b := te.bucket(t, "b")
	for _, tc := range []struct {
		name string
		u    Upload
		want Kind
	}{
		{"missing bucket", Upload{Bucket: 9999, Key: "k"}, KindNotFound},
		{"empty key", Upload{Bucket: b.ID, Key: ""}, KindInvalid},
		{"NUL in key", Upload{Bucket: b.ID, Key: "a\x00"}, KindInvalid},
		{"key too long", Upload{Bucket: b.ID, Key: strings.Repeat("k", MaxPathLen+1)}, KindInvalid},
		{"invalid UTF-8", Upload{Bucket: b.ID, Key: "\xc3"}, KindInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := te.CreateUpload(ctx, tc.u)
			requireKind(t, tc.want, err)
		})
	}
	nu, np, ni := te.uploadRecords(t)
	require.Zero(t, nu+np+ni)

	seen := map[UploadID]bool{}
	for range 50 {
		u := te.createUpload(t, b.ID, "same")
		require.False(t, seen[u.ID], "upload ID reused")
		seen[u.ID] = true
	}
}

// TestAbortUpload: aborting releases the upload's parts and nothing else; other uploads of the
// same key stay.
func TestAbortUpload(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	b := te.bucket(t, "b")
	obj := te.put(t, b.ID, "k", randomBytes(5, 20_000))
	doomed, kept := te.createUpload(t, b.ID, "k"), te.createUpload(t, b.ID, "k")
	te.putPart(t, doomed, 1, randomBytes(1, 20_000))
	te.putPart(t, doomed, 2, randomBytes(2, 100))
	te.putPart(t, doomed, 3, nil)
	keptPart := te.putPart(t, kept, 1, randomBytes(3, 20_000))
	shards := te.shardCount(t)

	requireKind(t, KindNotFound, te.AbortUpload(ctx, b.ID, "other", doomed.ID))
	requireKind(t, KindNotFound, te.AbortUpload(ctx, 9999, "k", doomed.ID))
	require.NoError(t, te.AbortUpload(ctx, b.ID, "k", doomed.ID))
	requireKind(t, KindNotFound, te.AbortUpload(ctx, b.ID, "k", doomed.ID))
	_, err := te.GetUpload(ctx, b.ID, "k", doomed.ID)
	requireKind(t, KindNotFound, err)
	_, _, err = te.ListParts(ctx, b.ID, "k", doomed.ID, 0, 10)
	requireKind(t, KindNotFound, err)
	ups, _, err := te.ListUploads(ctx, ListUploadsInput{Bucket: b.ID, Limit: 10})
	require.NoError(t, err)
	require.Len(t, ups, 1)
	require.Equal(t, kept.ID, ups[0].ID)

	te.collect(t)
	require.Equal(t, shards-6-3, te.shardCount(t), "the aborted upload's parts are collected")
	require.Equal(t, randomBytes(5, 20_000), te.readKey(t, b.ID, "k"), "the object is untouched")

	o, err := te.CompleteUpload(ctx, CompleteUploadInput{Bucket: b.ID, Key: "k", Upload: kept.ID, Parts: completed(keptPart)})
	require.NoError(t, err)
	require.Equal(t, obj.ID, o.ID)
	require.Equal(t, randomBytes(3, 20_000), te.readKey(t, b.ID, "k"))
	te.collect(t)
	require.Equal(t, te.shardsFor(t, o), te.shardCount(t))
	nu, np, ni := te.uploadRecords(t)
	require.Zero(t, nu+np+ni)
}

// TestCompleteUploadConditions: the write condition applies to the object at the key when
// the upload completes; a failed one leaves the upload for another try.
func TestCompleteUploadConditions(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	b := te.bucket(t, "b")
	up := te.createUpload(t, b.ID, "k")
	part := te.putPart(t, up, 1, randomBytes(1, 3000))
	// The object appears while the upload runs.
	existing := te.put(t, b.ID, "k", []byte("appeared"))
	for _, cond := range []WriteCondition{
		{IfNoneMatch: "*"},
		{IfNoneMatch: existing.ETag},
		{IfMatch: md5Hex([]byte("other"))},
	} {
		_, err := te.CompleteUpload(ctx, CompleteUploadInput{Bucket: b.ID, Key: "k", Upload: up.ID, Parts: completed(part), Cond: cond})
		requireKind(t, KindPrecondition, err)
		require.Equal(t, []byte("appeared"), te.readKey(t, b.ID, "k"))
		_, err = te.GetUpload(ctx, b.ID, "k", up.ID)
		require.NoError(t, err, "the upload stays")
	}
	o, err := te.CompleteUpload(ctx, CompleteUploadInput{Bucket: b.ID, Key: "k", Upload: up.ID, Parts: completed(part),
		Cond: WriteCondition{IfMatch: existing.ETag}})
	require.NoError(t, err)
	require.Equal(t, existing.ID, o.ID)
	require.Equal(t, randomBytes(1, 3000), te.readKey(t, b.ID, "k"))
	te.collect(t)
	require.Equal(t, te.shardsFor(t, o), te.shardCount(t))
}

// TestConcurrentUploadsSameKey runs two uploads to one key; each completion replaces the
// object, and the data of the replaced one is collected.
func TestConcurrentUploadsSameKey(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	b := te.bucket(t, "b")
	u1, u2 := te.createUpload(t, b.ID, "k"), te.createUpload(t, b.ID, "k")
	require.NotEqual(t, u1.ID, u2.ID)
	a1, a2 := randomBytes(1, 20_000), randomBytes(2, 500)
	b1 := randomBytes(3, 30_000)
	ia1, ib1, ia2 := te.putPart(t, u1, 1, a1), te.putPart(t, u2, 1, b1), te.putPart(t, u1, 2, a2)
	o1, err := te.CompleteUpload(ctx, CompleteUploadInput{Bucket: b.ID, Key: "k", Upload: u1.ID, Parts: completed(ia1, ia2)})
	require.NoError(t, err)
	require.Equal(t, slices.Concat(a1, a2), te.readKey(t, b.ID, "k"))
	parts, _, err := te.ListParts(ctx, b.ID, "k", u2.ID, 0, 10)
	require.NoError(t, err)
	require.Len(t, parts, 1, "the other upload is untouched")
	o2, err := te.CompleteUpload(ctx, CompleteUploadInput{Bucket: b.ID, Key: "k", Upload: u2.ID, Parts: completed(ib1)})
	require.NoError(t, err)
	require.Equal(t, o1.ID, o2.ID)
	require.Equal(t, b1, te.readKey(t, b.ID, "k"))
	require.Equal(t, multipartETag(b1), o2.ETag)
	te.collect(t)
	require.Equal(t, te.shardsFor(t, o2), te.shardCount(t))
}

// TestUploadsSurviveRestart uploads parts, restarts the engine over the same index and spaces,
// sweeps everything unreferenced, and finishes the upload with the new engine.
func TestUploadsSurviveRestart(t *testing.T) {
	te := newTestEngine(t, withClock(stepClock()))
	ctx := t.Context()
	b := te.bucket(t, "b")
	up, err := te.CreateUpload(ctx, Upload{Bucket: b.ID, Key: "p/k", Attrs: testAttrs, Initiator: 42})
	require.NoError(t, err)
	p1, p2, p3 := randomBytes(1, 20_000), randomBytes(2, 20_000), randomBytes(3, 100)
	i1, i2 := te.putPart(t, up, 1, p1), te.putPart(t, up, 2, p2)

	te.reopen(t)
	st, err := te.CollectGarbage(ctx, time.Now().Add(time.Hour))
	require.NoError(t, err)
	require.Zero(t, st.Orphans, "parts are not orphans")
	require.Equal(t, 12, te.shardCount(t))
	got, err := te.GetUpload(ctx, b.ID, "p/k", up.ID)
	require.NoError(t, err)
	requireSameUpload(t, up, got)
	parts, _, err := te.ListParts(ctx, b.ID, "p/k", up.ID, 0, 10)
	require.NoError(t, err)
	requireSamePartInfos(t, []UploadPartInfo{i1, i2}, parts)
	ups, _, err := te.ListUploads(ctx, ListUploadsInput{Bucket: b.ID, Limit: 10})
	require.NoError(t, err)
	require.Len(t, ups, 1)

	i3 := te.putPart(t, up, 3, p3)
	te.reopen(t)
	o, err := te.CompleteUpload(ctx, CompleteUploadInput{Bucket: b.ID, Key: "p/k", Upload: up.ID, Parts: completed(i1, i2, i3), MinPartSize: 20_000})
	require.NoError(t, err)
	want := slices.Concat(p1, p2, p3)
	require.Equal(t, multipartETag(p1, p2, p3), o.ETag)
	require.Equal(t, sha256.Sum256(want), o.SHA256)
	require.Equal(t, want, te.readKey(t, b.ID, "p/k"))
	te.reopen(t)
	require.Equal(t, want, te.readKey(t, b.ID, "p/k"))
	st2, err := te.StatObject(ctx, b.ID, "p/k")
	require.NoError(t, err)
	requireSameObject(t, o, st2)
}

// TestCompleteUploadRaces changes the upload while a completion is between its checks and its
// commit (Finish runs there): a part replaced makes the completion fail with KindPrecondition
// and leaves the upload to retry; an abort makes it fail with KindNotFound. Either way no
// object appears and no data leaks.
func TestCompleteUploadRaces(t *testing.T) {
	t.Run("part replaced", func(t *testing.T) {
		te := newTestEngine(t)
		ctx := t.Context()
		b := te.bucket(t, "b")
		up := te.createUpload(t, b.ID, "k")
		i1, i2 := te.putPart(t, up, 1, randomBytes(1, 20_000)), te.putPart(t, up, 2, randomBytes(2, 100))
		var replaced UploadPartInfo
		_, err := te.CompleteUpload(ctx, CompleteUploadInput{Bucket: b.ID, Key: "k", Upload: up.ID, Parts: completed(i1, i2),
			Finish: func(*Upload, []UploadPartInfo) (Checksum, error) {
				replaced = te.putPart(t, up, 1, randomBytes(3, 20_000))
				return Checksum{}, nil
			}})
		requireKind(t, KindPrecondition, err)
		te.requireNoKey(t, b.ID, "k")
		require.Empty(t, te.blobs.pinned)
		te.collect(t)
		require.Equal(t, 6+3, te.shardCount(t), "the replaced part is collected once unpinned")

		// The old ETag is now wrong; the new one completes.
		_, err = te.CompleteUpload(ctx, CompleteUploadInput{Bucket: b.ID, Key: "k", Upload: up.ID, Parts: completed(i1, i2)})
		require.ErrorIs(t, err, ErrInvalidPart)
		o, err := te.CompleteUpload(ctx, CompleteUploadInput{Bucket: b.ID, Key: "k", Upload: up.ID, Parts: completed(replaced, i2)})
		require.NoError(t, err)
		require.Equal(t, slices.Concat(randomBytes(3, 20_000), randomBytes(2, 100)), te.readKey(t, b.ID, "k"))
		te.collect(t)
		require.Equal(t, te.shardsFor(t, o), te.shardCount(t))
	})
	t.Run("aborted", func(t *testing.T) {
		te := newTestEngine(t)
		ctx := t.Context()
		b := te.bucket(t, "b")
		up := te.createUpload(t, b.ID, "k")
		i1 := te.putPart(t, up, 1, randomBytes(1, 20_000))
		_, err := te.CompleteUpload(ctx, CompleteUploadInput{Bucket: b.ID, Key: "k", Upload: up.ID, Parts: completed(i1),
			Finish: func(*Upload, []UploadPartInfo) (Checksum, error) {
				require.NoError(t, te.AbortUpload(ctx, b.ID, "k", up.ID))
				return Checksum{}, nil
			}})
		requireKind(t, KindNotFound, err)
		te.requireNoKey(t, b.ID, "k")
		require.Empty(t, te.blobs.pinned)
		te.collect(t)
		require.Zero(t, te.shardCount(t))
		requireNoBlobRecords(t, te)
		nu, np, ni := te.uploadRecords(t)
		require.Zero(t, nu+np+ni)
	})
}

// TestExpireUploads: uploads initiated before the cutoff are aborted with their parts, whose
// blobs go to collection; newer ones, and completed objects, are left alone. With
// UploadExpiry negative, the collector expires nothing.
func TestExpireUploads(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	te := newTestEngine(t, withClock(func() time.Time { return now }))
	ctx := t.Context()
	b, err := te.CreateBucket(ctx, CreateBucketInput{Name: "expiry"})
	require.NoError(t, err)

	old := te.createUpload(t, b.ID, "p/old")
	te.putPart(t, old, 1, randomBytes(1, 20_000))
	te.putPart(t, old, 2, randomBytes(2, 100))
	now = now.Add(48 * time.Hour)
	fresh := te.createUpload(t, b.ID, "p/fresh")
	te.putPart(t, fresh, 1, randomBytes(3, 100))
	uploads, parts, index := te.uploadRecords(t)
	require.Equal(t, []int{2, 3, 2}, []int{uploads, parts, index})

	before := te.Metrics().UploadsExpired
	n, err := te.ExpireUploads(ctx, now.Add(-24*time.Hour))
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Equal(t, int64(1), te.Metrics().UploadsExpired-before)
	_, err = te.GetUpload(ctx, b.ID, "p/old", old.ID)
	require.Equal(t, KindNotFound, KindOf(err))
	_, err = te.GetUpload(ctx, b.ID, "p/fresh", fresh.ID)
	require.NoError(t, err)
	uploads, parts, index = te.uploadRecords(t)
	require.Equal(t, []int{1, 1, 1}, []int{uploads, parts, index})
	require.Equal(t, 2, te.collect(t).Blobs, "the expired parts' blobs are released")

	n, err = te.ExpireUploads(ctx, now.Add(-24*time.Hour))
	require.NoError(t, err)
	require.Zero(t, n, "nothing left to expire")

	// The collector's own pass honours UploadExpiry.
	te.Engine.opts.UploadExpiry = -1
	now = now.Add(30 * 24 * time.Hour)
	te.expireUploads(ctx)
	_, err = te.GetUpload(ctx, b.ID, "p/fresh", fresh.ID)
	require.NoError(t, err, "a negative expiry keeps uploads")
	te.Engine.opts.UploadExpiry = DefaultUploadExpiry
	te.expireUploads(ctx)
	_, err = te.GetUpload(ctx, b.ID, "p/fresh", fresh.ID)
	require.Equal(t, KindNotFound, KindOf(err), "a week-old upload is expired by default")
}
