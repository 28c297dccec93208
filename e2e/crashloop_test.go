package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/stretchr/testify/require"
)

// crashLoopSeed replays a schedule of TestCrashLoop: the test logs the seed it used. The seed
// fixes every random choice (sizes, operations, delays); goroutine timing still varies.
var crashLoopSeed = flag.Uint64("crashloop.seed", 0, "TestCrashLoop: the seed of the random schedule (0: a new one)")

// The shape of TestCrashLoop.
const (
	loopCycles  = 20
	loopPaths   = 32 // the object paths the workers create, replace and delete
	loopBucket  = "crashloop"
	loopPackage = "p" // the package of every object; S3 keys are "p/<path>"
	// fsckInterval and fsckTimeout bound the wait for the startup sweep and collection to leave
	// a store that `jcs admin fsck` calls clean.
	fsckInterval = 200 * time.Millisecond
	fsckTimeout  = 10 * time.Second
)

// TestCrashLoop kills the server with SIGKILL at random moments while workers upload, replace
// and delete objects through /v1 (batch uploads, deletes by ID) and S3 (PUT, DELETE), and
// restarts it on the same data directory, loopCycles times. Objects are tiny (< 1 KiB), small
// (replicated) or 1-6 MiB (erasure coded, up to two stripes); in a third of the cycles the kill
// waits for a large upload to be stuck mid-body. After each restart:
//   - every acknowledged write is there: an acknowledged object reads back byte-identical
//     (through either front end) and keeps its ID when replaced; an acknowledged delete stays
//     deleted;
//   - a path whose operation the kill cut off holds its last acknowledged state or the new one,
//     complete; a cut-off batch upload took effect for all of its files or none;
//   - getPackageObjects, listByPath and ListObjectsV2 show exactly those objects;
//   - once the startup sweep and collection have run, `jcs admin fsck` reports a clean store
//     (with --verify, reading every shard, after the last cycle).
func TestCrashLoop(t *testing.T) {
	seed := *crashLoopSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d: replay the schedule with -crashloop.seed=%d", seed, seed)
	dir := t.TempDir()
	s := startServer(t, dir)
	cl := newCrashLoop(t, seed, s, dir)
	for n := range loopCycles {
		s = cl.cycle(n, s, n == loopCycles-1)
	}
	t.Logf("%d cycles: %d operations acknowledged, %d cut off by a kill (%d of them took effect), "+
		"%d refused by the dead server; %d objects live at the end", loopCycles, cl.stats.acked,
		cl.stats.cutOff, cl.stats.late, cl.stats.refused, cl.live())
}

// loopState is a state of a path: an object with some content, or absent.
type loopState struct {
	present bool
	obj     object // the content, if present
	id      int64  // the object's ID, if present and known; 0 otherwise
}

func (v loopState) String() string {
	if !v.present {
		return "absent"
	}
	return fmt.Sprintf("%d bytes of content %d (ID %d)", v.obj.size, v.obj.seed, v.id)
}

// loopPath is what the test knows of one path.
type loopPath struct {
	acked loopState // the last acknowledged state
	// pending is the state an operation cut off by the kill would leave; nil if none. The
	// path is in one of the two after a restart.
	pending *loopState
	busy    bool // an operation on the path runs, or was cut off, in this cycle
}

// loopKind is what an operation does.
type loopKind int

const (
	v1Upload loopKind = iota // POST /v1/object/upload of one to three files
	v1Delete                 // POST /v1/object/delete by object ID
	s3Put                    // S3 PutObject
	s3Delete                 // S3 DeleteObject
)

func (k loopKind) String() string {
	return [...]string{"/v1 upload", "/v1 delete", "S3 PUT", "S3 DELETE"}[k]
}

// loopOp is one request of a worker. It owns its paths (busy) from plan to settle.
type loopOp struct {
	kind  loopKind
	paths []string
	next  []loopState // the state each path is in once the operation took effect
	id    int64       // the object a /v1 delete deletes
	gate  *loopGate   // for the upload the kill waits for
}

func (op *loopOp) String() string {
	return fmt.Sprintf("%s of %q", op.kind, op.paths)
}

// loopGate stops one large upload mid-body until the kill.
type loopGate struct {
	size, at int64
	reached  chan struct{}
	release  chan struct{}
	open     func() // closes release, once
}

func newLoopGate(rng *rand.Rand) *loopGate {
	size := 4<<20 + rng.Int64N(2<<20+1)
	release := make(chan struct{})
	return &loopGate{size: size, at: 256<<10 + rng.Int64N(size-256<<10), reached: make(chan struct{}),
		release: release, open: sync.OnceFunc(func() { close(release) })}
}

// crashLoop is the state of TestCrashLoop. The test goroutine owns it between cycles; during
// one, the workers share paths, cutOff, unexpected and stats under mu.
type crashLoop struct {
	t      *testing.T
	rng    *rand.Rand // the test goroutine's; workers get their own
	dir    string
	pkg    int64
	names  []string // the paths, sorted
	killed atomic.Bool

	mu         sync.Mutex
	paths      map[string]*loopPath
	nextSeed   uint64    // of the next content
	cutOff     []*loopOp // the operations the last kill cut off
	unexpected []string  // failures no kill explains
	stats      struct{ acked, cutOff, late, refused int }
}

func newCrashLoop(t *testing.T, seed uint64, s *server, dir string) *crashLoop {
	t.Helper()
	c := s.client()
	cl := &crashLoop{t: t, rng: rand.New(rand.NewPCG(seed, 0x6a6373)), dir: dir, paths: map[string]*loopPath{},
		pkg: c.createPackage(t, c.createBucket(t, loopBucket).BucketID, loopPackage).PackageID}
	cl.nextSeed = cl.rng.Uint64()
	for i := range loopPaths {
		name := fmt.Sprintf("d%d/k%02d", i%3, i)
		cl.names = append(cl.names, name)
		cl.paths[name] = &loopPath{}
	}
	slices.Sort(cl.names)
	return cl
}

// live counts the paths that hold an object.
func (cl *crashLoop) live() int {
	n := 0
	for _, p := range cl.paths {
		if p.acked.present {
			n++
		}
	}
	return n
}

// cycle runs workers against s, kills it at a random moment, restarts it and checks the
// restarted server. It returns the restarted server.
func (cl *crashLoop) cycle(n int, s *server, last bool) *server {
	t := cl.t
	t.Helper()
	workers := 3 + cl.rng.IntN(4)
	delay := time.Duration(50+cl.rng.IntN(751)) * time.Millisecond
	var gate *loopGate
	if cl.rng.IntN(3) == 0 {
		gate = newLoopGate(cl.rng)
		defer gate.open() // also when the test fails before the kill
	}
	fe := newLoopClients(s, cl.pkg)
	cl.killed.Store(false)
	acked := cl.stats.acked
	start := time.Now()
	var wg sync.WaitGroup
	for i := range workers {
		w := &loopWorker{cl: cl, fe: fe, rng: rand.New(rand.NewPCG(cl.rng.Uint64(), cl.rng.Uint64()))}
		if i == 0 {
			w.gate = gate
		}
		wg.Go(w.work)
	}
	killedAfter := cl.killAt(s, start.Add(delay), gate).Sub(start)
	waitGroup(t, &wg, 60*time.Second, "workers still running 60s after the kill")
	require.Empty(t, cl.unexpected, "failures before the kill, or error answers")
	acked, cutOff := cl.stats.acked-acked, len(cl.cutOff)

	s = startServer(t, cl.dir)
	restarted := time.Now()
	late := cl.verify(s)
	rep := cl.fsckClean(s, last)
	t.Logf("cycle %2d: %d workers, killed after %v%s; %d operations acknowledged, %d cut off (%d took effect); "+
		"%d objects live; fsck%s clean %v after the restart: %d blobs, %d shards", n, workers,
		killedAfter.Round(time.Millisecond), gateNote(gate), acked, cutOff, late, cl.live(),
		map[bool]string{true: " --verify"}[last], time.Since(restarted).Round(time.Millisecond), rep.Blobs, rep.Shards)
	return s
}

func gateNote(g *loopGate) string {
	if g == nil {
		return ""
	}
	return fmt.Sprintf(" (an upload of %d bytes stuck at byte %d)", g.size, g.at)
}

// killAt kills s with SIGKILL at the given time, or once the gated upload is stuck at its gate
// if that is later, and returns the time of the kill.
func (cl *crashLoop) killAt(s *server, at time.Time, gate *loopGate) time.Time {
	cl.t.Helper()
	if gate != nil {
		select {
		case <-gate.reached:
		case <-time.After(30 * time.Second):
			cl.t.Fatalf("the gated upload did not reach byte %d within 30s", gate.at)
		}
	}
	time.Sleep(time.Until(at))
	cl.killed.Store(true)
	killed := time.Now()
	s.kill()
	if gate != nil {
		gate.open()
	}
	return killed
}

// waitGroup waits for wg, failing the test after d.
func waitGroup(t *testing.T, wg *sync.WaitGroup, d time.Duration, msg string) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatal(msg)
	}
}

// loopClients are the clients of one run of the server.
type loopClients struct {
	v1  *client
	s3  *s3.Client
	pkg int64 // the /v1 package of every object
}

func newLoopClients(s *server, pkg int64) *loopClients {
	creds := *s.creds
	return &loopClients{v1: s.client(), pkg: pkg, s3: s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(s.s3URL("")),
		UsePathStyle: true,
		Credentials:  aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return creds, nil }),
		// One attempt: a request the kill cut off must fail, not be retried after the restart.
		Retryer:    aws.NopRetryer{},
		HTTPClient: &http.Client{Transport: &http.Transport{DisableCompression: true}, Timeout: 2 * time.Minute},
		DisableLogOutputChecksumValidationSkipped: true,
	})}
}

// loopWorker runs operations until the kill.
type loopWorker struct {
	cl   *crashLoop
	fe   *loopClients
	rng  *rand.Rand
	gate *loopGate // the first operation is the gated upload, if set
}

// work plans, runs and settles operations until one fails, as every one does once the server
// is killed.
func (w *loopWorker) work() {
	for !w.cl.killed.Load() {
		op := w.cl.plan(w)
		if op == nil {
			time.Sleep(time.Millisecond) // every path is busy
			continue
		}
		if !w.cl.settle(op, w.run(op)) {
			return
		}
	}
}

// loopSize draws an object size: tiny, small (replicated) or 1-6 MiB (erasure coded).
func loopSize(rng *rand.Rand) int64 {
	switch r := rng.IntN(10); {
	case r < 4:
		return rng.Int64N(1 << 10)
	case r < 7:
		return 64<<10 + rng.Int64N(128<<10)
	}
	return 1<<20 + rng.Int64N(5<<20+1)
}

// plan picks the next operation of w and the free paths it works on, and marks them busy; nil
// if every path is busy.
func (cl *crashLoop) plan(w *loopWorker) *loopOp {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	var free []string
	for _, name := range cl.names {
		if !cl.paths[name].busy {
			free = append(free, name)
		}
	}
	if len(free) == 0 {
		return nil
	}
	w.rng.Shuffle(len(free), func(i, j int) { free[i], free[j] = free[j], free[i] })
	first := cl.paths[free[0]].acked
	op := &loopOp{kind: v1Upload, paths: free[:1]}
	switch r := w.rng.IntN(100); {
	case w.gate != nil:
		op.gate, w.gate = w.gate, nil
	case first.present && r < 25:
		op.kind = s3Delete
		if first.id != 0 && r < 12 {
			op.kind, op.id = v1Delete, first.id
		}
	case r < 60:
		op.kind = s3Put
	case r < 80:
		op.paths = free[:min(len(free), 2+w.rng.IntN(2))]
	}
	for _, name := range op.paths {
		cl.paths[name].busy = true
		op.next = append(op.next, cl.nextState(w.rng, op, name))
	}
	return op
}

// nextState is the state op leaves path in; mu is held.
func (cl *crashLoop) nextState(rng *rand.Rand, op *loopOp, path string) loopState {
	if op.kind == v1Delete || op.kind == s3Delete {
		return loopState{}
	}
	size := loopSize(rng)
	if op.gate != nil {
		size = op.gate.size
	}
	cl.nextSeed++
	prev := cl.paths[path].acked
	// A replaced object keeps its ID; a new one's comes with the acknowledgement (/v1) or the
	// next listing (S3).
	return loopState{present: true, obj: object{path: path, size: size, seed: cl.nextSeed}, id: prev.id}
}

// loopResult is how an operation ended.
type loopResult struct {
	acked    bool
	answered bool  // the server answered, with a failure
	refused  bool  // no connection: the server is gone and the request never reached it
	err      error // why it is not acknowledged
}

// run sends op and reports how it ended. It fills in the IDs of the objects an upload
// acknowledges.
func (w *loopWorker) run(op *loopOp) loopResult {
	ctx := w.cl.t.Context()
	var res loopResult
	switch op.kind {
	case v1Upload:
		res = w.upload(ctx, op)
	case v1Delete:
		r, err := w.fe.v1.call(ctx, "POST", "/v1/object/delete", nil, map[string]any{"objectIDs": []int64{op.id}})
		res = v1Result(r, err)
	case s3Put:
		o := op.next[0].obj
		_, err := w.fe.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(loopBucket), Key: aws.String(s3Key(o.path)),
			Body: bytes.NewReader(o.bytesAt(0, o.size)), ContentLength: aws.Int64(o.size)})
		res = s3Result(err)
	case s3Delete:
		_, err := w.fe.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(loopBucket), Key: aws.String(s3Key(op.paths[0]))})
		res = s3Result(err)
	}
	res.refused = res.err != nil && !res.answered && errors.Is(res.err, syscall.ECONNREFUSED)
	return res
}

func s3Key(path string) string { return loopPackage + "/" + path }

// upload sends a /v1 upload of op's objects and checks what it acknowledges.
func (w *loopWorker) upload(ctx context.Context, op *loopOp) loopResult {
	objs := make([]object, len(op.next))
	for i, v := range op.next {
		objs[i] = v.obj
	}
	parts := filesOf(objs...)
	if g := op.gate; g != nil {
		parts[0].body = &gatedReader{r: parts[0].body, left: g.at, reached: g.reached, release: g.release}
	}
	r, err := w.fe.v1.uploadCtx(ctx, w.fe.pkg, parts)
	res := v1Result(r, err)
	if !res.acked {
		return res
	}
	var d struct{ Uploadeds []objectJSON }
	if err := json.Unmarshal(r.env.Data, &d); err != nil || len(d.Uploadeds) != len(objs) {
		return loopResult{answered: true, err: fmt.Errorf("acknowledged with %s", r.body)}
	}
	for i, got := range d.Uploadeds {
		want := &op.next[i]
		if got.Path != want.obj.path || !sameContent(got, want.obj) || (want.id != 0 && got.ObjectID != want.id) {
			return loopResult{answered: true, err: fmt.Errorf("acknowledged %+v for %v", got, *want)}
		}
		want.id = got.ObjectID
	}
	return res
}

// v1Result classifies the answer to a /v1 request.
func v1Result(r reply, err error) loopResult {
	switch {
	case err != nil:
		return loopResult{err: err}
	case r.status != http.StatusOK || r.env.Code != "OK":
		return loopResult{answered: true, err: fmt.Errorf("%d: %s", r.status, r.body)}
	}
	return loopResult{acked: true}
}

// s3Result classifies the outcome of an S3 request. A request that failed to send is a
// ResponseError too, of status 0.
func s3Result(err error) loopResult {
	var re *smithyhttp.ResponseError
	return loopResult{acked: err == nil, answered: errors.As(err, &re) && re.HTTPStatusCode() != 0, err: err}
}

// settle records how op ended and reports whether its worker goes on: not after a failure,
// which the kill explains or the test reports.
func (cl *crashLoop) settle(op *loopOp, res loopResult) bool {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	switch {
	case res.acked:
		cl.stats.acked++
		for i, name := range op.paths {
			cl.paths[name].acked, cl.paths[name].busy = op.next[i], false
		}
		return true
	case res.refused && cl.killed.Load():
		cl.stats.refused++ // never reached the server: nothing changed
		return false
	}
	if res.answered || !cl.killed.Load() {
		cl.unexpected = append(cl.unexpected, fmt.Sprintf("%v: %v", op, res.err))
	}
	cl.stats.cutOff++
	cl.cutOff = append(cl.cutOff, op)
	for i, name := range op.paths {
		cl.paths[name].pending = &op.next[i] // stays busy: no later operation of the cycle touches it
	}
	return false
}

// verify checks the restarted server s against what the test knows, settles every path the
// kill left uncertain into the state the server shows, and returns how many cut-off
// operations took effect.
func (cl *crashLoop) verify(s *server) int {
	t := cl.t
	t.Helper()
	fe := newLoopClients(s, cl.pkg)
	live := fe.v1.packageObjects(t, cl.pkg)
	got := map[string]*objectJSON{}
	for i, o := range live {
		_, known := cl.paths[o.Path]
		require.True(t, known, "object %q (%s bytes) exists, but no operation of the test wrote that path", o.Path, o.Size)
		got[o.Path] = &live[i]
	}
	isOld, isNew := map[string]bool{}, map[string]bool{}
	for _, name := range cl.names {
		p := cl.paths[name]
		isOld[name] = matches(p.acked, got[name])
		isNew[name] = p.pending != nil && matches(*p.pending, got[name])
		require.True(t, isOld[name] || isNew[name], "path %q after the crash holds %s; want the acknowledged state (%v)%s",
			name, describe(got[name]), p.acked, pendingNote(p.pending))
		now := p.acked
		if !isOld[name] {
			now = *p.pending
		}
		if o := got[name]; o != nil {
			requireObject(t, now.obj, cl.pkg, *o)
			require.True(t, now.id == 0 || now.id == o.ObjectID, "path %q: object ID %d, want %d", name, o.ObjectID, now.id)
			now.id = o.ObjectID
		}
		*p = loopPath{acked: now}
	}
	late := cl.settleCutOff(isOld, isNew)
	cl.checkContent(fe)
	listed, _ := fe.v1.listAll(t, url.Values{"packageID": {itoa(cl.pkg)}, "path": {""}, "isPrefix": {"true"}}, 7)
	requireSameObjects(t, byPath(live), listed, "listByPath after the crash")
	require.Equal(t, cl.wantS3List(), fe.s3List(t), "ListObjectsV2 after the crash")
	disk := scanSpaces(t, cl.dir)
	require.Empty(t, disk.temps, "temporary files after the restart")
	require.Empty(t, disk.bad, "stray files in the spaces")
	return late
}

// matches reports whether the server's view of a path (nil: no object) is state v.
func matches(v loopState, got *objectJSON) bool {
	if got == nil {
		return !v.present
	}
	return v.present && sameContent(*got, v.obj)
}

func describe(got *objectJSON) string {
	if got == nil {
		return "no object"
	}
	return fmt.Sprintf("an object of %s bytes, hash %s, ID %d", got.Size, got.FileHash, got.ObjectID)
}

func pendingNote(v *loopState) string {
	if v == nil {
		return ", as no operation on it was cut off"
	}
	return fmt.Sprintf(" or the one a cut-off operation was writing (%v)", *v)
}

// settleCutOff requires every cut-off operation to have taken effect on all of its paths or on
// none, forgets them, and returns how many took effect.
func (cl *crashLoop) settleCutOff(isOld, isNew map[string]bool) int {
	late := 0
	for _, op := range cl.cutOff {
		allOld, allNew, someChanged := true, true, false
		for _, name := range op.paths {
			allOld = allOld && isOld[name]
			allNew = allNew && isNew[name]
			someChanged = someChanged || !isOld[name]
		}
		require.True(cl.t, allOld || allNew, "%v, cut off by the kill, took effect on some of its paths only", op)
		if someChanged {
			late++
		}
	}
	cl.stats.late += late
	cl.cutOff = nil
	return late
}

// checkContent reads every object back, through a front end chosen at random, and requires
// its exact content; and requires every other path to be absent.
func (cl *crashLoop) checkContent(fe *loopClients) {
	t := cl.t
	t.Helper()
	for _, name := range cl.names {
		v := cl.paths[name].acked
		viaS3 := cl.rng.IntN(2) == 0
		if !v.present {
			require.Equal(t, http.StatusNotFound, fe.status(t, viaS3, name), "path %q is absent, but a HEAD (S3: %v) finds it", name, viaS3)
			continue
		}
		var sum [32]byte
		var n int64
		var err error
		if viaS3 {
			sum, n, err = fe.s3Sum(t.Context(), name)
		} else {
			sum, n, err = fe.v1.downloadSum(t.Context(), v.id)
		}
		require.NoError(t, err, "reading %q (S3: %v)", name, viaS3)
		require.Equal(t, v.obj.size, n, "%q (S3: %v): length", name, viaS3)
		require.Equal(t, v.obj.sum(), sum, "%q (S3: %v): content differs", name, viaS3)
	}
}

// status returns the status of a HEAD of path: S3's HeadObject, or /v1's downloadByPath.
func (fe *loopClients) status(t *testing.T, viaS3 bool, path string) int {
	t.Helper()
	if viaS3 {
		_, err := fe.s3.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(loopBucket), Key: aws.String(s3Key(path))})
		if err == nil {
			return http.StatusOK
		}
		var re *smithyhttp.ResponseError
		require.ErrorAs(t, err, &re, "HEAD %q", path)
		return re.HTTPStatusCode()
	}
	resp, err := fe.v1.send(t.Context(), "HEAD", "/v1/object/downloadByPath",
		url.Values{"packageID": {itoa(fe.pkg)}, "path": {path}}, nil, nil)
	require.NoError(t, err, "HEAD %q", path)
	resp.Body.Close()
	return resp.StatusCode
}

// s3Sum streams an object's S3 GET through SHA-256 and returns the hash and length.
func (fe *loopClients) s3Sum(ctx context.Context, path string) ([32]byte, int64, error) {
	out, err := fe.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(loopBucket), Key: aws.String(s3Key(path))})
	if err != nil {
		return [32]byte{}, 0, err
	}
	defer out.Body.Close()
	h := sha256.New()
	n, err := io.Copy(h, out.Body)
	return [32]byte(h.Sum(nil)), n, err
}

// s3List lists the package's keys with ListObjectsV2, a few per page: path -> size.
func (fe *loopClients) s3List(t *testing.T) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	pages := s3.NewListObjectsV2Paginator(fe.s3, &s3.ListObjectsV2Input{Bucket: aws.String(loopBucket),
		Prefix: aws.String(s3Key("")), MaxKeys: aws.Int32(7)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(t.Context())
		require.NoError(t, err)
		for _, o := range page.Contents {
			out[strings.TrimPrefix(aws.ToString(o.Key), s3Key(""))] = aws.ToInt64(o.Size)
		}
	}
	return out
}

// wantS3List is what s3List must return: path -> size of every object.
func (cl *crashLoop) wantS3List() map[string]int64 {
	out := map[string]int64{}
	for name, p := range cl.paths {
		if p.acked.present {
			out[name] = p.acked.obj.size
		}
	}
	return out
}

// fsckReport is what TestCrashLoop reads of `jcs admin fsck`'s report.
type fsckReport struct {
	Clean   *bool `json:"clean"`
	Blobs   int64 `json:"blobs"`
	Shards  int64 `json:"shards"`
	Missing int64 `json:"missing"`
	Corrupt int64 `json:"corrupt"`
	Orphans int64 `json:"orphans"`
	BadRefs int64 `json:"badRefs"`
}

// fsckClean runs `jcs admin fsck` (with --verify if verify is set) until it reports a clean
// store, as it must once the startup sweep and collection have run, and returns the report.
// It fails the test with the last report after fsckTimeout.
func (cl *crashLoop) fsckClean(s *server, verify bool) fsckReport {
	t := cl.t
	t.Helper()
	deadline := time.Now().Add(fsckTimeout)
	for {
		rep, out, err := runFsck(t, s, verify)
		if err == nil && *rep.Clean {
			return rep
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = errors.New("the report is not clean")
			}
			t.Fatalf("jcs admin fsck (verify: %v) still fails %v after the restart: %v\n%s", verify, fsckTimeout, err, out)
		}
		time.Sleep(fsckInterval)
	}
}

// runFsck runs `jcs admin fsck` once and returns its report and output. Exit status 1 with a
// report that is not clean is not an error; any other failure is, as is an exit status that
// disagrees with the report.
func runFsck(t *testing.T, s *server, verify bool) (fsckReport, string, error) {
	args := []string{"admin", "--api", s.url(""), "--data", s.dir, "fsck"}
	if verify {
		args = append(args, "--verify")
	}
	ctx, cancel := context.WithTimeout(t.Context(), commandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, jcsBin, args...)
	cmd.Env = cleanEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	out := stdout.String() + stderr.String()
	var rep fsckReport
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil || rep.Clean == nil {
		return rep, out, fmt.Errorf("no report with \"clean\" (%v, %v)", runErr, err)
	}
	var ee *exec.ExitError
	switch {
	case runErr == nil && !*rep.Clean, runErr != nil && *rep.Clean:
		return rep, out, fmt.Errorf("the exit status (%v) disagrees with the report", runErr)
	case runErr != nil && !(errors.As(runErr, &ee) && ee.ExitCode() == 1):
		return rep, out, runErr
	}
	return rep, out, nil
}
