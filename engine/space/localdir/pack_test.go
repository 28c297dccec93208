package localdir_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space"
	"github.com/jointcloud/jcs/engine/space/localdir"
)

// smallPacks seals a pack every few KiB, so that tests cross pack boundaries.
var smallPacks = localdir.Options{PackFileSize: 16 << 10}

func put(t *testing.T, s space.Space, name string, data []byte) {
	t.Helper()
	require.NoError(t, s.Put(context.Background(), name, bytes.NewReader(data), int64(len(data))))
}

func content(t *testing.T, s space.Space, name string) []byte {
	t.Helper()
	r, err := s.Open(context.Background(), name)
	require.NoError(t, err, name)
	defer r.Close()
	b, err := io.ReadAll(io.NewSectionReader(r, 0, r.Size()))
	require.NoError(t, err)
	return b
}

// assertHolds checks that s holds exactly want, through List, Stat and Open.
func assertHolds(t *testing.T, s space.Space, want map[string][]byte) {
	t.Helper()
	ctx := context.Background()
	var names []string
	after := ""
	for {
		infos, next, err := s.List(ctx, "", after, 7)
		require.NoError(t, err)
		for _, info := range infos {
			names = append(names, info.Name)
			require.Equal(t, int64(len(want[info.Name])), info.Size, info.Name)
		}
		if next == "" {
			break
		}
		after = next
	}
	var wantNames []string
	for name := range want {
		wantNames = append(wantNames, name)
	}
	sort.Strings(wantNames)
	require.Equal(t, wantNames, names)
	for name, data := range want {
		require.Equal(t, data, content(t, s, name), name)
	}
}

// assertHoldsReopened closes s, opens its directory again and checks that it holds exactly
// want, logging the records of names with dumpPrefix if it does not.
func assertHoldsReopened(t *testing.T, s *localdir.Space, root string, opts localdir.Options, want map[string][]byte, dumpPrefix string) {
	t.Helper()
	require.NoError(t, s.Close())
	s2, _ := openSpace(t, root, opts)
	if !t.Run("reopened", func(t *testing.T) { assertHolds(t, s2, want) }) {
		t.Log(localdir.DumpPacks(root, dumpPrefix))
	}
}

func blobData(i, gen int) []byte {
	return bytes.Repeat([]byte(fmt.Sprintf("<%d.%d>", i, gen)), 50+i%300)
}

func packFiles(t *testing.T, root string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(root, localdir.PackDir, "*.pack"))
	require.NoError(t, err)
	return m
}

// TestPackReopen: puts, replacements and deletes survive a close and reopen, in packs only.
func TestPackReopen(t *testing.T) {
	root := t.TempDir()
	s, err := localdir.Open(root, smallPacks)
	require.NoError(t, err)
	ctx := context.Background()
	want := map[string][]byte{}
	for i := range 60 {
		name := fmt.Sprintf("blobs/%02x/b%d", i%7, i)
		want[name] = blobData(i, 0)
		put(t, s, name, want[name])
	}
	for i := 0; i < 60; i += 3 {
		name := fmt.Sprintf("blobs/%02x/b%d", i%7, i)
		want[name] = blobData(i, 1)
		put(t, s, name, want[name])
	}
	for i := 1; i < 60; i += 4 {
		name := fmt.Sprintf("blobs/%02x/b%d", i%7, i)
		delete(want, name)
		require.NoError(t, s.Delete(ctx, name))
	}
	assertHolds(t, s, want)
	require.Greater(t, len(packFiles(t, root)), 1, "small packs rotate")
	entries, err := os.ReadDir(filepath.Join(root, "blobs"))
	require.True(t, os.IsNotExist(err), "no blob became a file: %v", entries)
	require.NoError(t, s.Close())

	s2, _ := openSpace(t, root, smallPacks)
	assertHolds(t, s2, want)
}

// TestPackTornTail: a crash in the middle of an append leaves a torn record at the end of the
// newest pack. Reopening keeps every record before it, and new Puts go to a new pack.
func TestPackTornTail(t *testing.T) {
	for _, tear := range []string{"truncated", "garbage", "bad-data"} {
		t.Run(tear, func(t *testing.T) {
			root := t.TempDir()
			s, err := localdir.Open(root, localdir.Options{})
			require.NoError(t, err)
			want := map[string][]byte{}
			for i := range 5 {
				name := fmt.Sprintf("b%d", i)
				want[name] = blobData(i, 0)
				put(t, s, name, want[name])
			}
			put(t, s, "torn", bytes.Repeat([]byte("t"), 3000))
			require.NoError(t, s.Close())

			packs := packFiles(t, root)
			require.Len(t, packs, 1)
			f, err := os.OpenFile(packs[0], os.O_RDWR, 0)
			require.NoError(t, err)
			fi, err := f.Stat()
			require.NoError(t, err)
			switch tear {
			case "truncated":
				require.NoError(t, f.Truncate(fi.Size()-1000))
			case "garbage":
				_, err = f.WriteAt(bytes.Repeat([]byte{0xa5}, 777), fi.Size())
				require.NoError(t, err)
				delete(want, "torn")
				want["torn"] = bytes.Repeat([]byte("t"), 3000) // intact: only what follows is garbage
			case "bad-data":
				_, err = f.WriteAt([]byte("X"), fi.Size()-10)
				require.NoError(t, err)
			}
			require.NoError(t, f.Close())

			s2, _ := openSpace(t, root, localdir.Options{})
			assertHolds(t, s2, want)
			put(t, s2, "after", []byte("after the tear"))
			want["after"] = []byte("after the tear")
			require.Len(t, packFiles(t, root), 2, "appends never follow a torn tail")
			require.NoError(t, s2.Close())
			s3, _ := openSpace(t, root, localdir.Options{})
			assertHolds(t, s3, want)
		})
	}
}

// TestPackCrash: a process that dies without Close keeps every acknowledged Put. A Space
// opened on the same directory without closing the first stands in for the restart.
func TestPackCrash(t *testing.T) {
	root := t.TempDir()
	s, err := localdir.Open(root, smallPacks)
	require.NoError(t, err)
	defer s.Close()
	want := map[string][]byte{}
	for i := range 40 {
		name := fmt.Sprintf("c%d", i)
		want[name] = blobData(i, 0)
		put(t, s, name, want[name])
	}
	s2, _ := openSpace(t, root, smallPacks)
	assertHolds(t, s2, want)
}

// TestCompact: deleting most blobs and compacting frees their bytes; what is left reads back,
// before and after a reopen, and nothing deleted comes back.
func TestCompact(t *testing.T) {
	root := t.TempDir()
	s, err := localdir.Open(root, smallPacks)
	require.NoError(t, err)
	ctx := context.Background()
	want := map[string][]byte{}
	for i := range 200 {
		name := fmt.Sprintf("k%03d", i)
		want[name] = blobData(i, 0)
		put(t, s, name, want[name])
	}
	before := dirBytes(t, filepath.Join(root, localdir.PackDir))
	packsBefore := len(packFiles(t, root))
	for i := range 200 {
		if i%5 != 0 {
			name := fmt.Sprintf("k%03d", i)
			delete(want, name)
			require.NoError(t, s.Delete(ctx, name))
		}
	}
	// A reader opened before the compaction keeps reading its blob after the pack is gone.
	r, err := s.Open(ctx, "k000")
	require.NoError(t, err)

	freed, err := s.Compact(ctx)
	require.NoError(t, err)
	require.Positive(t, freed)
	after := dirBytes(t, filepath.Join(root, localdir.PackDir))
	require.Less(t, after, before/2, "compaction returned the dead bytes")
	require.Less(t, len(packFiles(t, root)), packsBefore)
	got, err := io.ReadAll(io.NewSectionReader(r, 0, r.Size()))
	require.NoError(t, err)
	require.Equal(t, want["k000"], got)
	require.NoError(t, r.Close())
	assertHolds(t, s, want)

	// Nothing left to gain: a second pass frees nothing more than the leftovers of the first.
	_, err = s.Compact(ctx)
	require.NoError(t, err)
	assertHolds(t, s, want)
	require.NoError(t, s.Close())

	s2, _ := openSpace(t, root, smallPacks)
	assertHolds(t, s2, want)
}

func dirBytes(t *testing.T, dir string) int64 {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var n int64
	for _, e := range entries {
		fi, err := e.Info()
		require.NoError(t, err)
		n += fi.Size()
	}
	return n
}

// TestCompactRaces runs Puts, replacements and Deletes against compactions. The final state
// must match a model of the acknowledged operations, live and after a reopen: a move never
// brings back an old version or a deleted blob.
func TestCompactRaces(t *testing.T) {
	root := t.TempDir()
	s, err := localdir.Open(root, smallPacks)
	require.NoError(t, err)
	ctx := context.Background()
	const writers, names, ops = 4, 40, 300
	var mu sync.Mutex
	model := map[string][]byte{}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for i := range ops {
				// Each writer owns its names, so the model's order is the writer's order.
				name := fmt.Sprintf("w%d/n%02d", w, rng.IntN(names))
				if rng.IntN(3) == 0 {
					assert.NoError(t, s.Delete(ctx, name))
					mu.Lock()
					delete(model, name)
					mu.Unlock()
					continue
				}
				data := blobData(rng.IntN(1000), i)
				assert.NoError(t, s.Put(ctx, name, bytes.NewReader(data), int64(len(data))))
				mu.Lock()
				model[name] = data
				mu.Unlock()
			}
		})
	}
	stop, done := make(chan struct{}), make(chan struct{})
	compactions := 0
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			_, err := s.Compact(ctx)
			assert.NoError(t, err)
			compactions++
		}
	}()
	wg.Wait()
	close(stop)
	<-done
	require.Positive(t, compactions)
	_, err = s.Compact(ctx)
	require.NoError(t, err)
	assertHolds(t, s, model)
	assertHoldsReopened(t, s, root, smallPacks, model, "w0/")
}

// TestPackShadowing: a file Put replaces a packed blob of the same name and the other way
// round, across a reopen.
func TestPackShadowing(t *testing.T) {
	root := t.TempDir()
	opts := localdir.Options{PackMax: 100}
	s, err := localdir.Open(root, opts)
	require.NoError(t, err)
	small, large := []byte("small"), bytes.Repeat([]byte("L"), 1000)
	put(t, s, "a", small)
	put(t, s, "a", large) // a file now
	put(t, s, "b", large)
	put(t, s, "b", small) // packed, hiding the file
	want := map[string][]byte{"a": large, "b": small}
	assertHolds(t, s, want)
	require.NoError(t, s.Close())
	s2, _ := openSpace(t, root, opts)
	assertHolds(t, s2, want)
	require.NoError(t, s2.Delete(context.Background(), "b"))
	assertHolds(t, s2, map[string][]byte{"a": large})
}

// TestPackDirRemoved: when the directory is removed from under a running space, Puts fail
// instead of appending to a pack nobody will find again.
func TestPackDirRemoved(t *testing.T) {
	root := filepath.Join(t.TempDir(), "space")
	require.NoError(t, os.Mkdir(root, 0o755))
	s, err := localdir.Open(root, localdir.Options{})
	require.NoError(t, err)
	put(t, s, "x", []byte("before"))
	require.NoError(t, os.RemoveAll(root))
	err = s.Put(context.Background(), "y", bytes.NewReader([]byte("after")), 5)
	require.ErrorContains(t, err, "removed")
	require.Error(t, s.Close(), "Close cannot make pending deletions durable either")
}

// TestPackSizeMismatch: a packed Put whose reader yields the wrong length fails and leaves
// nothing.
func TestPackSizeMismatch(t *testing.T) {
	s, _ := openSpace(t, t.TempDir(), localdir.Options{})
	ctx := context.Background()
	for _, n := range []int64{3, 5} {
		err := s.Put(ctx, "m", bytes.NewReader([]byte("four")), n)
		require.ErrorIs(t, err, space.ErrSizeMismatch)
		_, err = s.Stat(ctx, "m")
		require.ErrorIs(t, err, space.ErrNotExist)
	}
}

func BenchmarkPackPut(b *testing.B) {
	for _, mode := range []struct {
		name string
		opts localdir.Options
	}{{"files", filesOnly}, {"packs", localdir.Options{}}} {
		b.Run(mode.name, func(b *testing.B) {
			s, err := localdir.Open(b.TempDir(), mode.opts)
			require.NoError(b, err)
			defer s.Close()
			data := bytes.Repeat([]byte("x"), 4096)
			b.SetBytes(int64(len(data)))
			var n int64
			var mu sync.Mutex
			b.SetParallelism(4)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					mu.Lock()
					n++
					name := fmt.Sprintf("blobs/%02x/%d", n%256, n)
					mu.Unlock()
					if err := s.Put(context.Background(), name, bytes.NewReader(data), int64(len(data))); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// TestSnapshot: Snapshot lists packed and file blobs as List does, and writes nothing, not
// even over a torn tail.
func TestSnapshot(t *testing.T) {
	root := t.TempDir()
	got, err := localdir.Snapshot(context.Background(), root)
	require.NoError(t, err)
	require.Empty(t, got)
	_, err = os.Stat(filepath.Join(root, localdir.PackDir))
	require.True(t, os.IsNotExist(err), "Snapshot created %s", localdir.PackDir)

	s, err := localdir.Open(root, localdir.Options{PackMax: 100})
	require.NoError(t, err)
	put(t, s, "small", []byte("packed"))
	put(t, s, "large", bytes.Repeat([]byte("f"), 200))
	require.NoError(t, s.Close())
	packs := packFiles(t, root)
	require.Len(t, packs, 1)
	f, err := os.OpenFile(packs[0], os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = f.Write([]byte("torn"))
	require.NoError(t, err)
	require.NoError(t, f.Close())
	fi, err := os.Stat(packs[0])
	require.NoError(t, err)

	got, err = localdir.Snapshot(context.Background(), root)
	require.NoError(t, err)
	var names []string
	for _, info := range got {
		names = append(names, info.Name)
	}
	require.Equal(t, []string{"large", "small"}, names)
	fi2, err := os.Stat(packs[0])
	require.NoError(t, err)
	require.Equal(t, fi.Size(), fi2.Size(), "the torn tail is left alone")
	require.Len(t, packFiles(t, root), 1)
}

// BenchmarkPackOpen measures rebuilding the index of 100,000 packed 4 KiB blobs at open, the
// cost of a restart.
func BenchmarkPackOpen(b *testing.B) {
	root := b.TempDir()
	s, err := localdir.Open(root, localdir.Options{})
	require.NoError(b, err)
	data := bytes.Repeat([]byte("x"), 4096)
	const n = 100_000
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Go(func() {
			for i := w; i < n; i += 16 {
				name := fmt.Sprintf("blobs/%02x/%032x.%d", i%256, i, i%6)
				if err := s.Put(context.Background(), name, bytes.NewReader(data), int64(len(data))); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	require.NoError(b, s.Close())
	b.ResetTimer()
	var heap int64
	for range b.N {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		s, err := localdir.Open(root, localdir.Options{})
		require.NoError(b, err)
		runtime.GC()
		runtime.ReadMemStats(&after)
		heap += int64(after.HeapAlloc) - int64(before.HeapAlloc)
		require.NoError(b, s.Close())
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/blob")
	b.ReportMetric(float64(heap)/float64(b.N)/n, "heap-B/blob")
}

// TestProbe: a probe works on a healthy space and leaves nothing behind, neither a blob nor a
// pack record; it fails once the directory is gone, whether or not a pack is active.
func TestProbe(t *testing.T) {
	ctx := context.Background()
	for _, withPack := range []bool{false, true} {
		root := filepath.Join(t.TempDir(), "space")
		require.NoError(t, os.Mkdir(root, 0o755))
		s, err := localdir.Open(root, localdir.Options{})
		require.NoError(t, err)
		if withPack {
			put(t, s, "x", []byte("packed"))
		}
		before := dirBytes(t, filepath.Join(root, localdir.PackDir))
		for range 3 {
			require.NoError(t, s.Probe(ctx))
		}
		require.Equal(t, before, dirBytes(t, filepath.Join(root, localdir.PackDir)), "the probe appended to a pack")
		temps, err := os.ReadDir(filepath.Join(root, localdir.TempDir))
		require.NoError(t, err)
		require.Empty(t, temps)

		if withPack {
			// The active pack alone removed: the directory still takes files, the pack is lost.
			packs := packFiles(t, root)
			require.Len(t, packs, 1)
			require.NoError(t, os.Remove(packs[0]))
			require.ErrorContains(t, s.Probe(ctx), "pack file was removed")
		}
		require.NoError(t, os.RemoveAll(root))
		require.Error(t, s.Probe(ctx))
		s.Close()
	}
}

// TestTombstonesDoNotPileUp: an old pack that stays live is never compacted; blobs written and
// deleted after it leave tombstones, which compaction must drop once the records they kill are
// gone, instead of carrying them forward for as long as the old pack exists.
func TestTombstonesDoNotPileUp(t *testing.T) {
	root := t.TempDir()
	s, _ := openSpace(t, root, localdir.Options{PackFileSize: 32 << 10})
	ctx := context.Background()
	keep := map[string][]byte{}
	for i := range 40 { // fills the first packs with blobs that stay
		name := fmt.Sprintf("keep/%03d", i)
		keep[name] = blobData(i, 0)
		put(t, s, name, keep[name])
	}
	var counts []int
	for round := range 40 {
		for i := range 20 {
			name := fmt.Sprintf("temp/%d/%d", round, i)
			put(t, s, name, blobData(i, round))
			require.NoError(t, s.Delete(ctx, name))
		}
		for range 3 {
			_, err := s.Compact(ctx)
			require.NoError(t, err)
		}
		counts = append(counts, localdir.Tombstones(root))
	}
	assertHolds(t, s, keep)
	// 800 deletions: tombstones carried forever would number in the hundreds.
	require.Less(t, counts[len(counts)-1], 150, "tombstones after each round: %v", counts)
}

// TestDeletedStaysDeletedOverOlderVersions: a blob replaced and then deleted must not come back
// as its older version, whose record sits in a pack that stays, once the newer version's pack
// is compacted away.
func TestDeletedStaysDeletedOverOlderVersions(t *testing.T) {
	root := t.TempDir()
	opts := localdir.Options{PackFileSize: 8 << 10}
	s, err := localdir.Open(root, opts)
	require.NoError(t, err)
	ctx := context.Background()
	churn := func(tag string) { // about 10 KiB put and deleted: a pack or more of dead records
		for i := range 30 {
			name := fmt.Sprintf("%s/%02d", tag, i)
			put(t, s, name, blobData(i, 1))
			require.NoError(t, s.Delete(ctx, name))
		}
	}
	put(t, s, "x", []byte("version 1"))
	keep := map[string][]byte{}
	for i := range 20 { // the first pack stays live
		name := fmt.Sprintf("keep/%02d", i)
		keep[name] = blobData(i, 0)
		put(t, s, name, keep[name])
	}
	churn("a")
	put(t, s, "x", []byte("version 2")) // in a pack of dead records
	require.NoError(t, s.Delete(ctx, "x"))
	churn("b")
	for range 3 {
		_, err := s.Compact(ctx)
		require.NoError(t, err)
	}
	assertHolds(t, s, keep)
	assertHoldsReopened(t, s, root, opts, keep, "x")
}

// TestTornReplacementKeepsOldVersion: a replacement torn by a crash was never acknowledged, so
// the version it failed to replace stays, across every later restart.
func TestTornReplacementKeepsOldVersion(t *testing.T) {
	root := t.TempDir()
	s, err := localdir.Open(root, localdir.Options{})
	require.NoError(t, err)
	put(t, s, "x", []byte("the old version"))
	require.NoError(t, s.Close())
	s, err = localdir.Open(root, localdir.Options{})
	require.NoError(t, err)
	put(t, s, "x", bytes.Repeat([]byte("n"), 2000)) // in the second pack
	require.NoError(t, s.Close())
	packs := packFiles(t, root)
	require.Len(t, packs, 2)
	f, err := os.OpenFile(packs[1], os.O_RDWR, 0)
	require.NoError(t, err)
	fi, err := f.Stat()
	require.NoError(t, err)
	_, err = f.WriteAt([]byte("X"), fi.Size()-10)
	require.NoError(t, err)
	require.NoError(t, f.Close())

	want := map[string][]byte{"x": []byte("the old version")}
	for range 3 {
		s, err := localdir.Open(root, localdir.Options{})
		require.NoError(t, err)
		assertHolds(t, s, want)
		put(t, s, "other", []byte("a new pack follows the torn one"))
		want["other"] = []byte("a new pack follows the torn one")
		require.NoError(t, s.Close())
	}
}

// TestPackDirectAppends: records of DirectRecordMin bytes or more are appended with O_DIRECT,
// padded to the alignment with void records, among small records appended through the page
// cache. Every blob reads back before and after a reopen (and a second open without a close,
// as after a crash), and after a compaction that rewrites them.
func TestPackDirectAppends(t *testing.T) {
	root := t.TempDir()
	probe, err := os.OpenFile(filepath.Join(root, "probe"), os.O_CREATE|os.O_WRONLY|syscall.O_DIRECT, 0o644)
	if err != nil {
		t.Skipf("the file system of %s refuses O_DIRECT: %v", root, err)
	}
	probe.Close()
	os.Remove(probe.Name())
	opts := localdir.Options{PackFileSize: 3 << 20}
	s, err := localdir.Open(root, opts)
	require.NoError(t, err)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	want := map[string][]byte{}
	min := localdir.DirectRecordMin
	// Sizes at and around the threshold, odd ones that leave the end of a record just short
	// of an alignment boundary, and random ones, small and large, interleaved.
	sizes := []int{10, min, min - 40, 1000, min + 4096 - 36 - 3 - 20, 1 << 20, 3, 4096, 300_001, 777}
	for range 40 {
		if rng.IntN(2) == 0 {
			sizes = append(sizes, rng.IntN(5000))
		} else {
			sizes = append(sizes, min+rng.IntN(1<<20-min))
		}
	}
	for i, n := range sizes {
		name := fmt.Sprintf("d%03d", i)
		want[name] = make([]byte, n)
		for j := range want[name] {
			want[name][j] = byte(rng.Uint32())
		}
		put(t, s, name, want[name])
		require.Equal(t, want[name], content(t, s, name))
	}
	require.Positive(t, localdir.PadRecords(root), "large records were appended with O_DIRECT")
	assertHolds(t, s, want)

	// Replace and delete some, so that compaction has work.
	for i := range sizes {
		name := fmt.Sprintf("d%03d", i)
		switch i % 3 {
		case 0:
			require.NoError(t, s.Delete(ctx, name))
			delete(want, name)
		case 1:
			want[name] = append(bytes.Clone(want[name]), 'x')
			put(t, s, name, want[name])
		}
	}
	crashed, err := localdir.Open(root, opts) // as if s had crashed: no Close
	require.NoError(t, err)
	assertHolds(t, crashed, want)
	require.NoError(t, crashed.Close())
	_, err = s.Compact(ctx)
	require.NoError(t, err)
	assertHolds(t, s, want)
	assertHoldsReopened(t, s, root, opts, want, "d")
}

// TestPutBatch: PutBatch stores small blobs together (12 MiB of them, more than one write)
// and larger ones as files, and lets a later blob of a name win over an earlier one in the
// same batch. All of it reads back live, after a second open without a close and after a
// reopen; a bad name fails the batch.
func TestPutBatch(t *testing.T) {
	root := t.TempDir()
	opts := localdir.Options{PackFileSize: 16 << 20}
	s, err := localdir.Open(root, opts)
	require.NoError(t, err)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 4))
	want := map[string][]byte{}
	var batch []space.Blob
	add := func(name string, n int) {
		data := make([]byte, n)
		for j := range data {
			data[j] = byte(rng.Uint32())
		}
		batch = append(batch, space.Blob{Name: name, Data: data})
		want[name] = data
	}
	for i := range 30 {
		add(fmt.Sprintf("small/%02d", i), 1+rng.IntN(5000))
	}
	for i := range 12 {
		add(fmt.Sprintf("big/%02d", i), 1<<20) // 12 MiB of records: two writes
	}
	add("file", 2<<20) // too large to pack
	add("small/00", 77)
	require.NoError(t, s.PutBatch(ctx, batch))
	assertHolds(t, s, want)
	require.Empty(t, localdir.DumpPacks(root, "file"), "a blob larger than PackMax is a file")

	crashed, err := localdir.Open(root, opts)
	require.NoError(t, err)
	assertHolds(t, crashed, want)
	require.NoError(t, crashed.Close())

	err = s.PutBatch(ctx, []space.Blob{{Name: "ok", Data: []byte("x")}, {Name: "../escape", Data: []byte("x")}})
	require.Error(t, err)
	assertHoldsReopened(t, s, root, opts, want, "small/00")
}
