package engine

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space/faultspace"
	"github.com/jointcloud/jcs/erasure"
)

// multipartObject builds a completed multipart upload of parts of the given sizes and returns
// it with its content.
func (te *testEngine) multipartObject(t *testing.T, pkg PackageID, path string, sizes ...int) (Object, []byte) {
	t.Helper()
	mp, err := te.CreateMultipartUpload(t.Context(), pkg, path)
	require.NoError(t, err)
	var content []byte
	var indexes []int
	for i, size := range sizes {
		part := randomBytes(uint64(1000+i), size)
		content = append(content, part...)
		require.NoError(t, te.UploadPart(t.Context(), mp.ID, i+1, bytes.NewReader(part), int64(size)))
		indexes = append(indexes, i+1)
	}
	o, err := te.CompleteMultipartUpload(t.Context(), mp.ID, indexes)
	require.NoError(t, err)
	return o, content
}

// TestWriteRange reads many ranges, across stripe, block and segment boundaries, of a
// replicated, an erasure-coded and a multipart object through one reader each.
func TestWriteRange(t *testing.T) {
	const chunk, stripe = 4096, 16384
	te := newTestEngine(t)
	p := te.pkg(t)
	rep := randomBytes(1, 1000)
	ec := randomBytes(2, 3*stripe+5000)
	objs := te.upload(t, p.ID, "rep", rep, "ec", ec)
	mp, mpContent := te.multipartObject(t, p.ID, "mp", 5000, stripe, 1, 20_000)

	for _, tc := range []struct {
		name    string
		obj     Object
		content []byte
		marks   []int64 // interesting offsets besides 0 and the size
	}{
		{"rep", objs[0], rep, []int64{1, 511, 999}},
		{"ec", objs[1], ec, []int64{chunk - 1, chunk, chunk + 1, stripe - 1, stripe, stripe + 1, 2*stripe + 3*chunk, 3 * stripe}},
		{"multipart", mp, mpContent, []int64{4999, 5000, 5001, 5000 + stripe, 5001 + stripe, 5002 + stripe, 5000 + chunk}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			size := int64(len(tc.content))
			require.Equal(t, size, tc.obj.Size)
			r, err := te.OpenObject(t.Context(), tc.obj.ID)
			require.NoError(t, err)
			defer r.Close()
			offs := append([]int64{0, size - 1, size}, tc.marks...)
			lens := []int64{0, 1, 2, chunk - 1, chunk, chunk + 1, stripe, stripe + 1, 5001}
			checked := 0
			for _, off := range offs {
				for _, n := range append(lens, size-off) {
					if off < 0 || n < 0 || off+n > size {
						continue
					}
					var buf bytes.Buffer
					got, err := r.WriteRange(&buf, off, n)
					require.NoError(t, err, "range [%d,+%d)", off, n)
					require.Equal(t, n, got, "range [%d,+%d)", off, n)
					require.True(t, bytes.Equal(tc.content[off:off+n], buf.Bytes()), "range [%d,+%d)", off, n)
					checked++
				}
			}
			require.Greater(t, checked, 15)
		})
	}
	require.Zero(t, te.Metrics().DegradedReads)
}

func TestWriteRangeInvalid(t *testing.T) {
	te := newTestEngine(t)
	p := te.pkg(t)
	objs := te.upload(t, p.ID, "x", randomBytes(1, 20_000), "empty", []byte{})
	for _, tc := range []struct {
		name   string
		obj    int
		off, n int64
	}{
		{"negative offset", 0, -1, 1},
		{"negative length", 0, 0, -1},
		{"offset past end", 0, 20_001, 0},
		{"length past end", 0, 19_999, 2},
		{"whole plus one", 0, 0, 20_001},
		{"overflowing length", 0, 1, math.MaxInt64},
		{"empty object, offset 1", 1, 1, 0},
		{"empty object, length 1", 1, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := te.OpenObject(t.Context(), objs[tc.obj].ID)
			require.NoError(t, err)
			defer r.Close()
			var buf bytes.Buffer
			n, err := r.WriteRange(&buf, tc.off, tc.n)
			requireKind(t, KindInvalid, err)
			require.Zero(t, n)
			require.Zero(t, buf.Len())
		})
	}
	r, err := te.OpenObject(t.Context(), objs[0].ID)
	require.NoError(t, err)
	require.NoError(t, r.Close())
	_, err = r.WriteRange(io.Discard, 0, 1)
	require.Error(t, err, "reading a closed reader")
	require.Error(t, r.Close(), "closing twice")
}

func TestOpenObjectErrors(t *testing.T) {
	te := newTestEngine(t)
	p := te.pkg(t)
	o := te.upload1(t, p.ID, "there", []byte("x"))
	mp, err := te.CreateMultipartUpload(t.Context(), p.ID, "uploading")
	require.NoError(t, err)
	require.NoError(t, te.UploadPart(t.Context(), mp.ID, 1, bytes.NewReader([]byte("part")), 4))

	_, err = te.OpenObject(t.Context(), o.ID+1000)
	requireKind(t, KindNotFound, err)
	_, err = te.OpenObjectByPath(t.Context(), p.ID, "missing")
	requireKind(t, KindNotFound, err)
	_, err = te.OpenObjectByPath(t.Context(), p.ID+1000, "there")
	requireKind(t, KindNotFound, err)
	_, err = te.OpenObject(t.Context(), mp.ID)
	requireKind(t, KindPrecondition, err)
	_, err = te.OpenObjectByPath(t.Context(), p.ID, "uploading")
	requireKind(t, KindPrecondition, err)
	require.Empty(t, te.blobs.pinned, "failed opens pin nothing")

	r, err := te.OpenObjectByPath(t.Context(), p.ID, "there")
	require.NoError(t, err)
	require.Equal(t, o.ID, r.Object.ID)
	require.NoError(t, r.Close())
}

// fault breaks one shard of an object's blob.
type fault struct {
	shard int
	kind  string // "open", "readat", "corrupt" (a byte in the shard's stripe-1 block, or its only block)
}

func (te *testEngine) inject(t *testing.T, id ObjectID, f fault) {
	t.Helper()
	sp, name := te.shardSpace(t, id, f.shard)
	switch f.kind {
	case "open":
		sp.Fail(faultspace.OpOpen, faultspace.Name(name), nil)
	case "readat":
		sp.Fail(faultspace.OpReadAt, faultspace.Name(name), nil)
	case "corrupt":
		b := te.layouts(t, id)[0]
		off := int64(erasure.HeaderSize + 7)
		if b.Size > int64(b.K*b.Chunk) {
			off += int64(b.Chunk + erasure.ChecksumSize) // stripe 1
		}
		sp.Corrupt(faultspace.Name(name), off, 3)
	default:
		t.Fatalf("unknown fault %q", f.kind)
	}
}

// TestDegradedRead breaks up to three shards of a replicated and an erasure-coded object in
// every way faultspace can, and checks that reads return the exact bytes and count a
// degraded read, or fail as unavailable when too few shards are left.
func TestDegradedRead(t *testing.T) {
	for _, tc := range []struct {
		name     string
		size     int
		faults   []fault
		degraded bool
		want     Kind // KindInternal: success
	}{
		{"ec open 1", 40_000, []fault{{1, "open"}}, true, KindInternal},
		{"ec open 2", 40_000, []fault{{0, "open"}, {3, "open"}}, true, KindInternal},
		{"ec readat 1", 40_000, []fault{{2, "readat"}}, true, KindInternal},
		{"ec readat 2", 40_000, []fault{{1, "readat"}, {2, "readat"}}, true, KindInternal},
		{"ec corrupt 1", 40_000, []fault{{0, "corrupt"}}, true, KindInternal},
		{"ec corrupt 2", 40_000, []fault{{0, "corrupt"}, {3, "corrupt"}}, true, KindInternal},
		{"ec open and corrupt", 40_000, []fault{{3, "open"}, {1, "corrupt"}}, true, KindInternal},
		{"ec data and parity", 40_000, []fault{{0, "readat"}, {5, "open"}}, true, KindInternal},
		{"ec parity only", 40_000, []fault{{4, "open"}, {5, "readat"}}, false, KindInternal},
		{"ec open 3", 40_000, []fault{{0, "open"}, {1, "open"}, {2, "open"}}, false, KindUnavailable},
		{"ec readat 3", 40_000, []fault{{1, "readat"}, {4, "readat"}, {5, "readat"}}, false, KindUnavailable},
		{"ec corrupt 3", 40_000, []fault{{0, "corrupt"}, {1, "corrupt"}, {2, "corrupt"}}, false, KindUnavailable},
		{"ec mixed 3", 40_000, []fault{{0, "open"}, {2, "readat"}, {4, "corrupt"}}, false, KindUnavailable},
		{"rep open 1", 700, []fault{{0, "open"}}, true, KindInternal},
		{"rep readat 2", 700, []fault{{0, "readat"}, {1, "readat"}}, true, KindInternal},
		{"rep corrupt 2", 700, []fault{{0, "corrupt"}, {1, "corrupt"}}, true, KindInternal},
		{"rep second copy only", 700, []fault{{1, "open"}}, false, KindInternal},
		{"rep all 3", 700, []fault{{0, "open"}, {1, "readat"}, {2, "corrupt"}}, false, KindUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			te := newTestEngine(t)
			p := te.pkg(t)
			content := randomBytes(5, tc.size)
			o := te.upload1(t, p.ID, "x", content)
			for _, f := range tc.faults {
				te.inject(t, o.ID, f)
			}
			before := te.Metrics()
			r, err := te.OpenObject(t.Context(), o.ID)
			require.NoError(t, err, "opening does not touch the shards")
			defer r.Close()
			var buf bytes.Buffer
			_, err = r.WriteTo(&buf)
			after := te.Metrics()
			if tc.want != KindInternal {
				requireKind(t, tc.want, err)
				require.True(t, bytes.HasPrefix(content, buf.Bytes()), "bytes written before the error are correct")
				return
			}
			require.NoError(t, err)
			require.True(t, bytes.Equal(content, buf.Bytes()), "exact bytes")
			wantDegraded := int64(0)
			if tc.degraded {
				wantDegraded = 1
			}
			require.Equal(t, wantDegraded, after.DegradedReads-before.DegradedReads)
			require.Equal(t, tc.degraded, after.ReconstructedStripes > before.ReconstructedStripes)

			// The same again, one range at a time, with the faults still in place.
			for off := int64(0); off < int64(tc.size); off += 3001 {
				n := min(5000, int64(tc.size)-off)
				buf.Reset()
				_, err := r.WriteRange(&buf, off, n)
				require.NoError(t, err)
				require.True(t, bytes.Equal(content[off:off+n], buf.Bytes()), "range at %d", off)
			}

			// Healthy again: no more degraded reads.
			te.clearFaults()
			mid := te.Metrics().DegradedReads
			require.Equal(t, content, te.read(t, o.ID))
			require.Equal(t, mid, te.Metrics().DegradedReads)
		})
	}
}

// TestDegradedReadMultipart breaks a shard of each part of a multipart object: every segment
// read counts as one degraded read.
func TestDegradedReadMultipart(t *testing.T) {
	te := newTestEngine(t)
	p := te.pkg(t)
	o, content := te.multipartObject(t, p.ID, "mp", 20_000, 7000, 30_000)
	for i, b := range te.layouts(t, o.ID) {
		te.spaces[b.Spaces[i%4]].Fail(faultspace.OpReadAt, faultspace.Name(shardName(b.ID, i%4)), nil)
	}
	before := te.Metrics().DegradedReads
	require.Equal(t, content, te.read(t, o.ID))
	require.Equal(t, int64(3), te.Metrics().DegradedReads-before)
}

// TestDegradedReadWholeSpaceDown takes whole spaces down: any two can go, three cannot.
func TestDegradedReadWholeSpaceDown(t *testing.T) {
	te := newTestEngine(t)
	p := te.pkg(t)
	content := randomBytes(9, 50_000)
	o := te.upload1(t, p.ID, "x", content)
	for down := 1; down <= 3; down++ {
		t.Run(fmt.Sprintf("%d down", down), func(t *testing.T) {
			te.clearFaults()
			for id := SpaceID(1); id <= SpaceID(down); id++ {
				te.spaces[id].Fail(faultspace.OpAll, nil, nil)
			}
			r, err := te.OpenObject(t.Context(), o.ID)
			require.NoError(t, err)
			defer r.Close()
			var buf bytes.Buffer
			_, err = r.WriteTo(&buf)
			if down == 3 {
				requireKind(t, KindUnavailable, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, content, buf.Bytes())
		})
	}
}

// TestRead checks the io.Reader path against WriteTo, with every buffer size iotest tries.
func TestRead(t *testing.T) {
	te := newTestEngine(t)
	p := te.pkg(t)
	for _, size := range []int{0, 1, 100, 1025, 16384, 50_000} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			content := randomBytes(uint64(size), size)
			o := te.upload1(t, p.ID, fmt.Sprint(size), content)
			require.Equal(t, content, te.read(t, o.ID))

			r, err := te.OpenObject(t.Context(), o.ID)
			require.NoError(t, err)
			require.NoError(t, iotest.TestReader(r, content))
			require.NoError(t, r.Close())

			r, err = te.OpenObject(t.Context(), o.ID)
			require.NoError(t, err)
			got, err := io.ReadAll(iotest.OneByteReader(r))
			require.NoError(t, err)
			require.Equal(t, content, append([]byte{}, got...))
			require.NoError(t, r.Close())
		})
	}
}

// TestReadCloseEarly closes a reader half way through Read: Close returns promptly and
// releases the pin.
func TestReadCloseEarly(t *testing.T) {
	te := newTestEngine(t)
	p := te.pkg(t)
	o := te.upload1(t, p.ID, "x", randomBytes(1, 200_000))
	r, err := te.OpenObject(t.Context(), o.ID)
	require.NoError(t, err)
	buf := make([]byte, 100)
	_, err = io.ReadFull(r, buf)
	require.NoError(t, err)
	require.Equal(t, randomBytes(1, 100), buf)
	require.NoError(t, r.Close())
	require.Empty(t, te.blobs.pinned)
	_, err = r.Read(buf)
	require.Error(t, err, "Read after Close must not read unpinned blobs")
}

func TestReadAfterCloseWithoutRead(t *testing.T) {
	te := newTestEngine(t)
	p := te.pkg(t)
	o := te.upload1(t, p.ID, "x", randomBytes(1, 2000))
	r, err := te.OpenObject(t.Context(), o.ID)
	require.NoError(t, err)
	require.NoError(t, r.Close())
	_, err = r.Read(make([]byte, 10))
	require.Error(t, err)
	require.Error(t, r.Close(), "closing twice is reported")
}

// TestReaderPinsBlob deletes or replaces objects while readers hold them: the readers keep
// reading the old bytes however often collection runs, and the data goes once the last
// reader closes.
func TestReaderPinsBlob(t *testing.T) {
	for _, how := range []string{"delete", "replace", "delete package"} {
		t.Run(how, func(t *testing.T) {
			te := newTestEngine(t)
			p := te.pkg(t)
			old := randomBytes(1, 40_000)
			o := te.upload1(t, p.ID, "x", old)
			r1, err := te.OpenObject(t.Context(), o.ID)
			require.NoError(t, err)
			r2, err := te.OpenObjectByPath(t.Context(), p.ID, "x")
			require.NoError(t, err)

			var live []Object
			switch how {
			case "delete":
				require.NoError(t, te.DeleteObjects(t.Context(), []ObjectID{o.ID}))
			case "replace":
				live = te.upload(t, p.ID, "x", randomBytes(2, 30_000))
			case "delete package":
				require.NoError(t, te.DeletePackage(t.Context(), p.ID))
			}
			for range 2 {
				st := te.collect(t)
				require.Zero(t, st.Blobs, "pinned blob not collected")
			}
			require.Equal(t, 6+te.shardsFor(t, live...), te.shardCount(t))
			var buf bytes.Buffer
			_, err = r1.WriteTo(&buf)
			require.NoError(t, err)
			require.Equal(t, old, buf.Bytes())

			require.NoError(t, r1.Close())
			require.Zero(t, te.collect(t).Blobs, "still pinned by the second reader")
			got, err := io.ReadAll(r2)
			require.NoError(t, err)
			require.Equal(t, old, got)
			require.NoError(t, r2.Close())

			require.Equal(t, 1, te.collect(t).Blobs)
			require.Equal(t, te.shardsFor(t, live...), te.shardCount(t))
			_, queued, _ := te.indexCounts(t)
			require.Zero(t, queued)
		})
	}
}

func TestReadMetrics(t *testing.T) {
	te := newTestEngine(t)
	p := te.pkg(t)
	o := te.upload1(t, p.ID, "x", randomBytes(1, 30_000))
	before := te.Metrics().BytesRead
	r, err := te.OpenObject(t.Context(), o.ID)
	require.NoError(t, err)
	defer r.Close()
	_, err = r.WriteRange(io.Discard, 100, 20_000)
	require.NoError(t, err)
	_, err = r.WriteTo(io.Discard)
	require.NoError(t, err)
	require.Equal(t, int64(50_000), te.Metrics().BytesRead-before)
}
