package engine

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space"
	"github.com/jointcloud/jcs/engine/space/faultspace"
	"github.com/jointcloud/jcs/engine/space/memspace"
	"github.com/jointcloud/jcs/kv"
)

// testEngine is an engine over an in-memory index and six in-memory spaces, each behind a
// fault-injecting wrapper, with a small chunk size so tests cross stripe boundaries cheaply.
//
// Background collection is stopped as soon as the engine starts (unless withBackgroundGC), so
// that tests which count what CollectGarbage did are deterministic; the spaces and the index
// outlive the engine, so reopen can start a new engine over the same state.
type testEngine struct {
	*Engine
	store  *kv.Store
	cfg    testConfig
	spaces map[SpaceID]*faultspace.Space
	mem    map[SpaceID]*memspace.Space
	// openErr makes OpenSpace fail for the space of that name, as storage that is gone at
	// startup would.
	openErr map[string]error
	opens   atomic.Int64 // calls of OpenSpace
	openMu  sync.Mutex   // held by OpenSpace
}

// testConfig is what newTestEngine builds: engine options plus harness settings.
type testConfig struct {
	opts         Options
	numSpaces    int  // user spaces created by newTestEngine; 6 by default
	backgroundGC bool // keep the engine's collector running
}

type testOption func(*testConfig)

// withSpaces creates n user spaces instead of six.
func withSpaces(n int) testOption { return func(c *testConfig) { c.numSpaces = n } }

// withBackgroundGC keeps the engine's background collector running, as in production.
func withBackgroundGC() testOption { return func(c *testConfig) { c.backgroundGC = true } }

// withDeferral defers every replicated upload (see deferred.go); the placer runs only with
// withBackgroundGC, so tests call PlaceDeferred.
func withDeferral() testOption {
	return func(c *testConfig) { c.opts.DeferMax = c.opts.SmallObjectSize }
}

// withClock sets the engine's clock.
func withClock(now func() time.Time) testOption { return func(c *testConfig) { c.opts.Now = now } }

// withOptions edits the engine options.
func withOptions(f func(*Options)) testOption { return func(c *testConfig) { f(&c.opts) } }

func newTestEngine(t *testing.T, opts ...testOption) *testEngine {
	t.Helper()
	store, err := kv.OpenInMemory()
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	te := &testEngine{
		store: store, spaces: map[SpaceID]*faultspace.Space{}, mem: map[SpaceID]*memspace.Space{},
		openErr: map[string]error{},
	}
	te.cfg = testConfig{
		numSpaces: 6,
		opts: Options{
			Store:           store,
			ChunkSize:       4 << 10, // 16 KiB stripes
			SmallObjectSize: 1 << 10,
			DeferMax:        -1,        // most tests look for shards right after an upload; see withDeferral
			GCInterval:      time.Hour, // tests collect explicitly
			Logger:          slog.New(slog.NewTextHandler(io.Discard, nil)),
			OpenSpace: func(_ context.Context, us UserSpace) (space.Space, error) {
				te.opens.Add(1)
				te.openMu.Lock() // the engine opens its spaces concurrently
				defer te.openMu.Unlock()
				if err := te.openErr[us.Name]; err != nil {
					return nil, err
				}
				if sp, ok := te.spaces[us.ID]; ok {
					return sp, nil
				}
				m := memspace.New()
				te.mem[us.ID], te.spaces[us.ID] = m, faultspace.New(m)
				return te.spaces[us.ID], nil
			},
		},
	}
	for _, opt := range opts {
		opt(&te.cfg)
	}
	te.start(t)
	for i := range te.cfg.numSpaces {
		_, err := te.CreateUserSpace(t.Context(), CreateUserSpaceInput{
			Name: fmt.Sprintf("space%d", i+1), Storage: StorageConfig{Type: StorageLocal, Path: fmt.Sprintf("/mem/space%d", i+1)},
			ShardStore: &ShardStoreConfig{},
		})
		require.NoError(t, err)
	}
	return te
}

// start opens an engine over te's index and spaces.
func (te *testEngine) start(t *testing.T) {
	t.Helper()
	e, err := New(t.Context(), te.cfg.opts)
	require.NoError(t, err)
	t.Cleanup(func() { e.Close() })
	if !te.cfg.backgroundGC {
		// Stop the collector (and its startup sweep) before the test does anything.
		e.stop()
		e.bg.Wait()
	}
	te.Engine = e
}

// reopen closes the engine and opens a new one over the same index and spaces, as a restart
// of the process would.
func (te *testEngine) reopen(t *testing.T) {
	t.Helper()
	require.NoError(t, te.Close())
	te.start(t)
}

// pkg creates a bucket and a package and returns the package.
func (te *testEngine) pkg(t *testing.T) Package {
	t.Helper()
	b, err := te.CreateBucket(t.Context(), CreateBucketInput{Name: fmt.Sprintf("b%d", rand.Uint32())})
	require.NoError(t, err)
	p, err := te.CreatePackage(t.Context(), b.ID, "p")
	require.NoError(t, err)
	return p
}

// files returns a next function for UploadObjects over path/content pairs.
func files(pairs ...any) func() (UploadFile, error) {
	i := 0
	return func() (UploadFile, error) {
		if i >= len(pairs) {
			return UploadFile{}, io.EOF
		}
		path, body := pairs[i].(string), pairs[i+1].([]byte)
		i += 2
		return UploadFile{Path: path, Body: bytes.NewReader(body), Size: -1}, nil
	}
}

// fileList returns a next function for UploadObjects over fs.
func fileList(fs ...UploadFile) func() (UploadFile, error) {
	i := 0
	return func() (UploadFile, error) {
		if i >= len(fs) {
			return UploadFile{}, io.EOF
		}
		i++
		return fs[i-1], nil
	}
}

func (te *testEngine) upload(t *testing.T, pkg PackageID, pairs ...any) []Object {
	t.Helper()
	objs, err := te.UploadObjects(t.Context(), UploadInput{PackageID: pkg}, files(pairs...))
	require.NoError(t, err)
	return objs
}

// upload1 uploads one object and returns it.
func (te *testEngine) upload1(t *testing.T, pkg PackageID, path string, content []byte) Object {
	t.Helper()
	return te.upload(t, pkg, path, content)[0]
}

func (te *testEngine) read(t *testing.T, id ObjectID) []byte {
	t.Helper()
	r, err := te.OpenObject(t.Context(), id)
	require.NoError(t, err)
	defer r.Close()
	var buf bytes.Buffer
	_, err = r.WriteTo(&buf)
	require.NoError(t, err)
	return append([]byte{}, buf.Bytes()...)
}

// collect runs CollectGarbage without a sweep.
func (te *testEngine) collect(t *testing.T) CollectStats {
	t.Helper()
	st, err := te.CollectGarbage(t.Context(), time.Time{})
	require.NoError(t, err)
	return st
}

// shardCount returns how many shard files all spaces hold.
func (te *testEngine) shardCount(t *testing.T) int {
	t.Helper()
	n := 0
	for _, m := range te.mem {
		infos, _, err := m.List(t.Context(), shardPrefix, "", 100000)
		require.NoError(t, err)
		n += len(infos)
	}
	return n
}

// shardsFor returns how many shard files the given objects need: N per distinct blob.
func (te *testEngine) shardsFor(t *testing.T, objs ...Object) int {
	t.Helper()
	seen := map[BlobID]bool{}
	n := 0
	for _, o := range objs {
		for _, b := range te.layouts(t, o.ID) {
			if !seen[b.ID] {
				seen[b.ID] = true
				n += b.N
			}
		}
	}
	return n
}

// layouts returns the blob layouts of an object's segments, read from the index.
func (te *testEngine) layouts(t *testing.T, id ObjectID) []blobLayout {
	t.Helper()
	var out []blobLayout
	err := te.store.View(t.Context(), func(r kv.Reader) error {
		o, err := getObject(r, id)
		if err != nil {
			return err
		}
		out, err = segmentBlobs(r, &o)
		return err
	})
	require.NoError(t, err)
	return out
}

// shardSpace returns the faultspace holding shard i of the object's first blob, and the
// shard's name in it.
func (te *testEngine) shardSpace(t *testing.T, id ObjectID, i int) (*faultspace.Space, string) {
	t.Helper()
	ls := te.layouts(t, id)
	require.NotEmpty(t, ls, "object %d has no blob", id)
	return te.spaces[ls[0].Spaces[i]], shardName(ls[0].ID, i)
}

// indexCounts returns how many blob records, GC queue records and part records the index
// holds.
func (te *testEngine) indexCounts(t *testing.T) (blobs, queued, parts int) {
	t.Helper()
	count := func(r kv.Reader, p kv.Prefix) int {
		n := 0
		require.NoError(t, scanPrefix(r, kv.Key(p), func(_, _ []byte) error { n++; return nil }))
		return n
	}
	require.NoError(t, te.store.View(t.Context(), func(r kv.Reader) error {
		blobs, queued, parts = count(r, kv.PrefixBlob), count(r, kv.PrefixGC), count(r, kv.PrefixPart)
		return nil
	}))
	return blobs, queued, parts
}

// requireNoBlobRecords fails if the index still holds blob, queue or part records.
func requireNoBlobRecords(t *testing.T, te *testEngine) {
	t.Helper()
	blobs, queued, parts := te.indexCounts(t)
	require.Zero(t, blobs, "blob records")
	require.Zero(t, queued, "GC queue records")
	require.Zero(t, parts, "part records")
}

// clearFaults removes every fault from every space.
func (te *testEngine) clearFaults() {
	for _, s := range te.spaces {
		s.Clear()
	}
	te.forgetFailures()
}

// forgetFailures ends the write cool-down of every space and brings every space up, as if
// the cool-down had passed and a probe had succeeded.
func (te *testEngine) forgetFailures() {
	te.Engine.spaces.mu.Lock()
	defer te.Engine.spaces.mu.Unlock()
	for _, ent := range te.Engine.spaces.byID {
		ent.failedUntil = time.Time{}
		ent.health, ent.failures = HealthOK, 0
	}
}

// requireKind fails unless err is an engine error of kind want.
func requireKind(t *testing.T, want Kind, err error) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, want, KindOf(err), "error: %v", err)
}

// requireSameTime fails unless a and b are the same instant.
func requireSameTime(t *testing.T, want, got time.Time, what string) {
	t.Helper()
	require.True(t, want.Equal(got), "%s: want %v, got %v", what, want, got)
}

// stepClock returns a clock that starts at a fixed time and advances one second per call, so
// that every timestamp the engine takes is distinct and predictable.
func stepClock() func() time.Time {
	var mu sync.Mutex
	t := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(time.Second)
		return t
	}
}

func randomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}
