package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/require"
)

// awsCLI runs the real aws cli (v1, from the Python on PATH) against a server's S3 API, with
// an environment of its own: no config or credentials of the machine's user leak in.
type awsCLI struct {
	bin      string
	endpoint string
	caFile   string // --ca-bundle, with TLS
	env      []string
}

// newAWSCLI finds the aws cli and points it at s's S3 listener with creds. A missing aws cli
// fails the test: the machines have it, and a silent skip would hide that the walk with the
// real client did not run.
func newAWSCLI(t *testing.T, s *server, creds aws.Credentials) *awsCLI {
	t.Helper()
	bin, err := awsBin()
	if err != nil {
		t.Fatalf("the aws cli is not installed (%v): install it for the Python on PATH (pip install awscli); "+
			"the end-to-end walk with the real aws cli cannot run without it", err)
	}
	return &awsCLI{bin: bin, endpoint: s.s3URL(""), caFile: s.caFile, env: awsEnv(t, creds)}
}

// awsBin finds the aws cli on PATH, once. A pyenv shim is resolved to the script it runs
// (`pyenv which aws`): the shim costs a bash and a `pyenv exec` on each of the suite's ~80
// runs, about a sixth of their CPU.
var awsBin = sync.OnceValues(func() (string, error) {
	bin, err := exec.LookPath("aws")
	if err != nil || filepath.Base(filepath.Dir(bin)) != "shims" {
		return bin, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "pyenv", "which", "aws").Output()
	if p := strings.TrimSpace(string(out)); err == nil && filepath.IsAbs(p) {
		return p, nil
	}
	return bin, nil
})

// awsEnv is the environment of the aws cli and of boto3: the test's, less every AWS_ variable,
// plus a config file and an empty credentials file of the test's own, the given key, region
// us-east-1, and one attempt per request, so that a server error shows instead of being
// retried away.
func awsEnv(t *testing.T, creds aws.Credentials) []string {
	t.Helper()
	dir := t.TempDir()
	// The transfer settings are the cli's defaults, spelled out because the walk depends on
	// them: a 20 MiB file goes up in three parts and comes down in three ranged GETs.
	config := "[default]\nregion = us-east-1\ns3 =\n    multipart_threshold = 8MB\n    multipart_chunksize = 8MB\n"
	cfgFile, credFile := filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
	require.NoError(t, os.WriteFile(cfgFile, []byte(config), 0o600))
	require.NoError(t, os.WriteFile(credFile, nil, 0o600))
	var env []string
	for _, kv := range cleanEnv() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	return append(env,
		"AWS_CONFIG_FILE="+cfgFile,
		"AWS_SHARED_CREDENTIALS_FILE="+credFile,
		"AWS_ACCESS_KEY_ID="+creds.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY="+creds.SecretAccessKey,
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_MAX_ATTEMPTS=1",
		"AWS_RETRY_MODE=standard",
	)
}

// cliResult is what one run of the aws cli did.
type cliResult struct {
	args           []string
	stdout, stderr string
	code           int
}

func (r cliResult) String() string {
	return fmt.Sprintf("aws %s: exit %d\nstdout: %.2000s\nstderr: %.2000s", strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
}

// run runs the aws cli with the endpoint, the CA bundle and args, and returns what it did,
// whatever its exit code.
func (a *awsCLI) run(t *testing.T, args ...string) cliResult {
	t.Helper()
	full := []string{"--endpoint-url", a.endpoint}
	if a.caFile != "" {
		full = append(full, "--ca-bundle", a.caFile)
	}
	full = append(full, args...)
	cmd := command(t, a.bin, full...)
	cmd.Env = a.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := cliResult{args: args, stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee) && ee.Exited():
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("aws %s: %v (a hung cli is killed after %v)\nstderr: %s", strings.Join(args, " "), err, commandTimeout, stderr.String())
	}
	return r
}

// ok runs the aws cli, requires exit code 0 and returns its standard output.
func (a *awsCLI) ok(t *testing.T, args ...string) string {
	t.Helper()
	r := a.run(t, args...)
	require.Zero(t, r.code, "%s", r)
	return r.stdout
}

// fails runs the aws cli and requires it to fail, with wantErr in its standard error.
func (a *awsCLI) fails(t *testing.T, wantErr string, args ...string) cliResult {
	t.Helper()
	r := a.run(t, args...)
	require.NotZero(t, r.code, "the command should have failed: %s", r)
	require.Contains(t, r.stderr, wantErr, "%s", r)
	return r
}

// json runs the aws cli with JSON output and decodes it into out.
func (a *awsCLI) json(t *testing.T, out any, args ...string) {
	t.Helper()
	stdout := a.ok(t, append(args, "--output", "json")...)
	require.NoError(t, json.Unmarshal([]byte(stdout), out), "aws %s: stdout %.2000s", strings.Join(args, " "), stdout)
}

// lsLine is one line of `aws s3 ls`: "2024-01-02 03:04:05       1234 key with spaces".
var lsLine = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +(\d+) (.+)$`)

// parseLs parses the output of `aws s3 ls` into the objects it lists (key → size; keys are
// relative to the listed prefix unless --recursive) and the prefixes it shows as PRE.
func parseLs(t *testing.T, out string) (objects map[string]int64, prefixes []string) {
	t.Helper()
	objects = map[string]int64{}
	for line := range strings.Lines(out) {
		line = strings.TrimRight(line, "\n")
		if p, ok := strings.CutPrefix(strings.TrimSpace(line), "PRE "); ok {
			prefixes = append(prefixes, p)
			continue
		}
		m := lsLine.FindStringSubmatch(line)
		require.NotNil(t, m, "unexpected line of aws s3 ls: %q in\n%s", line, out)
		n, err := strconv.ParseInt(m[1], 10, 64)
		require.NoError(t, err)
		objects[m[2]] = n
	}
	return objects, prefixes
}

// startS3Server starts a server for an S3 walk, over HTTPS with a self-signed certificate if
// tls is set.
func startS3Server(t *testing.T, tls bool) *server {
	t.Helper()
	var opts []serverOption
	if tls {
		opts = append(opts, withTLS(t))
	}
	return startServer(t, t.TempDir(), opts...)
}

// TestS3CLI walks the S3 API with the real aws cli, over HTTP and over HTTPS with a
// self-signed certificate that the cli trusts through --ca-bundle: the high-level `aws s3`
// commands, which users type, over both; the `aws s3api` operations behind them over HTTPS,
// where botocore sends checksums as aws-chunked trailers. Each walk has a server of its own,
// as the s3 walk counts requests in the server's log.
func TestS3CLI(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		tls  bool
		walk func(*testing.T, *server, *awsCLI)
	}{
		{"s3/HTTP", false, walkS3Commands},
		{"s3/HTTPS", true, walkS3Commands},
		{"s3api/HTTPS", true, walkS3API},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := startS3Server(t, tc.tls)
			tc.walk(t, s, newAWSCLI(t, s, *s.creds))
		})
	}
}

// walkS3Commands walks `aws s3`: mb, cp both ways, ls, sync both ways, presign, rm and rb.
func walkS3Commands(t *testing.T, s *server, cli *awsCLI) {
	const bkt = "cli-walk"
	src, dst := t.TempDir(), t.TempDir()
	small := object{path: "pkg/small.txt", size: 1000, seed: 101}
	empty := object{path: "pkg/empty", size: 0, seed: 102}
	// 20 MiB: over the 8 MiB multipart threshold, so three parts up and three ranged GETs down.
	big := object{path: "pkg/big.bin", size: 20 << 20, seed: 103}
	top := object{path: "top.txt", size: 10, seed: 104} // a key without a package

	require.Contains(t, cli.ok(t, "s3", "mb", "s3://"+bkt), "make_bucket: "+bkt)
	for _, o := range []object{small, empty, big, top} {
		cli.ok(t, "s3", "cp", "--only-show-errors", writeObject(t, src, o), "s3://"+bkt+"/"+o.path)
	}
	waitLogCount(t, s, `op=UploadPart method=PUT status=200`, 3)
	for _, o := range []object{small, empty, big} {
		f := filepath.Join(dst, filepath.Base(o.path))
		cli.ok(t, "s3", "cp", "--only-show-errors", "s3://"+bkt+"/"+o.path, f)
		requireFile(t, f, o)
	}
	waitLogCount(t, s, rangedGet8MiB, 3)

	objs, prefixes := parseLs(t, cli.ok(t, "s3", "ls", "s3://"+bkt))
	require.Equal(t, []string{"pkg/"}, prefixes, "a package shows as a prefix at the bucket's root")
	require.Equal(t, map[string]int64{"top.txt": top.size}, objs)
	objs, prefixes = parseLs(t, cli.ok(t, "s3", "ls", "--recursive", "s3://"+bkt))
	require.Empty(t, prefixes)
	require.Equal(t, map[string]int64{small.path: small.size, empty.path: empty.size, big.path: big.size, top.path: top.size}, objs)

	walkSync(t, cli, "s3://"+bkt+"/tree")

	// The cli presigns with SigV2, whose signature covers the key as encoded in the path.
	u := strings.TrimSpace(cli.ok(t, "s3", "presign", "s3://"+bkt+"/tree/"+specialName, "--expires-in", "300"))
	require.True(t, strings.HasPrefix(u, s.s3URL("/"+bkt+"/tree/")), "presigned URL %q", u)
	requireURLContent(t, s, u, syncTree[specialName])

	cli.ok(t, "s3", "rm", "--only-show-errors", "s3://"+bkt+"/"+top.path)
	cli.ok(t, "s3", "rm", "--only-show-errors", "--recursive", "s3://"+bkt+"/pkg/")
	objs, _ = parseLs(t, cli.ok(t, "s3", "ls", "--recursive", "s3://"+bkt))
	want := map[string]int64{}
	for name, o := range syncTree {
		want["tree/"+name] = o.size
	}
	require.Equal(t, want, objs, "only the synced tree is left")

	cli.fails(t, "BucketNotEmpty", "s3", "rb", "s3://"+bkt)
	require.Contains(t, cli.ok(t, "s3", "rb", "--force", "s3://"+bkt), "remove_bucket: "+bkt)
	require.NotRegexp(t, `(?m) `+bkt+`$`, cli.ok(t, "s3", "ls"))
}

// rangedGet8MiB matches the log lines of the ranged GETs of a download in 8 MiB chunks.
const rangedGet8MiB = `op=GetObject method=GET status=206 bytesOut=(8388608|4194304) `

// waitLogCount waits until the server has logged at least n lines matching re: the request
// log says how a client talked to the server (parts, ranges), which its answers cannot.
func waitLogCount(t *testing.T, s *server, re string, n int) {
	t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := len(rx.FindAllString(s.stderr.String(), -1))
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server logged %d lines matching %q, want at least %d", got, re, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// requireURLContent fetches a URL with Go's client, trusting the server's certificate, and
// requires want's content.
func requireURLContent(t *testing.T, s *server, u string, want object) {
	t.Helper()
	resp, err := s.httpClient().Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "GET %s: %.500s", u, b)
	requireBytes(t, want.bytesAt(0, want.size), b, "GET %s", u)
}

// syncTree is the tree walkSync syncs: a nested path, and names with spaces and characters
// that URLs and signatures encode.
var syncTree = map[string]object{
	"top.txt":             {size: 100, seed: 111},
	"nested/deeper/a.bin": {size: 300 << 10, seed: 112}, // over the small-object size: erasure coded
	specialName:           {size: 50, seed: 113},
}

const specialName = "with space/a+b%20c ü~'()=.txt"

// walkSync syncs syncTree up to prefix and back down, and requires a second sync each way to
// find nothing to do.
func walkSync(t *testing.T, cli *awsCLI, prefix string) {
	t.Helper()
	up := t.TempDir()
	for name, o := range syncTree {
		p := filepath.Join(up, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, o.bytesAt(0, o.size), 0o644))
	}
	cli.ok(t, "s3", "sync", "--only-show-errors", up, prefix)
	require.Empty(t, cli.ok(t, "s3", "sync", "--no-progress", up, prefix), "a second sync up has nothing to do")

	down := t.TempDir()
	cli.ok(t, "s3", "sync", "--only-show-errors", prefix, down)
	got := map[string][]byte{}
	require.NoError(t, filepath.WalkDir(down, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(down, p)
		if err != nil {
			return err
		}
		got[filepath.ToSlash(rel)], err = os.ReadFile(p)
		return err
	}))
	require.Len(t, got, len(syncTree), "files synced down: %v", slices.Sorted(maps.Keys(got)))
	for name, o := range syncTree {
		requireBytes(t, o.bytesAt(0, o.size), got[name], "synced down %q", name)
	}
	require.Empty(t, cli.ok(t, "s3", "sync", "--no-progress", prefix, down), "a second sync down has nothing to do")
}

// walkS3API walks `aws s3api`: copy-object with new metadata, tagging, a ranged get-object, a
// multipart upload step by step and an aborted one, paginated listing, and a missing key.
func walkS3API(t *testing.T, _ *server, cli *awsCLI) {
	const bkt = "cli-api"
	dir := t.TempDir()
	src := object{path: "pkg/src.txt", size: 100, seed: 201}
	cli.ok(t, "s3api", "create-bucket", "--bucket", bkt)
	var put struct{ ETag string }
	cli.json(t, &put, "s3api", "put-object", "--bucket", bkt, "--key", src.path, "--body", writeObject(t, dir, src))
	require.NotEmpty(t, put.ETag)

	var cp struct{ CopyObjectResult struct{ ETag string } }
	cli.json(t, &cp, "s3api", "copy-object", "--bucket", bkt, "--key", "pkg/copy.txt", "--copy-source", bkt+"/"+src.path,
		"--metadata-directive", "REPLACE", "--metadata", "k=v")
	require.Equal(t, put.ETag, cp.CopyObjectResult.ETag, "a copy has its source's ETag")
	var head struct {
		ContentLength int64
		ETag          string
		Metadata      map[string]string
	}
	cli.json(t, &head, "s3api", "head-object", "--bucket", bkt, "--key", "pkg/copy.txt")
	require.Equal(t, src.size, head.ContentLength)
	require.Equal(t, put.ETag, head.ETag)
	require.Equal(t, map[string]string{"k": "v"}, head.Metadata)

	walkTagging(t, cli, bkt, "pkg/copy.txt")

	var ranged struct {
		ContentLength int64
		ContentRange  string
	}
	out := filepath.Join(dir, "ranged")
	cli.json(t, &ranged, "s3api", "get-object", "--bucket", bkt, "--key", src.path, "--range", "bytes=5-10", out)
	require.Equal(t, int64(6), ranged.ContentLength)
	require.Equal(t, fmt.Sprintf("bytes 5-10/%d", src.size), ranged.ContentRange)
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	requireBytes(t, src.bytesAt(5, 6), b, "get-object --range bytes=5-10")

	walkMultipartCLI(t, cli, bkt, dir)

	// Three keys, listed one per request (--page-size 1), two per page of the cli (--max-items 2).
	var keys []string
	token := ""
	for page := 0; ; page++ {
		require.Less(t, page, 10, "list-objects-v2 does not end")
		args := []string{"s3api", "list-objects-v2", "--bucket", bkt, "--max-items", "2", "--page-size", "1"}
		if token != "" {
			args = append(args, "--starting-token", token)
		}
		var l struct {
			Contents  []struct{ Key string }
			NextToken string
		}
		cli.json(t, &l, args...)
		require.LessOrEqual(t, len(l.Contents), 2)
		for _, c := range l.Contents {
			keys = append(keys, c.Key)
		}
		if token = l.NextToken; token == "" {
			break
		}
	}
	require.Equal(t, []string{"pkg/copy.txt", "pkg/mp.bin", src.path}, keys)

	r := cli.fails(t, "404", "s3api", "head-object", "--bucket", bkt, "--key", "pkg/missing")
	require.Equal(t, 255, r.code, "%s", r)
}

// walkTagging puts, gets and deletes an object's tags.
func walkTagging(t *testing.T, cli *awsCLI, bkt, key string) {
	t.Helper()
	type tagSet struct {
		TagSet []struct{ Key, Value string }
	}
	cli.ok(t, "s3api", "put-object-tagging", "--bucket", bkt, "--key", key,
		"--tagging", `{"TagSet":[{"Key":"b","Value":"two words"},{"Key":"a","Value":"1"}]}`)
	var got tagSet
	cli.json(t, &got, "s3api", "get-object-tagging", "--bucket", bkt, "--key", key)
	require.Equal(t, []struct{ Key, Value string }{{"a", "1"}, {"b", "two words"}}, got.TagSet)
	cli.ok(t, "s3api", "delete-object-tagging", "--bucket", bkt, "--key", key)
	got = tagSet{}
	cli.json(t, &got, "s3api", "get-object-tagging", "--bucket", bkt, "--key", key)
	require.Empty(t, got.TagSet)
}

// walkMultipartCLI runs a multipart upload operation by operation (two parts, the first of the
// 5 MiB minimum), reads the object back, and aborts a second upload.
func walkMultipartCLI(t *testing.T, cli *awsCLI, bkt, dir string) {
	t.Helper()
	const key = "pkg/mp.bin"
	parts := []object{{size: 5 << 20, seed: 211}, {size: 1<<20 + 7, seed: 212}}
	var up struct {
		UploadID string `json:"UploadId"`
	}
	cli.json(t, &up, "s3api", "create-multipart-upload", "--bucket", bkt, "--key", key)
	require.NotEmpty(t, up.UploadID)
	type part struct {
		PartNumber int
		ETag       string
		Size       int64 `json:",omitempty"`
	}
	var sent []part
	for i, p := range parts {
		var res struct{ ETag string }
		cli.json(t, &res, "s3api", "upload-part", "--bucket", bkt, "--key", key, "--upload-id", up.UploadID,
			"--part-number", strconv.Itoa(i+1), "--body", writeObject(t, dir, p))
		require.NotEmpty(t, res.ETag)
		sent = append(sent, part{PartNumber: i + 1, ETag: res.ETag, Size: p.size})
	}
	var listed struct{ Parts []part }
	cli.json(t, &listed, "s3api", "list-parts", "--bucket", bkt, "--key", key, "--upload-id", up.UploadID)
	require.Equal(t, sent, listed.Parts)

	var complete struct{ Parts []part }
	for _, p := range sent {
		complete.Parts = append(complete.Parts, part{PartNumber: p.PartNumber, ETag: p.ETag})
	}
	doc, err := json.Marshal(complete)
	require.NoError(t, err)
	var done struct{ Key, ETag string }
	cli.json(t, &done, "s3api", "complete-multipart-upload", "--bucket", bkt, "--key", key, "--upload-id", up.UploadID,
		"--multipart-upload", string(doc))
	require.Equal(t, key, done.Key)
	require.Regexp(t, `^"[0-9a-f]{32}-2"$`, done.ETag)

	out := filepath.Join(dir, "mp.out")
	var got struct{ ContentLength int64 }
	cli.json(t, &got, "s3api", "get-object", "--bucket", bkt, "--key", key, out)
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	requireBytes(t, append(parts[0].bytesAt(0, parts[0].size), parts[1].bytesAt(0, parts[1].size)...), b, "completed upload")

	var aborted struct {
		UploadID string `json:"UploadId"`
	}
	cli.json(t, &aborted, "s3api", "create-multipart-upload", "--bucket", bkt, "--key", "pkg/aborted.bin")
	cli.ok(t, "s3api", "abort-multipart-upload", "--bucket", bkt, "--key", "pkg/aborted.bin", "--upload-id", aborted.UploadID)
	cli.fails(t, "NoSuchUpload", "s3api", "list-parts", "--bucket", bkt, "--key", "pkg/aborted.bin", "--upload-id", aborted.UploadID)
}

// TestS3CLIUsers runs the aws cli with the keys of a user made by `jcs admin`: the user can
// make and use a bucket of their own, sees only theirs, and is refused root's; once `jcs admin`
// deletes the key, it no longer signs anything.
func TestS3CLIUsers(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir())
	root := newAWSCLI(t, s, *s.creds)
	dir := t.TempDir()
	rootObj := object{path: "pkg/secret.bin", size: 64, seed: 301}
	root.ok(t, "s3", "mb", "s3://root-bkt")
	root.ok(t, "s3", "cp", "--only-show-errors", writeObject(t, dir, rootObj), "s3://root-bkt/"+rootObj.path)

	require.Contains(t, jcsAdmin(t, s, "user", "create", "alice"), "created user alice")
	keys := jcsAdmin(t, s, "key", "create", "alice")
	m := regexp.MustCompile(`(?m)^AWS_ACCESS_KEY_ID=(\S+)\nAWS_SECRET_ACCESS_KEY=(\S+)$`).FindStringSubmatch(keys)
	require.NotNil(t, m, "jcs admin key create printed %q", keys)
	alice := newAWSCLI(t, s, aws.Credentials{AccessKeyID: m[1], SecretAccessKey: m[2]})

	obj := object{path: "docs/a.txt", size: 2000, seed: 302}
	alice.ok(t, "s3", "mb", "s3://alice-bkt")
	alice.ok(t, "s3", "cp", "--only-show-errors", writeObject(t, dir, obj), "s3://alice-bkt/"+obj.path)
	f := filepath.Join(dir, "alice.out")
	alice.ok(t, "s3", "cp", "--only-show-errors", "s3://alice-bkt/"+obj.path, f)
	requireFile(t, f, obj)
	objs, _ := parseLs(t, alice.ok(t, "s3", "ls", "--recursive", "s3://alice-bkt"))
	require.Equal(t, map[string]int64{obj.path: obj.size}, objs)

	buckets := alice.ok(t, "s3", "ls")
	require.Contains(t, buckets, "alice-bkt")
	require.NotContains(t, buckets, "root-bkt", "alice sees only her buckets")
	alice.fails(t, "AccessDenied", "s3", "ls", "s3://root-bkt")
	alice.fails(t, "AccessDenied", "s3api", "get-object", "--bucket", "root-bkt", "--key", rootObj.path, filepath.Join(dir, "stolen"))
	alice.fails(t, "AccessDenied", "s3api", "put-object", "--bucket", "root-bkt", "--key", "pkg/planted", "--body", f)
	alice.fails(t, "BucketAlreadyExists", "s3", "mb", "s3://root-bkt")

	all := root.ok(t, "s3", "ls")
	require.Contains(t, all, "alice-bkt", "root sees every bucket")
	require.Contains(t, all, "root-bkt")

	jcsAdmin(t, s, "key", "delete", m[1])
	alice.fails(t, "InvalidAccessKeyId", "s3", "ls")
}

// jcsAdmin runs `jcs admin` against s with the root key in its data directory and returns its
// standard output.
func jcsAdmin(t *testing.T, s *server, args ...string) string {
	t.Helper()
	cmd := command(t, jcsBin, append([]string{"admin", "--api", s.url(""), "--data", s.dir}, args...)...)
	cmd.Env = cleanEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "jcs admin %s: %s", strings.Join(args, " "), stderr.String())
	return string(out)
}

// TestS3CrossFrontEnd requires the two front ends to see one store: an object the aws cli
// uploads as "pkg/path" is the /v1 object path of package pkg, and an object uploaded through
// /v1 is listed and downloaded by the aws cli as "pkg/path".
func TestS3CrossFrontEnd(t *testing.T) {
	t.Parallel()
	s := startServer(t, t.TempDir())
	cli := newAWSCLI(t, s, *s.creds)
	c := s.client()
	dir := t.TempDir()

	fromCLI := object{path: "docs/from cli.bin", size: 300 << 10, seed: 401}
	cli.ok(t, "s3", "mb", "s3://cross")
	cli.ok(t, "s3", "cp", "--only-show-errors", writeObject(t, dir, fromCLI), "s3://cross/cli-pkg/"+fromCLI.path)
	var pkg struct{ Package packageJSON }
	c.ok(t, "GET", "/v1/package/getByFullName", url.Values{"bucketName": {"cross"}, "packageName": {"cli-pkg"}}, nil, &pkg)
	got, _ := c.fetch(t, "/v1/object/downloadByPath",
		url.Values{"packageID": {itoa(pkg.Package.PackageID)}, "path": {fromCLI.path}}, nil, http.StatusOK)
	requireBytes(t, fromCLI.bytesAt(0, fromCLI.size), got, "/v1 download of an object the aws cli uploaded")

	fromV1 := object{path: "dir/from v1.txt", size: 5000, seed: 402}
	c.upload(t, c.createPackage(t, c.createBucket(t, "v1-bkt").BucketID, "v1-pkg").PackageID, fromV1)
	require.Contains(t, cli.ok(t, "s3", "ls"), "v1-bkt", "a bucket made through /v1 is an S3 bucket")
	objs, _ := parseLs(t, cli.ok(t, "s3", "ls", "--recursive", "s3://v1-bkt"))
	require.Equal(t, map[string]int64{"v1-pkg/" + fromV1.path: fromV1.size}, objs)
	f := filepath.Join(dir, "from-v1")
	cli.ok(t, "s3", "cp", "--only-show-errors", "s3://v1-bkt/v1-pkg/"+fromV1.path, f)
	requireFile(t, f, fromV1)
}
