package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space/localdir"
)

// healTimeout bounds each wait of TestSpacesSelfHeal for the server to notice a change of a
// space: with probes every 300 ms it takes about a second.
const healTimeout = 20 * time.Second

// TestSpacesSelfHeal runs the server on six user spaces made through /v1/userSpace/create,
// four Local directories and two S3 buckets on `jcs bench baseline-s3mem` servers. It loses
// two of them (n-k = 2), a directory deleted and an S3 server killed: probes mark both down,
// and every object still reads back byte-identical through /v1 and S3. Each space then comes
// back empty; once probes see it work, repair rebuilds its shards in place, until fsck --verify
// finds every shard where it was first written and reads are no longer degraded.
func TestSpacesSelfHeal(t *testing.T) {
	t.Parallel()
	w := newHealWalk(t)
	w.upload()
	w.requireFsck(true, fsckWant{})
	before := w.layout()
	require.Equal(t, shardsNeeded(w.uploaded), before.shards(), "shards of the uploaded objects: %v", before)

	// Lose one Local and one S3 space. Every erasure-coded blob has a shard on each.
	local, remote := w.spaces[1], w.spaces[4]
	require.Positive(t, before.count(local.name), "shards on %s: %v", local.name, before)
	require.Positive(t, before.count(remote.name), "shards on %s: %v", remote.name, before)
	degraded := metric(t, w.s, "jcs_engine_degraded_reads_total")
	require.NoError(t, os.RemoveAll(local.dir))
	remote.base.kill()
	w.waitHealth(map[int64]string{local.id: "down", remote.id: "down"})
	w.requireAdminStatus(map[int64]string{local.id: "down", remote.id: "down"})
	for _, sp := range []*healSpace{local, remote} {
		require.Equal(t, 2.0, metric(t, w.s, fmt.Sprintf(`jcs_space_health{space="%d"}`, sp.id)), "%s is down", sp.name)
	}
	w.readAll()
	if before.holdsData(local.name) || before.holdsData(remote.name) {
		require.Greater(t, metric(t, w.s, "jcs_engine_degraded_reads_total"), degraded,
			"a lost space held a data shard of an erasure-coded blob, so some read reconstructed it")
	}
	w.requireFsck(false, fsckWant{unreachable: before.count(local.name) + before.count(remote.name)})

	// The directory comes back empty: its shards are rebuilt in place, and only those of the S3
	// space, still down, are unreachable.
	require.NoError(t, os.Mkdir(local.dir, 0o755))
	w.waitHealth(map[int64]string{local.id: "ok", remote.id: "down"})
	w.adminRepair()
	w.requireFsck(true, fsckWant{unreachable: before.count(remote.name), unreachableOn: remote.id})
	require.Equal(t, before.of(local.name), w.layout(local).of(local.name), "the shards rebuilt in %s", local.dir)

	// The S3 server comes back empty, on the same address, with its bucket.
	remote.base = startBaseline(t, remote.base.addr)
	remote.base.createBucket(remote.bucket)
	w.waitHealth(map[int64]string{local.id: "ok", remote.id: "ok"})
	w.adminRepair()
	w.requireFsck(true, fsckWant{})
	require.Equal(t, before, w.layout(), "every shard is back where it was written")
	require.Equal(t, float64(before.count(local.name)+before.count(remote.name)),
		metric(t, w.s, "jcs_repair_shards_rebuilt_total"), "the shards of the two lost spaces were rebuilt, once")
	for _, sp := range w.spaces {
		require.Zero(t, metric(t, w.s, fmt.Sprintf(`jcs_space_health{space="%d"}`, sp.id)), "%s is healthy", sp.name)
	}
	degraded = metric(t, w.s, "jcs_engine_degraded_reads_total")
	w.readAll()
	require.Equal(t, degraded, metric(t, w.s, "jcs_engine_degraded_reads_total"),
		"with full redundancy restored no read is degraded")
	w.s.stop()
}

// healWalk is the state of TestSpacesSelfHeal.
type healWalk struct {
	t        *testing.T
	s        *server
	c        *client
	s3       *s3.Client // the server's S3 API, signing with the root key
	spaces   []*healSpace
	objs     []healObject
	uploaded []objectJSON     // the /v1 view of every object
	pkgIDs   map[string]int64 // package name -> ID
}

// healSpace is one of the six user spaces: a Local directory, or an S3 bucket.
type healSpace struct {
	id     int64
	name   string
	dir    string      // Local: the directory
	base   *s3Baseline // S3: the server of the bucket
	bucket string      // S3: the bucket
}

// healObject is an object of the walk, in bucket healBucket: its S3 key is pkg/path.
type healObject struct {
	object
	pkg string
}

func (o healObject) key() string { return o.pkg + "/" + o.path }

// healBucket is the bucket of every object of the walk, for /v1 and S3 alike.
const healBucket = "heal"

// newHealWalk starts two S3 baselines and the server without default spaces, and creates the
// six user spaces.
func newHealWalk(t *testing.T) *healWalk {
	t.Helper()
	var spaces []*healSpace
	root := t.TempDir()
	for i := range 4 {
		dir := filepath.Join(root, fmt.Sprintf("local%d", i+1))
		require.NoError(t, os.Mkdir(dir, 0o755))
		spaces = append(spaces, &healSpace{name: fmt.Sprintf("l%d", i+1), dir: dir})
	}
	for i := range 2 {
		b := startBaseline(t, "127.0.0.1:0")
		sp := &healSpace{name: fmt.Sprintf("s%d", i+1), base: b, bucket: fmt.Sprintf("bkt%d", i+1)}
		b.createBucket(sp.bucket)
		spaces = append(spaces, sp)
	}
	s := startServer(t, t.TempDir(), withArgs("--default-spaces", "0", "--probe-interval", "300ms",
		"--repair-after", "1h", "--repair-interval", "1h", "--scrub-interval", "-1s"))
	w := &healWalk{t: t, s: s, c: s.client(), spaces: spaces, pkgIDs: map[string]int64{}}
	w.s3 = newS3Client(s.s3URL(""), aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return *s.creds, nil
	}))
	for _, sp := range spaces {
		w.createSpace(sp)
	}
	return w
}

// createSpace creates a user space through /v1 and checks that get shows it with its secret
// redacted.
func (w *healWalk) createSpace(sp *healSpace) {
	t := w.t
	t.Helper()
	secret := "secret-of-" + sp.name
	body := map[string]any{"name": sp.name, "shardStore": map[string]any{"maxSize": 0}}
	storage := map[string]any{"type": "Local", "path": sp.dir}
	if sp.base != nil {
		storage = map[string]any{"type": "S3", "endpoint": "http://" + sp.base.addr, "region": "us-east-1",
			"bucket": sp.bucket, "pathStyle": true}
		body["credential"] = map[string]any{"type": "S3", "accessKeyId": "x", "secretAccessKey": secret}
		body["workingDir"] = "jcs"
	}
	body["storage"] = storage
	r, err := w.c.call(t.Context(), "POST", "/v1/userSpace/create", nil, body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, r.status, "userSpace/create %s: %s", sp.name, r.body)
	require.NotContains(t, string(r.body), secret, "userSpace/create answers with the secret")
	var d struct{ UserSpace userSpaceJSON }
	require.NoError(t, json.Unmarshal(r.env.Data, &d), "userSpace/create: %s", r.body)
	require.Positive(t, d.UserSpace.UserSpaceID, "userSpace/create: %s", r.body)
	sp.id = d.UserSpace.UserSpaceID

	r, err = w.c.call(t.Context(), "GET", "/v1/userSpace/get", url.Values{"userSpaceID": {itoa(sp.id)}}, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, r.status, "userSpace/get %s: %s", sp.name, r.body)
	require.NotContains(t, string(r.body), secret, "userSpace/get answers with the secret")
	d.UserSpace = userSpaceJSON{}
	require.NoError(t, json.Unmarshal(r.env.Data, &d), "userSpace/get: %s", r.body)
	got := d.UserSpace
	require.Equal(t, sp.id, got.UserSpaceID, "userSpace/get: %s", r.body)
	require.Equal(t, sp.name, got.Name, "userSpace/get: %s", r.body)
	require.Equal(t, storage["type"], got.Storage.Type, "userSpace/get: %s", r.body)
	if sp.base != nil {
		require.Equal(t, sp.bucket, got.Storage.Bucket, "userSpace/get: %s", r.body)
		require.Equal(t, "x", got.Credential.AccessKeyID, "userSpace/get: %s", r.body)
		require.NotEmpty(t, got.Credential.SecretAccessKey, "a set secret shows as redacted, not as unset: %s", r.body)
	} else {
		require.Equal(t, sp.dir, got.Storage.Path, "userSpace/get: %s", r.body)
	}
}

// userSpaceJSON is the part of the /v1 user space DTO the walk checks.
type userSpaceJSON struct {
	UserSpaceID int64 `json:"userSpaceID"`
	Name        string
	Storage     struct{ Type, Path, Endpoint, Bucket string }
	Credential  struct {
		AccessKeyID     string `json:"accessKeyId"`
		SecretAccessKey string `json:"secretAccessKey"`
	}
}

// upload stores the walk's objects: most through /v1 (tiny, replicated, erasure-coded over
// several stripes, empty), some through S3.
func (w *healWalk) upload() {
	t := w.t
	t.Helper()
	v1 := []healObject{
		{object{path: "tiny/1", size: 1, seed: 1101}, "v1"},
		{object{path: "tiny/5000", size: 5000, seed: 1102}, "v1"},
		{object{path: "rep/100k", size: 100 << 10, seed: 1103}, "v1"},
		{object{path: "rep/edge", size: smallObjectSize, seed: 1104}, "v1"},
		{object{path: "ec/2-stripes", size: stripeSize + 77, seed: 1105}, "v1"},
		{object{path: "ec/3-stripes", size: 2*stripeSize + 3, seed: 1106}, "v1"},
		{object{path: "empty", size: 0, seed: 1107}, "v1"},
	}
	viaS3 := []healObject{
		{object{path: "small.txt", size: 3000, seed: 1201}, "s3"},
		{object{path: "dir/ec.bin", size: stripeSize + chunkSize/2, seed: 1202}, "s3"},
		{object{path: "empty", size: 0, seed: 1203}, "s3"},
	}
	bucket := w.c.createBucket(t, healBucket)
	pkg := w.c.createPackage(t, bucket.BucketID, "v1").PackageID
	w.pkgIDs["v1"] = pkg
	for _, o := range v1 {
		w.uploaded = append(w.uploaded, w.c.upload(t, pkg, o.object)...)
	}
	for _, o := range viaS3 {
		_, err := w.s3.PutObject(t.Context(), &s3.PutObjectInput{
			Bucket: aws.String(healBucket), Key: aws.String(o.key()),
			Body: bytes.NewReader(o.bytesAt(0, o.size)), ContentLength: aws.Int64(o.size),
		})
		require.NoError(t, err, "S3 PutObject %s", o.key())
	}
	var d struct{ Package packageJSON }
	w.c.ok(t, "GET", "/v1/package/getByFullName", url.Values{"bucketName": {healBucket}, "packageName": {"s3"}}, nil, &d)
	w.pkgIDs["s3"] = d.Package.PackageID
	objs := w.c.packageObjects(t, d.Package.PackageID)
	require.Len(t, objs, len(viaS3), "objects uploaded through S3: %v", objs)
	w.uploaded = append(w.uploaded, objs...)
	w.objs = append(v1, viaS3...)
	waitPlaced(t, w.s) // what follows looks at the spaces
}

// readAll downloads every object through /v1 and through S3 and requires the bytes uploaded.
func (w *healWalk) readAll() {
	t := w.t
	t.Helper()
	for _, o := range w.objs {
		resp, err := w.c.get(t.Context(), "/v1/object/downloadByPath",
			url.Values{"packageID": {itoa(w.pkgIDs[o.pkg])}, "path": {o.path}}, nil)
		require.NoError(t, err, "/v1 download of %s", o.key())
		requireBody(t, resp.StatusCode == http.StatusOK, resp.Body, o.object, "/v1 download of %s: %s", o.key(), resp.Status)

		out, err := w.s3.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(healBucket), Key: aws.String(o.key())})
		require.NoError(t, err, "S3 GetObject %s", o.key())
		requireBody(t, true, out.Body, o.object, "S3 GetObject %s", o.key())
	}
}

// requireBody reads and closes body and requires ok and want's content.
func requireBody(t *testing.T, ok bool, body io.ReadCloser, want object, format string, args ...any) {
	t.Helper()
	defer body.Close()
	msg := fmt.Sprintf(format, args...)
	if !ok {
		b, _ := io.ReadAll(io.LimitReader(body, 1<<10))
		t.Fatalf("%s; body %q", msg, b)
	}
	h := sha256.New()
	n, err := io.Copy(h, body)
	require.NoError(t, err, msg)
	require.Equal(t, want.size, n, "length: %s", msg)
	require.Equal(t, want.sum(), [32]byte(h.Sum(nil)), "content differs: %s", msg)
}

// spaceStatusJSON is one space of the admin status report.
type spaceStatusJSON struct {
	UserSpaceID int64 `json:"userSpaceID"`
	Name        string
	Health      string
	LastError   string
}

// waitHealth polls the admin status until the spaces of want have the health it gives them
// and every other space is "ok".
func (w *healWalk) waitHealth(want map[int64]string) {
	t := w.t
	t.Helper()
	deadline := time.Now().Add(healTimeout)
	for {
		var st struct{ Spaces []spaceStatusJSON }
		raw := w.c.ok(t, "GET", "/admin/v1/status", nil, nil, &st)
		if healthIs(st.Spaces, want, len(w.spaces)) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v the spaces' health is not %v (others ok); status: %s\njcs stderr (last lines):\n%s",
				healTimeout, want, raw, w.s.stderr.tail(30))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func healthIs(spaces []spaceStatusJSON, want map[int64]string, n int) bool {
	if len(spaces) != n {
		return false
	}
	for _, sp := range spaces {
		h, ok := want[sp.UserSpaceID]
		if !ok {
			h = "ok"
		}
		if sp.Health != h {
			return false
		}
	}
	return true
}

// requireAdminStatus requires `jcs admin status` to report the health of want, the others ok.
func (w *healWalk) requireAdminStatus(want map[int64]string) {
	w.t.Helper()
	var st struct{ Spaces []spaceStatusJSON }
	out, code := runAdmin(w.t, w.s, &st, "status")
	require.Zero(w.t, code, "jcs admin status: %s", out)
	require.True(w.t, healthIs(st.Spaces, want, len(w.spaces)), "jcs admin status, want %v (others ok): %s", want, out)
}

// adminRepair runs `jcs admin repair`. The pass that a space coming back starts may have
// rebuilt everything already, so the report must only be free of failures.
func (w *healWalk) adminRepair() {
	w.t.Helper()
	var rep struct{ ShardsRebuilt, Unrepairable int64 }
	out, code := runAdmin(w.t, w.s, &rep, "repair")
	require.Zero(w.t, code, "jcs admin repair: %s", out)
	require.Zero(w.t, rep.Unrepairable, "jcs admin repair: %s", out)
}

// fsckWant is what a fsck must find beyond a clean report with no corrupt, unplaced or
// orphaned shard: exactly unreachable unreachable shards, on space unreachableOn if it is set.
type fsckWant struct {
	unreachable   int
	unreachableOn int64
}

// requireFsck runs `jcs admin fsck` (with --verify if verify is set) and checks its report.
func (w *healWalk) requireFsck(verify bool, want fsckWant) {
	t := w.t
	t.Helper()
	args := []string{"fsck"}
	if verify {
		args = append(args, "--verify")
	}
	var rep struct {
		Clean                                                           bool
		Blobs, Shards, Missing, Corrupt, Unreachable, Unplaced, Orphans int64
		BadRefs                                                         int64 `json:"badRefs"`
		Problems                                                        []struct {
			Kind        string
			UserSpaceID int64 `json:"userSpaceID"`
		}
	}
	out, code := runAdmin(t, w.s, &rep, args...)
	msg := fmt.Sprintf("jcs admin %s: exit %d\n%s", strings.Join(args, " "), code, out)
	require.True(t, rep.Clean, msg)
	require.Zero(t, code, msg)
	require.Equal(t, int64(shardsNeeded(w.uploaded)), rep.Shards, msg)
	require.Zero(t, rep.Missing+rep.Corrupt+rep.Unplaced+rep.Orphans+rep.BadRefs, msg)
	require.Equal(t, int64(want.unreachable), rep.Unreachable, msg)
	if want.unreachableOn != 0 {
		for _, p := range rep.Problems {
			require.Equal(t, want.unreachableOn, p.UserSpaceID, msg)
		}
	}
}

// runAdmin runs `jcs admin ARGS` against s, decodes its standard output as JSON into out, and
// returns the output (with standard error) and the exit code.
func runAdmin(t *testing.T, s *server, out any, args ...string) (string, int) {
	t.Helper()
	cmd := command(t, jcsBin, append([]string{"admin", "--api", s.url(""), "--data", s.dir}, args...)...)
	cmd.Env = cleanEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee) && ee.Exited():
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("jcs admin %s: %v; stderr: %s", strings.Join(args, " "), err, stderr.String())
	}
	text := stdout.String() + stderr.String()
	require.NoError(t, json.Unmarshal(stdout.Bytes(), out), "jcs admin %s: exit %d: %s\njcs stderr (last lines):\n%s",
		strings.Join(args, " "), code, text, s.stderr.tail(30))
	return text, code
}

// spaceLayout maps each blob to the spaces (by name) holding its shards, and their indexes.
type spaceLayout map[string]map[string]int

func (l spaceLayout) shards() int {
	n := 0
	for _, spaces := range l {
		n += len(spaces)
	}
	return n
}

// count is how many shards space holds.
func (l spaceLayout) count(space string) int { return len(l.of(space)) }

// of returns the shards space holds: blob -> index.
func (l spaceLayout) of(space string) map[string]int {
	out := map[string]int{}
	for blob, spaces := range l {
		if i, ok := spaces[space]; ok {
			out[blob] = i
		}
	}
	return out
}

// holdsData reports whether space holds a data shard of an erasure-coded blob, which a full
// read cannot do without.
func (l spaceLayout) holdsData(space string) bool {
	for _, spaces := range l {
		if i, ok := spaces[space]; ok && len(spaces) == totalShards && i < dataShards {
			return true
		}
	}
	return false
}

// layout lists the shard files of spaces, or of all six if none is given: the Local
// directories on disk, the S3 buckets under the working directory "jcs".
func (w *healWalk) layout(spaces ...*healSpace) spaceLayout {
	t := w.t
	t.Helper()
	l := spaceLayout{}
	add := func(space, name string) {
		m := shardPath.FindStringSubmatch(name)
		if m == nil || m[1] != m[2][:2] {
			return // a probe's object, or a temporary file
		}
		if l[m[2]] == nil {
			l[m[2]] = map[string]int{}
		}
		_, dup := l[m[2]][space]
		require.False(t, dup, "space %s holds two shards of blob %s", space, m[2])
		i, err := strconv.Atoi(m[3])
		require.NoError(t, err)
		l[m[2]][space] = i
	}
	if len(spaces) == 0 {
		spaces = w.spaces
	}
	for _, sp := range spaces {
		if sp.base != nil {
			for _, key := range sp.base.keys(sp.bucket, "jcs/") {
				add(sp.name, strings.TrimPrefix(key, "jcs/"))
			}
			continue
		}
		infos, err := localdir.Snapshot(t.Context(), sp.dir)
		require.NoError(t, err)
		for _, info := range infos {
			add(sp.name, info.Name)
		}
	}
	return l
}

// s3Baseline is one run of `jcs bench baseline-s3mem`: an S3 server that keeps its objects in
// memory and takes any signature.
type s3Baseline struct {
	t      *testing.T
	addr   string // host:port
	cmd    *exec.Cmd
	stderr *logBuffer
	done   chan struct{} // closed when the process has exited
	client *s3.Client
}

var baselineLine = regexp.MustCompile(`jcs: serving the s3mem baseline on http://(\S+)\n`)

// startBaseline starts a baseline on addr ("127.0.0.1:0" for any port) and returns once it
// listens. A fixed address that is still taken is tried again for a few seconds.
func startBaseline(t *testing.T, addr string) *s3Baseline {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := launchBaseline(t, addr)
		if err == nil {
			return b
		}
		if time.Now().After(deadline) {
			t.Fatalf("starting the s3mem baseline on %s: %v; stderr:\n%s", addr, err, b.stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func launchBaseline(t *testing.T, addr string) (*s3Baseline, error) {
	t.Helper()
	b := &s3Baseline{
		t:      t,
		cmd:    exec.Command(jcsBin, "bench", baselineName, "--addr", addr),
		stderr: newLogBuffer(),
		done:   make(chan struct{}),
	}
	stdout := newLogBuffer()
	b.cmd.Env = cleanEnv()
	b.cmd.Stdout, b.cmd.Stderr = stdout, b.stderr
	require.NoError(t, b.cmd.Start())
	go func() {
		b.cmd.Wait()
		close(b.done)
	}()
	m, err := stdout.waitFor(baselineLine, b.done, startTimeout)
	if err != nil {
		b.stop()
		return b, err
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("s3mem baseline %s stderr (last lines):\n%s", b.addr, b.stderr.tail(20))
		}
		b.stop()
	})
	b.addr = m[1]
	b.client = newS3Client("http://"+b.addr, aws.AnonymousCredentials{})
	return b, nil
}

// baselineName is the `jcs bench` subcommand of the baseline.
const baselineName = "baseline-s3mem"

// stop ends the baseline with SIGTERM, or SIGKILL if it lingers.
func (b *s3Baseline) stop() {
	b.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-b.done:
	case <-time.After(10 * time.Second):
		b.cmd.Process.Kill()
		<-b.done
	}
}

// kill kills the baseline, losing every object it held, and waits for it to be gone.
func (b *s3Baseline) kill() {
	b.t.Helper()
	require.NoError(b.t, b.cmd.Process.Kill())
	select {
	case <-b.done:
	case <-time.After(stopTimeout):
		b.t.Fatalf("the s3mem baseline on %s did not exit after SIGKILL", b.addr)
	}
}

func (b *s3Baseline) createBucket(name string) {
	b.t.Helper()
	_, err := b.client.CreateBucket(b.t.Context(), &s3.CreateBucketInput{Bucket: aws.String(name)})
	require.NoError(b.t, err, "creating bucket %s on the s3mem baseline %s", name, b.addr)
}

// keys lists the keys of bucket under prefix.
func (b *s3Baseline) keys(bucket, prefix string) []string {
	b.t.Helper()
	var keys []string
	p := s3.NewListObjectsV2Paginator(b.client, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(b.t.Context())
		require.NoError(b.t, err, "listing bucket %s of the s3mem baseline %s", bucket, b.addr)
		for _, o := range page.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys
}

// newS3Client returns an aws-sdk-go-v2 client of the S3 endpoint, path-style, that does not
// retry, so that every error reaches the test.
func newS3Client(endpoint string, creds aws.CredentialsProvider) *s3.Client {
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		Credentials:  creds,
		HTTPClient:   &http.Client{Transport: &http.Transport{}, Timeout: 2 * time.Minute},
		Retryer:      aws.NopRetryer{},
	})
}
