package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestCrashRestart kills the server with SIGKILL while uploads of many objects are streaming,
// some already acknowledged, and restarts it on the same data directory, four times with
// different timing; later cycles also replace objects of earlier ones. After each restart:
// every acknowledged object reads back exactly; an upload cut off left nothing (or the old
// objects it was replacing), or, if it committed just before the kill, all of its objects
// complete and exact; listings show nothing partial; and once the startup sweep and collection
// have run, the spaces hold exactly the shard files the live objects need and no temporary
// files.
func TestCrashRestart(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir)
	c := s.client()
	pkg := c.newPackage(t, "crash")
	st := &crashState{acked: map[string]ackedObject{}, pending: map[string]object{}}

	// Every cycle has a gate past a whole first stripe (4 MiB): its shards, longer than the
	// 1 MiB a local space packs, are then being written to temporary files at the kill.
	// Shorter shards are held in memory until complete and leave nothing to sweep.
	cycles := []crashCycle{
		{workers: 3, ackTarget: 2, gates: []gateSpec{
			{sizes: []int64{3 << 20}, file: 0, at: 300 << 10},
			{sizes: []int64{1 << 20, 5 << 20}, file: 1, at: 2500 << 10},
			{sizes: []int64{6 << 20}, file: 0, at: 6<<20 - 1}}},
		{workers: 4, ackTarget: 6, replacements: 4, gates: []gateSpec{
			{sizes: []int64{4<<20 + 3}, file: 0, at: 4 << 20},
			{sizes: []int64{200 << 10, 2 << 20}, file: 1, at: 0}, // the second file's part header sent
			{sizes: []int64{smallObjectSize + 1}, file: 0, at: smallObjectSize, replace: true}}},
		{workers: 5, ackTarget: 10, replacements: 4, gates: []gateSpec{
			{sizes: []int64{5 << 20}, file: 0, at: 1},
			{sizes: []int64{3 << 20, 100, 1 << 20}, file: 2, at: 512 << 10},
			{sizes: []int64{2<<20 + 5}, file: 0, at: 1 << 20, replace: true},
			{sizes: []int64{5 << 20}, file: 0, at: 4<<20 + 1}}},
		{workers: 2, ackTarget: 12, replacements: 6, gates: []gateSpec{
			{sizes: []int64{1 << 20, 3 << 20}, file: 1, at: 3 << 20}, // all but the closing boundary
			{sizes: []int64{0}, file: 0, at: 0, replace: true},
			{sizes: []int64{9 << 20}, file: 0, at: 8<<20 + 7}}},
	}
	for i, cy := range cycles {
		jobs := cy.jobs(i, st)
		runUntilKilled(t, s, c, pkg, dir, cy, jobs)
		cutOff := st.record(t, pkg, jobs)
		s = startServer(t, dir)
		c = s.client()
		st.verify(t, c, pkg, dir)
		// The kill left temporary files of shards being written (runUntilKilled saw them), so
		// the sweep that removed them must have counted them.
		waitMetric(t, s, "jcs_engine_collected_temp_files_total", 10*time.Second)
		t.Logf("cycle %d: %d uploads cut off by the kill; %d objects acknowledged so far; "+
			"%d cut-off uploads committed anyway so far; %v",
			i, cutOff, len(st.acked), st.lateCommits, metrics(t, s, "jcs_engine_collected_"))
	}
}

// crashCycle is the timing of one kill: free-running uploads on workers goroutines, and gated
// uploads that stop mid-body; the kill comes once ackTarget uploads have been acknowledged and
// every gated upload is stopped at its gate.
type crashCycle struct {
	workers   int
	ackTarget int
	// replacements is how many free-running uploads replace objects of earlier cycles.
	replacements int
	gates        []gateSpec
}

// gateSpec is an upload of files of the given sizes that stops after sending at bytes of file.
// With replace, its one file replaces an object of an earlier cycle.
type gateSpec struct {
	sizes   []int64
	file    int
	at      int64
	replace bool
}

// crashJob is one upload request and what became of it.
type crashJob struct {
	objs []object
	gate *gateSpec

	sent   bool // the request was started
	acked  []objectJSON
	status int   // a non-200 answer, which no upload here should get
	err    error // no answer: the kill cut it off
}

var crashSizes = []int64{0, 1, 100, 4096, 64 << 10, smallObjectSize, smallObjectSize + 1, 300 << 10,
	1 << 20, 1<<20 + 1, 2<<20 + 512<<10, 4<<20 + 3, 6 << 20}

// jobs makes the uploads of cycle n: 16 free-running ones of one to three files of mixed
// sizes, some of which replace objects acknowledged in earlier cycles, and the gated ones.
// No two uploads of a cycle touch the same path.
func (cy crashCycle) jobs(n int, st *crashState) []*crashJob {
	rng := rand.New(rand.NewPCG(uint64(n), 42))
	targets := slices.Sorted(maps.Keys(st.acked))
	rng.Shuffle(len(targets), func(i, j int) { targets[i], targets[j] = targets[j], targets[i] })
	var jobs []*crashJob
	newObjs := func(j int, sizes []int64, replace bool) []object {
		objs := make([]object, len(sizes))
		for i, size := range sizes {
			path := fmt.Sprintf("c%d/j%02d/f%d", n, j, i)
			if replace && len(targets) > 0 {
				path, targets = targets[0], targets[1:]
			}
			objs[i] = object{path: path, size: size, seed: uint64(10000 + 1000*n + 10*j + i)}
		}
		return objs
	}
	randomSize := func() int64 { return crashSizes[rng.IntN(len(crashSizes))] }
	for j := range 16 {
		if j < cy.replacements {
			jobs = append(jobs, &crashJob{objs: newObjs(j, []int64{randomSize()}, true)})
			continue
		}
		sizes := []int64{randomSize()}
		if rng.IntN(10) < 3 {
			for range 1 + rng.IntN(2) {
				sizes = append(sizes, randomSize())
			}
		}
		jobs = append(jobs, &crashJob{objs: newObjs(j, sizes, false)})
	}
	for g := range cy.gates {
		jobs = append(jobs, &crashJob{objs: newObjs(16+g, cy.gates[g].sizes, cy.gates[g].replace), gate: &cy.gates[g]})
	}
	return jobs
}

// runUntilKilled runs a cycle's uploads and kills the server with SIGKILL at the cycle's
// moment, then waits for every upload to end.
func runUntilKilled(t *testing.T, s *server, c *client, pkg int64, dir string, cy crashCycle, jobs []*crashJob) {
	t.Helper()
	var killed atomic.Bool
	var acks atomic.Int64
	ackCh := make(chan struct{}, len(jobs))
	release := make(chan struct{})
	releaseGates := sync.OnceFunc(func() { close(release) })
	defer releaseGates() // also when the test fails before the kill
	var wg sync.WaitGroup

	runJob := func(j *crashJob, parts []formPart) {
		j.sent = true
		r, err := c.uploadCtx(t.Context(), pkg, parts)
		switch {
		case err != nil:
			j.err = err
		case r.status != http.StatusOK:
			j.status, j.err = r.status, fmt.Errorf("%s", r.body)
		default:
			var d struct{ Uploadeds []objectJSON }
			if err := json.Unmarshal(r.env.Data, &d); err != nil {
				j.err = err
				return
			}
			j.acked = d.Uploadeds
			acks.Add(1)
			ackCh <- struct{}{}
		}
	}

	// Gated uploads, each on its own goroutine.
	var reached []chan struct{}
	for _, j := range jobs {
		if j.gate == nil {
			continue
		}
		parts := filesOf(j.objs...)
		ch := make(chan struct{})
		reached = append(reached, ch)
		parts[j.gate.file].body = &gatedReader{r: parts[j.gate.file].body, left: j.gate.at, reached: ch, release: release}
		wg.Go(func() { runJob(j, parts) })
	}
	// Free-running uploads on a pool of workers, which stop taking jobs at the kill.
	queue := make(chan *crashJob, len(jobs))
	for _, j := range jobs {
		if j.gate == nil {
			queue <- j
		}
	}
	close(queue)
	for range cy.workers {
		wg.Go(func() {
			for j := range queue {
				if killed.Load() {
					continue
				}
				runJob(j, filesOf(j.objs...))
			}
		})
	}

	// The kill: once enough uploads are acknowledged, every gated one is stuck mid-body, and
	// the server is writing shards (temporary files exist).
	timeout := time.After(60 * time.Second)
	for _, ch := range reached {
		select {
		case <-ch:
		case <-timeout:
			t.Fatalf("a gated upload did not reach its gate within 60s")
		}
	}
	for acks.Load() < int64(cy.ackTarget) {
		select {
		case <-ackCh:
		case <-timeout:
			t.Fatalf("only %d of the %d uploads needed before the kill were acknowledged within 60s", acks.Load(), cy.ackTarget)
		}
	}
	for tick := time.NewTicker(20 * time.Millisecond); ; <-tick.C {
		inFlight := metrics(t, s, "jcs_http_requests_in_flight")[`jcs_http_requests_in_flight{frontend="native"}`]
		if inFlight >= float64(len(reached)) && len(scanSpaces(t, dir).temps) > 0 {
			tick.Stop()
			break
		}
		select {
		case <-timeout:
			t.Fatalf("the server is not writing the gated uploads 60s after they started (%v requests in flight)", inFlight)
		default:
		}
	}
	killed.Store(true)
	s.kill()
	releaseGates()

	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatalf("uploads still running 60s after the server was killed")
	}
	for _, j := range jobs {
		require.Zero(t, j.status, "upload of %s answered %d before the kill: %v", j.objs[0].path, j.status, j.err)
	}
}

// gatedReader passes left bytes of r, then reports reached and blocks until release, and then
// fails: an upload stuck mid-body when the server is killed.
type gatedReader struct {
	r       io.Reader
	left    int64
	reached chan struct{}
	release <-chan struct{}
	once    sync.Once
}

func (g *gatedReader) Read(p []byte) (int, error) {
	if g.left == 0 {
		g.once.Do(func() { close(g.reached) })
		<-g.release
		return 0, errors.New("upload abandoned: the server was killed")
	}
	if int64(len(p)) > g.left {
		p = p[:g.left]
	}
	n, err := g.r.Read(p)
	g.left -= int64(n)
	return n, err
}

// crashState is what the test knows across cycles.
type crashState struct {
	acked map[string]ackedObject // path -> the object last acknowledged there; must exist forever
	// pending holds the new content of uploads cut off by a kill, until the next verification
	// finds out whether they committed; groups holds the files of each such upload, which
	// committed all together or not at all.
	pending     map[string]object
	groups      [][]object
	lateCommits int
}

type ackedObject struct {
	obj object
	id  int64
}

// record files the cycle's uploads, acknowledged and cut off, and returns how many were cut
// off. Uploads never sent are not recorded: their objects must never exist.
func (st *crashState) record(t *testing.T, pkg int64, jobs []*crashJob) int {
	t.Helper()
	cutOff := 0
	for _, j := range jobs {
		switch {
		case j.acked != nil:
			require.Len(t, j.acked, len(j.objs))
			for i, o := range j.objs {
				requireObject(t, o, pkg, j.acked[i])
				if old, ok := st.acked[o.path]; ok {
					require.Equal(t, old.id, j.acked[i].ObjectID, "replacing %q must keep its ID", o.path)
				}
				st.acked[o.path] = ackedObject{obj: o, id: j.acked[i].ObjectID}
			}
		case j.sent:
			cutOff++
			for _, o := range j.objs {
				st.pending[o.path] = o
			}
			st.groups = append(st.groups, j.objs)
		}
	}
	return cutOff
}

// sameContent reports whether a listed object has o's size and hash.
func sameContent(got objectJSON, o object) bool {
	return got.Size == strconv.FormatInt(o.size, 10) && got.FileHash == o.fileHash()
}

// verify checks the restarted server against what the test knows.
func (st *crashState) verify(t *testing.T, c *client, pkg int64, dir string) {
	t.Helper()
	live := c.packageObjects(t, pkg)
	livePaths := map[string]objectJSON{}
	for _, o := range live {
		livePaths[o.Path] = o
	}
	for path, a := range st.acked {
		got, ok := livePaths[path]
		require.True(t, ok, "acknowledged object %q is gone after the crash", path)
		require.Equal(t, a.id, got.ObjectID, "acknowledged object %q changed its ID", path)
	}
	isNew := map[string]bool{}
	for _, got := range live {
		if o, ok := st.pending[got.Path]; ok && sameContent(got, o) {
			// Cut off by the kill but committed just before it: then it must be whole.
			requireObject(t, o, pkg, got)
			isNew[got.Path] = true
			continue
		}
		a, ok := st.acked[got.Path]
		require.True(t, ok, "object %q (size %s, %s) exists but is neither an acknowledged upload nor "+
			"a complete one cut off by the last kill", got.Path, got.Size, got.FileHash)
		requireObject(t, a.obj, pkg, got)
	}
	for _, group := range st.groups {
		n := 0
		for _, o := range group {
			if isNew[o.path] {
				n++
			}
		}
		require.True(t, n == 0 || n == len(group), "an upload of %d files cut off by the kill committed %d of them", len(group), n)
		if n > 0 {
			st.lateCommits++
			for _, o := range group {
				st.acked[o.path] = ackedObject{obj: o, id: livePaths[o.path].ObjectID}
			}
		}
	}
	st.pending, st.groups = map[string]object{}, nil

	for _, o := range live {
		c.requireContent(t, o.ObjectID, st.acked[o.Path].obj)
	}
	listed, prefixes := c.listAll(t, url.Values{"packageID": {itoa(pkg)}, "path": {""}, "isPrefix": {"true"}}, 50)
	require.Empty(t, prefixes)
	requireSameObjects(t, byPath(live), listed, "listByPath after the crash")

	waitDisk(t, dir, shardsNeeded(live), 30*time.Second)
}
