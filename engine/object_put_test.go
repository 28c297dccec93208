package engine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space/faultspace"
	"github.com/jointcloud/jcs/erasure"
)

// failingReader yields data and then fails with err instead of io.EOF.
type failingReader struct {
	data []byte
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

var errBody = errors.New("engine_test: body broke")

var fileHashRE = regexp.MustCompile(`^Full[0-9A-F]{64}$`)

// TestUploadRedundancyBySize uploads sizes around the small-object threshold (1 KiB) and the
// stripe size (16 KiB), with the size announced and not, and checks the redundancy chosen,
// the hash, the shard files written and the bytes read back.
func TestUploadRedundancyBySize(t *testing.T) {
	const stripe = 16 << 10
	te := newTestEngine(t)
	p := te.pkg(t)
	for _, size := range []int{
		0, 1, 1023, 1024, 1025, 4095, 4096, 4097, stripe - 1, stripe, stripe + 1,
		2*stripe - 1, 2 * stripe, 2*stripe + 3, 100_000,
	} {
		for _, known := range []bool{true, false} {
			t.Run(fmt.Sprintf("size=%d/known=%t", size, known), func(t *testing.T) {
				// Distinct content per case: identical bytes would be stored once.
				content := randomBytes(uint64(2*size)+uint64(len(fmt.Sprint(known))), size)
				announced := int64(-1)
				if known {
					announced = int64(size)
				}
				before := te.shardCount(t)
				path := fmt.Sprintf("s%d-%t", size, known)
				objs, err := te.UploadObjects(t.Context(), UploadInput{PackageID: p.ID},
					fileList(UploadFile{Path: path, Body: bytes.NewReader(content), Size: announced}))
				require.NoError(t, err)
				require.Len(t, objs, 1)
				o := objs[0]
				require.Equal(t, path, o.Path)
				require.Equal(t, p.ID, o.PackageID)
				require.Equal(t, int64(size), o.Size)
				require.Equal(t, sha256.Sum256(content), o.SHA256)
				require.Regexp(t, fileHashRE, o.FileHash())
				require.Equal(t, "Full"+strings.ToUpper(hex.EncodeToString(o.SHA256[:])), o.FileHash())

				var wantShards int
				switch {
				case size == 0:
					require.Equal(t, Redundancy{Type: RedundancyNone}, o.Redundancy)
					require.Empty(t, o.Segments, "an empty object has no blob")
				case size <= 1024:
					require.Equal(t, Redundancy{Type: RedundancyRep, RepCount: 3}, o.Redundancy)
					wantShards = 3
				default:
					require.Equal(t, Redundancy{Type: RedundancyEC, K: 4, N: 6, ChunkSize: 4096}, o.Redundancy)
					wantShards = 6
				}
				require.Equal(t, before+wantShards, te.shardCount(t))
				if size > 0 {
					require.Equal(t, []Segment{{Blob: o.Segments[0].Blob, Size: int64(size)}}, o.Segments)
					te.requireShardFiles(t, o)
				}
				got, err := te.GetObject(t.Context(), o.ID)
				require.NoError(t, err)
				require.Equal(t, o.Size, got.Size)
				require.Equal(t, o.SHA256, got.SHA256)
				require.Equal(t, o.Redundancy, got.Redundancy)
				require.Equal(t, o.Segments, got.Segments)
				require.Equal(t, content, te.read(t, o.ID))
			})
		}
	}
}

// requireShardFiles checks that each shard of each of o's blobs is on its own space, with the
// length the codec says, and that the blob's spaces are distinct.
func (te *testEngine) requireShardFiles(t *testing.T, o Object) {
	t.Helper()
	for _, b := range te.layouts(t, o.ID) {
		require.Len(t, b.Spaces, b.N)
		seen := map[SpaceID]bool{}
		codec, err := te.codec(b.K, b.N-b.K, b.Chunk)
		require.NoError(t, err)
		for i, id := range b.Spaces {
			require.False(t, seen[id], "shard %d on space %d twice", i, id)
			seen[id] = true
			info, err := te.mem[id].Stat(t.Context(), shardName(b.ID, i))
			require.NoError(t, err)
			require.Equal(t, codec.ShardFileSize(b.Size), info.Size, "shard %d", i)
		}
	}
}

func TestUploadHashKnownValues(t *testing.T) {
	te := newTestEngine(t)
	p := te.pkg(t)
	objs := te.upload(t, p.ID, "empty", []byte{}, "abc", []byte("abc"))
	require.Equal(t, "FullE3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", objs[0].FileHash())
	require.Equal(t, "FullBA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD", objs[1].FileHash())
}

// TestUploadReplace replaces objects with content of every redundancy: the ID and create
// time stay, the update time moves, and the old data is released.
func TestUploadReplace(t *testing.T) {
	sizes := []int{0, 100, 50_000}
	for _, from := range sizes {
		for _, to := range sizes {
			t.Run(fmt.Sprintf("%d->%d", from, to), func(t *testing.T) {
				te := newTestEngine(t, withClock(stepClock()))
				p := te.pkg(t)
				first := te.upload1(t, p.ID, "x", randomBytes(1, from))
				other := te.upload1(t, p.ID, "y", randomBytes(2, 2000))
				want := randomBytes(3, to)
				objs := te.upload(t, p.ID, "new", []byte("n"), "x", want)
				second := objs[1]

				require.Equal(t, first.ID, second.ID, "ID kept")
				requireSameTime(t, first.CreateTime, second.CreateTime, "create time kept")
				require.True(t, second.UpdateTime.After(first.UpdateTime), "update time moved")
				require.NotEqual(t, first.ID, objs[0].ID)
				got, err := te.GetObjectByPath(t.Context(), p.ID, "x")
				require.NoError(t, err)
				require.Equal(t, first.ID, got.ID)
				requireSameTime(t, first.CreateTime, got.CreateTime, "stored create time")
				require.Equal(t, int64(to), got.Size)
				require.Equal(t, want, te.read(t, first.ID))

				te.collect(t)
				require.Equal(t, te.shardsFor(t, second, other, objs[0]), te.shardCount(t), "old data collected")
				res, err := te.ListObjects(t.Context(), ListObjectsInput{PackageID: p.ID, IsPrefix: true})
				require.NoError(t, err)
				require.Len(t, res.Objects, 3)
			})
		}
	}
}

// TestUploadAllOrNothing runs batches that fail part way and checks that none of their
// objects appears, nothing is replaced, and every shard they wrote is gone at once.
func TestUploadAllOrNothing(t *testing.T) {
	large := randomBytes(7, 40_000)
	ok := func(path string, b []byte) UploadFile {
		return UploadFile{Path: path, Body: bytes.NewReader(b), Size: -1}
	}
	for _, tc := range []struct {
		name   string
		faults func(te *testEngine)
		files  []UploadFile
		next   error // returned by next after the files instead of io.EOF
		want   Kind
	}{
		{
			name:  "body fails midway",
			files: []UploadFile{ok("n1", large), {Path: "n2", Body: &failingReader{data: large[:20_000], err: errBody}, Size: -1}},
			want:  KindInvalid,
		},
		{
			name:  "body fails midway with known size",
			files: []UploadFile{ok("a", large), {Path: "n2", Body: &failingReader{data: large[:20_000], err: errBody}, Size: 40_000}},
			want:  KindInvalid,
		},
		{
			// Every byte arrives, then the body fails (as a signature checked at EOF does),
			// after the encoder has handed the shards their last blocks.
			name:  "body fails at its end with known size",
			files: []UploadFile{ok("n1", large), {Path: "n2", Body: &failingReader{data: large, err: errBody}, Size: 40_000}},
			want:  KindInvalid,
		},
		{
			name:  "small body fails",
			files: []UploadFile{ok("n1", large), {Path: "n2", Body: &failingReader{data: large[:10], err: errBody}, Size: -1}},
			want:  KindInvalid,
		},
		{
			name:  "first body fails at once",
			files: []UploadFile{{Path: "n1", Body: &failingReader{err: errBody}, Size: -1}},
			want:  KindInvalid,
		},
		{
			name:  "empty path",
			files: []UploadFile{ok("n1", large), ok("a", large[:10]), ok("", large)},
			want:  KindInvalid,
		},
		{
			name:  "NUL in path",
			files: []UploadFile{ok("n1", large), ok("n\x00", large)},
			want:  KindInvalid,
		},
		{
			name:  "invalid UTF-8 path",
			files: []UploadFile{ok("n1", large), ok("n\xff", large)},
			want:  KindInvalid,
		},
		{
			name:  "path twice",
			files: []UploadFile{ok("n1", large), ok("a", large), ok("n1", large[:5])},
			want:  KindInvalid,
		},
		{
			name:  "next fails",
			files: []UploadFile{ok("n1", large), ok("a", large)},
			next:  errBody,
			want:  KindInvalid,
		},
		{
			name:   "put fails on one space",
			faults: func(te *testEngine) { te.spaces[4].Fail(faultspace.OpPut, nil, nil) },
			files:  []UploadFile{ok("n1", large[:100]), ok("a", large)},
			want:   KindUnavailable,
		},
		{
			name:   "put fails midway on one space",
			faults: func(te *testEngine) { te.spaces[2].FailPutAfter(5000, nil, nil) },
			files:  []UploadFile{ok("n1", large[:100]), ok("a", large)},
			want:   KindUnavailable,
		},
		{
			name:   "put fails on every space",
			faults: func(te *testEngine) { te.failAll(faultspace.OpPut) },
			files:  []UploadFile{ok("a", large)},
			want:   KindUnavailable,
		},
		{
			name:  "body shorter than its size",
			files: []UploadFile{ok("n1", large), {Path: "n2", Body: bytes.NewReader(large[:30_000]), Size: 40_000}},
			want:  KindInvalid,
		},
		{
			name:  "body longer than its size",
			files: []UploadFile{ok("n1", large), {Path: "n2", Body: bytes.NewReader(large), Size: 30_000}},
			want:  KindInvalid,
		},
		{
			name:  "small body longer than its size",
			files: []UploadFile{{Path: "n2", Body: bytes.NewReader(large[:500]), Size: 100}},
			want:  KindInvalid,
		},
		{
			name:  "small body shorter than its size",
			files: []UploadFile{{Path: "n2", Body: bytes.NewReader(large[:50]), Size: 100}},
			want:  KindInvalid,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			te := newTestEngine(t)
			p := te.pkg(t)
			orig := te.upload(t, p.ID, "a", []byte("original"), "b", large)
			shards := te.shardCount(t)
			blobs, queued, parts := te.indexCounts(t)
			if tc.faults != nil {
				tc.faults(te)
			}
			next := fileList(tc.files...)
			if tc.next != nil {
				inner := next
				next = func() (UploadFile, error) {
					f, err := inner()
					if err == io.EOF {
						err = tc.next
					}
					return f, err
				}
			}
			_, err := te.UploadObjects(t.Context(), UploadInput{PackageID: p.ID}, next)
			requireKind(t, tc.want, err)
			te.clearFaults()

			require.Equal(t, shards, te.shardCount(t), "no shard files left behind")
			b2, q2, p2 := te.indexCounts(t)
			require.Equal(t, []int{blobs, queued, parts}, []int{b2, q2, p2}, "index records")
			require.Empty(t, te.blobs.staged, "nothing left staged")
			res, err := te.ListObjects(t.Context(), ListObjectsInput{PackageID: p.ID, IsPrefix: true})
			require.NoError(t, err)
			require.Len(t, res.Objects, 2, "no object created")
			require.Equal(t, []byte("original"), te.read(t, orig[0].ID), "nothing replaced")
			require.Equal(t, large, te.read(t, orig[1].ID))
		})
	}
}

// failAll makes op fail on every space.
func (te *testEngine) failAll(op faultspace.Op) {
	for _, s := range te.spaces {
		s.Fail(op, nil, nil)
	}
}

// TestUploadPackageDeletedBeforeCommit deletes the package after every file is staged and
// before the batch commits: the upload fails and leaves no data behind.
func TestUploadPackageDeletedBeforeCommit(t *testing.T) {
	te := newTestEngine(t)
	p := te.pkg(t)
	te.upload(t, p.ID, "old", randomBytes(1, 30_000))
	inner := files("a", randomBytes(2, 30_000), "b", randomBytes(3, 100))
	next := func() (UploadFile, error) {
		f, err := inner()
		if err == io.EOF {
			require.NoError(t, te.DeletePackage(t.Context(), p.ID))
		}
		return f, err
	}
	_, err := te.UploadObjects(t.Context(), UploadInput{PackageID: p.ID}, next)
	requireKind(t, KindNotFound, err)
	require.Empty(t, te.blobs.staged)
	te.collect(t)
	require.Zero(t, te.shardCount(t))
	requireNoBlobRecords(t, te)
}

func TestUploadMissingPackage(t *testing.T) {
	te := newTestEngine(t)
	called := false
	_, err := te.UploadObjects(t.Context(), UploadInput{PackageID: 99}, func() (UploadFile, error) {
		called = true
		return UploadFile{}, io.EOF
	})
	requireKind(t, KindNotFound, err)
	require.False(t, called, "no file is read for a missing package")
}

func TestUploadEmptyBatch(t *testing.T) {
	te := newTestEngine(t)
	p := te.pkg(t)
	objs, err := te.UploadObjects(t.Context(), UploadInput{PackageID: p.ID}, files())
	require.NoError(t, err)
	require.Empty(t, objs)
}

// TestUploadTooFewSpaces: erasure coding needs six spaces and replication three.
func TestUploadTooFewSpaces(t *testing.T) {
	for _, tc := range []struct {
		spaces     int
		size       int
		wantFailed bool
	}{
		{spaces: 5, size: 2000, wantFailed: true},
		{spaces: 5, size: 1000},
		{spaces: 5, size: 0},
		{spaces: 3, size: 1024},
		{spaces: 2, size: 1, wantFailed: true},
		{spaces: 0, size: 0},
		{spaces: 0, size: 1, wantFailed: true},
	} {
		t.Run(fmt.Sprintf("spaces=%d/size=%d", tc.spaces, tc.size), func(t *testing.T) {
			te := newTestEngine(t, withSpaces(tc.spaces))
			p := te.pkg(t)
			_, err := te.UploadObjects(t.Context(), UploadInput{PackageID: p.ID}, files("x", randomBytes(1, tc.size)))
			if tc.wantFailed {
				requireKind(t, KindUnavailable, err)
				res, err := te.ListObjects(t.Context(), ListObjectsInput{PackageID: p.ID, IsPrefix: true})
				require.NoError(t, err)
				require.Empty(t, res.Objects)
			} else {
				require.NoError(t, err)
			}
			require.Empty(t, te.blobs.staged)
		})
	}
}

// TestUploadAffinity puts shard 0 of every object on the affinity space.
func TestUploadAffinity(t *testing.T) {
	te := newTestEngine(t)
	p := te.pkg(t)
	for _, aff := range []SpaceID{1, 3, 6} {
		for _, size := range []int{10, 30_000} {
			objs, err := te.UploadObjects(t.Context(), UploadInput{PackageID: p.ID, Affinity: aff},
				files(fmt.Sprintf("%d-%d", aff, size), randomBytes(uint64(aff), size)))
			require.NoError(t, err)
			require.Equal(t, aff, te.layouts(t, objs[0].ID)[0].Spaces[0])
		}
	}
	// An affinity space that does not exist is the client's mistake, and stores nothing.
	before := te.shardCount(t)
	_, err := te.UploadObjects(t.Context(), UploadInput{PackageID: p.ID, Affinity: 77}, files("none", randomBytes(1, 30_000)))
	requireKind(t, KindInvalid, err)
	require.Equal(t, before, te.shardCount(t))
}

// TestUploadReplicationOff: with replication turned off every non-empty object is
// erasure-coded, and a body of unknown size that turns out empty keeps no blob.
func TestUploadReplicationOff(t *testing.T) {
	te := newTestEngine(t, withOptions(func(o *Options) { o.SmallObjectSize = -1 }))
	p := te.pkg(t)
	objs := te.upload(t, p.ID, "one", []byte{1}, "empty", []byte{})
	require.Equal(t, RedundancyEC, objs[0].Redundancy.Type)
	require.Equal(t, RedundancyNone, objs[1].Redundancy.Type)
	require.Empty(t, objs[1].Segments)
	require.Equal(t, 6, te.shardCount(t), "the empty body's blob was discarded")
	require.Equal(t, []byte{1}, te.read(t, objs[0].ID))
	require.Empty(t, te.read(t, objs[1].ID))
}

func TestUploadMetrics(t *testing.T) {
	te := newTestEngine(t)
	p := te.pkg(t)
	before := te.Metrics()
	te.upload(t, p.ID, "a", randomBytes(1, 100), "b", randomBytes(2, 30_000), "c", []byte{})
	after := te.Metrics()
	require.Equal(t, int64(3), after.ObjectsWritten-before.ObjectsWritten)
	require.Equal(t, int64(30_100), after.BytesWritten-before.BytesWritten)
	require.Len(t, after.Spaces, 6)
	for _, s := range after.Spaces {
		require.True(t, s.Available)
	}
}

// TestUploadReplacesUploadInProgress: an upload to the path of a multipart upload in progress
// replaces it, keeping its ID, and releases its parts.
func TestUploadReplacesUploadInProgress(t *testing.T) {
	te := newTestEngine(t)
	p := te.pkg(t)
	mp, err := te.CreateMultipartUpload(t.Context(), p.ID, "x")
	require.NoError(t, err)
	require.NoError(t, te.UploadPart(t.Context(), mp.ID, 1, bytes.NewReader(randomBytes(1, 9000)), -1))
	o := te.upload1(t, p.ID, "x", []byte("plain"))
	require.Equal(t, mp.ID, o.ID)
	require.False(t, o.InProgress())
	require.Equal(t, []byte("plain"), te.read(t, o.ID))
	te.collect(t)
	require.Equal(t, 3, te.shardCount(t), "the part is collected")
	_, _, parts := te.indexCounts(t)
	require.Zero(t, parts)
	_, err = te.CompleteMultipartUpload(t.Context(), mp.ID, []int{1})
	requireKind(t, KindPrecondition, err)
}

// cancelReader cancels a context once half its data has been read.
type cancelReader struct {
	data   []byte
	at     int
	cancel func()
}

func (r *cancelReader) Read(p []byte) (int, error) {
	if r.at >= len(r.data) {
		return 0, io.EOF
	}
	if r.at >= len(r.data)/2 {
		r.cancel()
	}
	n := copy(p, r.data[r.at:min(len(r.data), r.at+4096)])
	r.at += n
	return n, nil
}

// TestUploadCancelled cancels the context in the middle of a body: the upload fails and
// leaves nothing behind.
func TestUploadCancelled(t *testing.T) {
	te := newTestEngine(t)
	p := te.pkg(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	_, err := te.UploadObjects(ctx, UploadInput{PackageID: p.ID}, fileList(
		UploadFile{Path: "a", Body: bytes.NewReader(randomBytes(1, 30_000)), Size: -1},
		UploadFile{Path: "b", Body: &cancelReader{data: randomBytes(2, 200_000), cancel: cancel}, Size: -1},
	))
	require.ErrorIs(t, err, context.Canceled)
	requireKind(t, KindUnavailable, err) // a client that went away is not an internal error
	require.Zero(t, te.shardCount(t))
	require.Empty(t, te.blobs.staged)
	blobs, queued, _ := te.indexCounts(t)
	require.Zero(t, blobs+queued)
}

// TestSpaceFailingWrites: a space whose writes fail is taken out of placement for a while, so
// small objects (which need three spaces) keep being stored, an erasure-coded upload that needs
// all six fails with a message naming the space and no internals, and the space is reported
// unavailable until the cool-down ends.
func TestSpaceFailingWrites(t *testing.T) {
	te := newTestEngine(t)
	p := te.pkg(t)
	te.spaces[1].Fail(faultspace.OpPut, nil, errors.New("disk on fire"))
	for i := range 20 {
		objs, err := te.UploadObjects(t.Context(), UploadInput{PackageID: p.ID}, files(fmt.Sprintf("small%d", i), randomBytes(uint64(i), 100)))
		require.NoError(t, err, "small upload %d", i)
		require.NotContains(t, te.layouts(t, objs[0].ID)[0].Spaces, SpaceID(1))
	}
	_, err := te.UploadObjects(t.Context(), UploadInput{PackageID: p.ID}, files("big", randomBytes(1, 50_000)))
	requireKind(t, KindUnavailable, err)
	var ee *Error
	require.ErrorAs(t, err, &ee)
	require.NotContains(t, ee.Message(), "blobs/", "client messages name no shard files")
	require.False(t, te.Metrics().Spaces[0].Available)

	te.spaces[1].Clear()
	te.forgetFailures()
	require.True(t, te.Metrics().Spaces[0].Available)
	te.upload(t, p.ID, "big", randomBytes(1, 50_000))
}

// TestUnreadableObjectMessage: too few shards is unavailable, with a message that names no
// shard files.
func TestUnreadableObjectMessage(t *testing.T) {
	te := newTestEngine(t)
	p := te.pkg(t)
	o := te.upload(t, p.ID, "x", randomBytes(1, 50_000))[0]
	for id := SpaceID(1); id <= 3; id++ {
		te.spaces[id].Fail(faultspace.OpOpen, nil, errors.New("gone"))
	}
	r, err := te.OpenObject(t.Context(), o.ID)
	require.NoError(t, err)
	defer r.Close()
	_, err = r.WriteTo(io.Discard)
	requireKind(t, KindUnavailable, err)
	require.ErrorIs(t, err, erasure.ErrTooFewShards)
	var ee *Error
	require.ErrorAs(t, err, &ee)
	require.NotContains(t, ee.Message(), "blobs/")
}

// TestUploadFileLimit: one upload commits in one transaction, so the number of its files is
// bounded; past the bound the upload fails whole.
func TestUploadFileLimit(t *testing.T) {
	te := newTestEngine(t)
	p := te.pkg(t)
	n := 0
	next := func() (UploadFile, error) {
		if n > MaxUploadFiles {
			return UploadFile{}, io.EOF
		}
		n++
		return UploadFile{Path: fmt.Sprintf("f%d", n), Body: bytes.NewReader(nil), Size: 0}, nil
	}
	_, err := te.UploadObjects(t.Context(), UploadInput{PackageID: p.ID}, next)
	requireKind(t, KindInvalid, err)
	res, err := te.ListObjects(t.Context(), ListObjectsInput{PackageID: p.ID, IsPrefix: true})
	require.NoError(t, err)
	require.Empty(t, res.Objects)
}
