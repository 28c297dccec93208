package engine

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space"
	"github.com/jointcloud/jcs/engine/space/faultspace"
	"github.com/jointcloud/jcs/kv"
)

// healthTestObjects uploads a mix of replicated and erasure-coded objects and returns them
// with their contents.
func healthTestObjects(t *testing.T, te *testEngine, n int) ([]Object, [][]byte) {
	t.Helper()
	p := te.pkg(t)
	var objs []Object
	var contents [][]byte
	for i := range n {
		size := 500 + i*7919 // replicas below 1 KiB, several stripes above
		c := randomBytes(uint64(i+1), size)
		objs = append(objs, te.upload1(t, p.ID, fmt.Sprintf("o%d", i), c))
		contents = append(contents, c)
	}
	return objs, contents
}

func requireContents(t *testing.T, te *testEngine, objs []Object, contents [][]byte) {
	t.Helper()
	for i, o := range objs {
		require.True(t, bytes.Equal(contents[i], te.read(t, o.ID)), "object %s", o.Path)
	}
}

// wipe deletes every shard file of a space, as a disk replaced by an empty one would.
func (te *testEngine) wipe(t *testing.T, id SpaceID) int {
	t.Helper()
	n := 0
	for {
		infos, _, err := te.mem[id].List(t.Context(), shardPrefix, "", 1000)
		require.NoError(t, err)
		if len(infos) == 0 {
			return n
		}
		for _, info := range infos {
			require.NoError(t, te.mem[id].Delete(t.Context(), info.Name))
			n++
		}
	}
}

// flipByte corrupts one byte of a stored shard file in place.
func (te *testEngine) flipByte(t *testing.T, id SpaceID, name string, off int) {
	t.Helper()
	ctx := t.Context()
	r, err := te.mem[id].Open(ctx, name)
	require.NoError(t, err)
	buf := make([]byte, r.Size())
	_, err = r.ReadAt(buf, 0)
	require.NoError(t, err)
	r.Close()
	buf[off] ^= 0x55
	require.NoError(t, te.mem[id].Put(ctx, name, bytes.NewReader(buf), int64(len(buf))))
}

func (te *testEngine) fsck(t *testing.T, verify bool) FsckReport {
	t.Helper()
	rep, err := te.Fsck(t.Context(), FsckOptions{Verify: verify})
	require.NoError(t, err)
	return rep
}

func (te *testEngine) status(id SpaceID) SpaceStatus {
	for _, s := range te.Metrics().Spaces {
		if s.ID == id {
			return s
		}
	}
	return SpaceStatus{}
}

// TestHealth: a space that fails its probe goes down, takes no new shards and is not read
// while the others suffice; once it answers again the next probe brings it back.
func TestHealth(t *testing.T) {
	te := newTestEngine(t, withSpaces(7))
	ctx := t.Context()
	objs, contents := healthTestObjects(t, te, 6)
	down := te.layouts(t, objs[5].ID)[0].Spaces[0]

	te.ProbeSpaces(ctx)
	require.Equal(t, "ok", te.status(down).Health)

	te.spaces[down].Fail(faultspace.OpAll, nil, nil)
	te.ProbeSpaces(ctx)
	st := te.status(down)
	require.Equal(t, "down", st.Health)
	require.False(t, st.Available)
	require.Contains(t, st.LastError, "injected")
	opens := te.opens.Load()
	te.ProbeSpaces(ctx)
	require.Equal(t, opens+1, te.opens.Load(), "a down space whose handle still fails is opened afresh")
	require.Equal(t, "down", te.status(down).Health)

	// Reads skip the down space: its shards are rebuilt from the others, and the space sees
	// no operation at all.
	opsBefore := te.status(down).Operations
	requireContents(t, te, objs, contents)
	require.Equal(t, opsBefore, te.status(down).Operations, "a down space is not read when others suffice")

	p := te.pkg(t)
	for i := range 10 {
		o := te.upload1(t, p.ID, "new", randomBytes(uint64(100+i), 20_000))
		require.NotContains(t, te.layouts(t, o.ID)[0].Spaces, down)
	}

	te.spaces[down].Clear()
	opens = te.opens.Load()
	te.ProbeSpaces(ctx)
	require.Equal(t, "ok", te.status(down).Health)
	require.True(t, te.status(down).Available)
	require.Equal(t, opens, te.opens.Load(), "a handle that works again is kept, not reopened")
}

// TestHealthFromOperations: failures of real operations take a space down after downAfter in
// a row, without waiting for a probe; a success in between resets the run.
func TestHealthFromOperations(t *testing.T) {
	te := newTestEngine(t)
	id := SpaceID(1)
	fail := fmt.Errorf("i/o error")
	te.Engine.spaces.record(id, time.Millisecond, fail)
	require.Equal(t, "suspect", te.status(id).Health)
	te.Engine.spaces.record(id, time.Millisecond, nil)
	require.Equal(t, "ok", te.status(id).Health)
	te.Engine.spaces.record(id, time.Millisecond, space.ErrNotExist) // the data's fault, not the space's
	require.Equal(t, "ok", te.status(id).Health)
	for range downAfter {
		te.Engine.spaces.record(id, time.Millisecond, fail)
	}
	require.Equal(t, "down", te.status(id).Health)
	te.Engine.spaces.record(id, time.Millisecond, nil)
	require.Equal(t, "down", te.status(id).Health, "only a probe brings a down space back")

	// Slowness counts as failure.
	te.Engine.spaces.record(2, slowOp+time.Second, nil)
	require.Equal(t, "suspect", te.status(2).Health)
}

// TestRepairMissingShards: a space that lost every shard (an empty disk swapped in) is refilled
// by a repair pass, after which fsck is clean and reads are no longer degraded.
func TestRepairMissingShards(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	objs, contents := healthTestObjects(t, te, 12)
	require.True(t, te.fsck(t, true).Clean())

	lost := te.wipe(t, 3)
	require.NotZero(t, lost)
	rep := te.fsck(t, false)
	require.Equal(t, int64(lost), rep.Missing)
	require.False(t, rep.Clean())
	requireContents(t, te, objs, contents) // degraded but whole

	r, err := te.Repair(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(lost), r.ShardsRebuilt)
	require.Zero(t, r.Unrepairable)
	require.Equal(t, lost, te.wipeCount(t, 3))
	require.True(t, te.fsck(t, true).Clean(), "%+v", te.fsck(t, true))

	before := te.Metrics().DegradedReads
	requireContents(t, te, objs, contents)
	require.Equal(t, before, te.Metrics().DegradedReads, "full redundancy again")

	// A second pass finds nothing to do.
	r, err = te.Repair(ctx)
	require.NoError(t, err)
	require.Zero(t, r.ShardsRebuilt)
}

// wipeCount counts the shard files of a space.
func (te *testEngine) wipeCount(t *testing.T, id SpaceID) int {
	t.Helper()
	infos, _, err := te.mem[id].List(t.Context(), shardPrefix, "", 100000)
	require.NoError(t, err)
	return len(infos)
}

// TestRepairSpaceBackEmpty: a space goes down, comes back empty (its storage replaced), the
// probe reopens it and the repair pass it prompts rebuilds its shards there.
func TestRepairSpaceBackEmpty(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	objs, contents := healthTestObjects(t, te, 10)
	id := SpaceID(2)
	held := te.wipeCount(t, id)
	require.NotZero(t, held)

	te.spaces[id].Fail(faultspace.OpAll, nil, nil)
	te.ProbeSpaces(ctx)
	require.Equal(t, "down", te.status(id).Health)
	requireContents(t, te, objs, contents)

	// Still down: nothing is rebuilt (RepairAfter has not passed), nothing is lost.
	r, err := te.Repair(ctx)
	require.NoError(t, err)
	require.Zero(t, r.ShardsRebuilt)
	require.NotZero(t, r.Waiting)

	// Back, but empty: a fresh store under the same space.
	delete(te.spaces, id)
	delete(te.mem, id)
	te.ProbeSpaces(ctx)
	require.Equal(t, "ok", te.status(id).Health)
	r, err = te.Repair(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(held), r.ShardsRebuilt)
	require.True(t, te.fsck(t, true).Clean())
	require.Equal(t, int64(held), te.status(id).Shards)
}

// TestRepairMovesOffDeadSpace: once a space has been down for RepairAfter, its shards are
// rebuilt on other spaces that hold no shard of the same blob, and the layouts stop naming it.
func TestRepairMovesOffDeadSpace(t *testing.T) {
	te := newTestEngine(t, withSpaces(8), withOptions(func(o *Options) { o.RepairAfter = time.Nanosecond }))
	ctx := t.Context()
	objs, contents := healthTestObjects(t, te, 12)
	dead := te.layouts(t, objs[11].ID)[0].Spaces[1]
	te.spaces[dead].Fail(faultspace.OpAll, nil, nil)
	te.ProbeSpaces(ctx)

	r, err := te.Repair(ctx)
	require.NoError(t, err)
	require.NotZero(t, r.ShardsRebuilt)
	for _, o := range objs {
		for _, b := range te.layouts(t, o.ID) {
			require.NotContains(t, b.Spaces, dead)
			seen := map[SpaceID]bool{}
			for _, s := range b.Spaces {
				require.False(t, seen[s], "two shards of one blob on space %d", s)
				seen[s] = true
			}
		}
	}
	rep := te.fsck(t, true)
	require.True(t, rep.Clean(), "%+v", rep)
	require.Zero(t, rep.Unreachable)
	require.Zero(t, te.status(dead).Shards)

	before := te.Metrics().DegradedReads
	requireContents(t, te, objs, contents)
	require.Equal(t, before, te.Metrics().DegradedReads)
}

// TestScrubRepairsBitRot: a flipped byte in one shard block is found by scrub, rebuilt, and
// fsck with verification is clean afterwards.
func TestScrubRepairsBitRot(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	objs, contents := healthTestObjects(t, te, 6)
	b := te.layouts(t, objs[5].ID)[0]
	require.Greater(t, b.K, 1)
	name := shardName(b.ID, 2)
	te.flipByte(t, b.Spaces[2], name, 40+100) // inside the first block

	rep := te.fsck(t, true)
	require.Equal(t, int64(1), rep.Corrupt)
	require.True(t, te.fsck(t, false).Clean(), "sizes alone do not see bit rot")

	sr, err := te.Scrub(ctx, 0)
	require.NoError(t, err)
	require.Equal(t, int64(1), sr.CorruptShards)
	require.Equal(t, int64(1), sr.ShardsRebuilt)
	require.Equal(t, int64(len(objs)), sr.BlobsVerified)
	require.True(t, te.fsck(t, true).Clean())
	st := te.Metrics().Scrub
	require.Equal(t, int64(1), st.Passes)
	require.Equal(t, 1.0, st.Progress)

	before := te.Metrics().DegradedReads
	requireContents(t, te, objs, contents)
	require.Equal(t, before, te.Metrics().DegradedReads)
}

// TestDegradedReadQueuesRepair: a read that meets a corrupt block returns the right bytes and
// queues the blob; the queue's check rebuilds the shard.
func TestDegradedReadQueuesRepair(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	objs, contents := healthTestObjects(t, te, 4)
	b := te.layouts(t, objs[3].ID)[0]
	te.flipByte(t, b.Spaces[0], shardName(b.ID, 0), 50)

	require.Equal(t, contents[3], te.read(t, objs[3].ID))
	require.Equal(t, 1, te.Metrics().Repair.Queued)
	te.repairQueued(ctx)
	require.Equal(t, int64(1), te.Metrics().Repair.ShardsRebuilt)
	before := te.Metrics().DegradedReads
	require.Equal(t, contents[3], te.read(t, objs[3].ID))
	require.Equal(t, before, te.Metrics().DegradedReads)
}

// TestFsckFindsOrphansAndBadRefs plants a shard file no record places and breaks a reference
// count.
func TestFsckFindsOrphansAndBadRefs(t *testing.T) {
	te := newTestEngine(t)
	ctx := t.Context()
	objs, _ := healthTestObjects(t, te, 3)
	te.putOrphan(t, 4, BlobID{0xee, 1}, 0)
	rep := te.fsck(t, false)
	require.Equal(t, int64(1), rep.Orphans)
	require.False(t, rep.Clean())
	require.Equal(t, "orphan", rep.Problems[0].Kind)

	b := te.layouts(t, objs[0].ID)[0]
	require.NoError(t, te.kv.Update(ctx, func(tx kv.Tx) error { return retainBlob(tx, b.ID) }))
	rep = te.fsck(t, false)
	require.Equal(t, int64(1), rep.BadRefs)
}

// TestMaxSize: a space's shard store never holds more than its cap; when every space is full
// uploads fail as unavailable, and freeing space (deletes, collection) lets them in again.
func TestMaxSize(t *testing.T) {
	te := newTestEngine(t, withSpaces(0))
	ctx := t.Context()
	const max = 40_000
	for i := range 6 {
		_, err := te.CreateUserSpace(ctx, CreateUserSpaceInput{
			Name: fmt.Sprintf("capped%d", i), Storage: StorageConfig{Type: StorageLocal, Path: fmt.Sprintf("/cap/%d", i)},
			ShardStore: &ShardStoreConfig{MaxSize: max},
		})
		require.NoError(t, err)
	}
	p := te.pkg(t)
	// An unknown size is capped as it streams: each shard of this one outgrows its space.
	_, err := te.UploadObjects(ctx, UploadInput{PackageID: p.ID}, fileList(UploadFile{Path: "stream", Body: bytes.NewReader(randomBytes(7, 200_000)), Size: -1}))
	requireKind(t, KindUnavailable, err)
	require.Contains(t, err.Error(), "full")
	for _, s := range te.Metrics().Spaces {
		require.Zero(t, s.UsedBytes, "a failed write frees its room")
	}
	te.forgetFailures()

	var stored []Object
	var full error
	for i := range 100 {
		_, err := te.UploadObjects(ctx, UploadInput{PackageID: p.ID}, files(fmt.Sprintf("f%d", i), randomBytes(uint64(i), 30_000)))
		if err != nil {
			full = err
			break
		}
		o, err := te.GetObjectByPath(ctx, p.ID, fmt.Sprintf("f%d", i))
		require.NoError(t, err)
		stored = append(stored, o)
	}
	requireKind(t, KindUnavailable, full)
	require.NotEmpty(t, stored)
	for _, s := range te.Metrics().Spaces {
		require.LessOrEqual(t, s.UsedBytes, int64(max), "space %d", s.ID)
		var onDisk int64
		infos, _, err := te.mem[s.ID].List(ctx, "", "", 100000)
		require.NoError(t, err)
		for _, info := range infos {
			onDisk += info.Size
		}
		require.Equal(t, onDisk, s.UsedBytes, "space %d accounts what it holds", s.ID)
	}

	require.NoError(t, te.DeleteObjects(ctx, []ObjectID{stored[0].ID}))
	te.collect(t)
	te.forgetFailures()
	_, err = te.UploadObjects(ctx, UploadInput{PackageID: p.ID}, files("again", randomBytes(99, 30_000)))
	require.NoError(t, err)
	te.reopen(t)
	for _, s := range te.Metrics().Spaces {
		require.LessOrEqual(t, s.UsedBytes, int64(max))
	}
}

// TestDrain: deleting a space that holds shards is refused; with drain, repair moves them off
// and the space goes, with every object still fully redundant.
func TestDrain(t *testing.T) {
	te := newTestEngine(t, withSpaces(7))
	ctx := t.Context()
	objs, contents := healthTestObjects(t, te, 10)
	id := te.layouts(t, objs[9].ID)[0].Spaces[0]

	_, err := te.DeleteUserSpace(ctx, id, false)
	requireKind(t, KindNotEmpty, err)
	require.Contains(t, err.Error(), "drain")

	gone, err := te.DeleteUserSpace(ctx, id, true)
	require.NoError(t, err)
	require.False(t, gone)
	us, err := te.GetUserSpace(ctx, id)
	require.NoError(t, err)
	require.True(t, us.Draining)
	require.False(t, te.status(id).Available, "a draining space takes no new shards")

	r, err := te.Repair(ctx)
	require.NoError(t, err)
	require.Equal(t, []SpaceID{id}, r.Drained)
	_, err = te.GetUserSpace(ctx, id)
	requireKind(t, KindNotFound, err)
	rep := te.fsck(t, true)
	require.True(t, rep.Clean(), "%+v", rep)
	require.Zero(t, rep.Unplaced+rep.Unreachable)
	before := te.Metrics().DegradedReads
	requireContents(t, te, objs, contents)
	require.Equal(t, before, te.Metrics().DegradedReads)

	// Deleting it again, or any unknown space, is fine.
	gone, err = te.DeleteUserSpace(ctx, id, false)
	require.NoError(t, err)
	require.True(t, gone)
}

// TestUserSpaceSecretSealed: a space's secret key is stored sealed, comes back through
// GetUserSpace, survives an update that does not touch it, and a new one replaces it.
func TestUserSpaceSecretSealed(t *testing.T) {
	te := newTestEngine(t, withSpaces(0), withOptions(func(o *Options) { o.SealKey = bytes.Repeat([]byte{7}, 32) }))
	ctx := t.Context()
	const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY"
	us, err := te.CreateUserSpace(ctx, CreateUserSpaceInput{
		Name: "cloud", Storage: StorageConfig{Type: StorageOBS, Region: "cn-north-4", Bucket: "b"},
		Credential: Credential{Type: StorageOBS, AccessKeyID: "AK", SecretAccessKey: secret},
	})
	require.NoError(t, err)
	require.Equal(t, int64(1), us.Revision)

	// Nothing in the index holds the secret in the clear.
	require.NoError(t, te.kv.View(ctx, func(r kv.Reader) error {
		return scanPrefix(r, nil, func(k, v []byte) error {
			require.False(t, strings.Contains(string(v), secret), "secret in the clear under %x", k)
			return nil
		})
	}))
	got, err := te.GetUserSpace(ctx, us.ID)
	require.NoError(t, err)
	require.Equal(t, secret, got.Credential.SecretAccessKey)

	name := "renamed"
	up, err := te.UpdateUserSpace(ctx, UpdateUserSpaceInput{ID: us.ID, Name: &name})
	require.NoError(t, err)
	require.Equal(t, int64(2), up.Revision)
	require.Equal(t, secret, up.Credential.SecretAccessKey)
	up, err = te.UpdateUserSpace(ctx, UpdateUserSpaceInput{ID: us.ID, Credential: &Credential{AccessKeyID: "AK2", SecretAccessKey: "new"}})
	require.NoError(t, err)
	require.Equal(t, int64(3), up.Revision)
	got, err = te.GetUserSpace(ctx, us.ID)
	require.NoError(t, err)
	require.Equal(t, "new", got.Credential.SecretAccessKey)
	require.Equal(t, "renamed", got.Name)

	for _, bad := range []CreateUserSpaceInput{
		{Name: "x", Storage: StorageConfig{Type: "EFile"}},
		{Name: "x", Storage: StorageConfig{Type: StorageLocal, Path: "relative"}},
		{Name: "x", Storage: StorageConfig{Type: StorageS3, Bucket: "b"}},
		{Name: "x", Storage: StorageConfig{Type: StorageLocal, Path: "/a"}, WorkingDir: "../up"},
	} {
		_, err := te.CreateUserSpace(ctx, bad)
		requireKind(t, KindInvalid, err)
	}
}

// TestDedup: identical content uploaded again, through /v1 or S3 keys, is stored once and
// shared; each delete drops one reference, and the data goes with the last.
func TestDedup(t *testing.T) {
	te := newTestEngine(t, withSpaces(7))
	ctx := t.Context()
	p := te.pkg(t)
	content := randomBytes(42, 50_000)
	first := te.upload1(t, p.ID, "a", content)
	shards := te.shardCount(t)
	second := te.upload1(t, p.ID, "b", content)
	bucket, err := te.GetPackage(ctx, p.ID)
	require.NoError(t, err)
	third, err := te.PutObject(ctx, PutObjectInput{Bucket: bucket.BucketID, Key: "s3/key", Body: bytes.NewReader(content), Size: int64(len(content))})
	require.NoError(t, err)
	require.Equal(t, shards, te.shardCount(t), "the copies were dropped")
	blob := first.Segments[0].Blob
	require.Equal(t, blob, second.Segments[0].Blob)
	require.Equal(t, blob, third.Segments[0].Blob)
	require.Equal(t, uint64(3), te.layouts(t, first.ID)[0].Refs)
	require.True(t, te.fsck(t, true).Clean())

	require.NoError(t, te.DeleteObjects(ctx, []ObjectID{first.ID}))
	te.collect(t)
	require.Equal(t, content, te.read(t, second.ID))
	require.NoError(t, te.DeleteObjects(ctx, []ObjectID{second.ID}))
	err = te.DeleteKeys(ctx, bucket.BucketID, []string{"s3/key"})
	require.NoError(t, err)
	te.collect(t)
	requireNoBlobRecords(t, te)
	require.Zero(t, te.shardCount(t))

	// The content index forgot the blob: the same bytes again make a new one.
	again := te.upload1(t, p.ID, "c", content)
	require.NotEqual(t, blob, again.Segments[0].Blob)

	// A blob with a shard on a down space is not shared: the fresh copy is kept.
	down := te.layouts(t, again.ID)[0].Spaces[0]
	te.spaces[down].Fail(faultspace.OpAll, nil, nil)
	te.ProbeSpaces(ctx)
	fresh := te.upload1(t, p.ID, "d", content)
	require.NotEqual(t, again.Segments[0].Blob, fresh.Segments[0].Blob)
	te.clearFaults()
	rep := te.fsck(t, true)
	require.True(t, rep.Clean(), "%+v", rep)
	// And the newer blob now answers for the content.
	last := te.upload1(t, p.ID, "e", content)
	require.Equal(t, fresh.Segments[0].Blob, last.Segments[0].Blob)
	require.NoError(t, te.DeleteObjects(ctx, []ObjectID{again.ID}))
	te.collect(t)
	require.Equal(t, content, te.read(t, last.ID))
}

// TestSlowSpace: a space that answers, but slowly, is taken down by the latency of real reads
// and by its probe; reads then stop waiting on it.
func TestSlowSpace(t *testing.T) {
	defer func(old time.Duration) { slowOp = old }(slowOp)
	slowOp = 20 * time.Millisecond
	te := newTestEngine(t, withSpaces(7))
	ctx := t.Context()
	objs, contents := healthTestObjects(t, te, 8)
	slow := te.layouts(t, objs[7].ID)[0].Spaces[0] // holds a data shard: reads touch it
	te.spaces[slow].Delay(faultspace.OpAll, nil, 50*time.Millisecond)

	requireContents(t, te, objs, contents)
	st := te.status(slow)
	require.Equal(t, "down", st.Health, "slow reads add up to down: %+v", st)
	require.Contains(t, st.LastError, "took")
	ops := st.Operations
	requireContents(t, te, objs, contents)
	require.Equal(t, ops, te.status(slow).Operations, "a down space is not read")

	// The probe agrees while it stays slow, and brings it back once it is fast.
	te.ProbeSpaces(ctx)
	require.Equal(t, "down", te.status(slow).Health)
	te.spaces[slow].Clear()
	te.ProbeSpaces(ctx)
	require.Equal(t, "ok", te.status(slow).Health)
}
