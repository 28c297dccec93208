package e2e

import (
	"crypto/sha256"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/require"
)

// TestRestartReuse restarts the server on its data directory: the root credentials generated
// on the first start are kept (and not printed again), the default spaces are the same, and
// every object reads back. JCS_ACCESS_KEY/JCS_SECRET_KEY replace the saved key, --no-auth
// serves unsigned requests, and without it unsigned requests get a 401 JSON error.
func TestRestartReuse(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir)
	creds := *s.creds
	out := s.stdout.String()
	require.Contains(t, out, "generated root credentials")
	require.Contains(t, out, "JCS_ACCESS_KEY="+creds.AccessKeyID, "the generated key is printed once")
	require.Contains(t, out, "JCS_SECRET_KEY="+creds.SecretAccessKey, "the generated secret is printed once")
	require.NotContains(t, s.stderr.String(), creds.SecretAccessKey, "the log never holds the secret")
	fi, err := os.Stat(filepath.Join(dir, "credentials.json"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "credentials.json must be private")
	wantSpaces := []string{"space1", "space2", "space3", "space4", "space5", "space6"}
	require.Equal(t, wantSpaces, spaceDirs(t, dir))
	spacesUp := metrics(t, s, "jcs_space_up")
	require.Len(t, spacesUp, 6, "six default spaces: %v", spacesUp)
	for k, v := range spacesUp {
		require.Equal(t, 1.0, v, "%s", k)
	}

	c := s.client()
	pkg := c.newPackage(t, "reuse")
	objs := []object{
		{path: "r/small", size: 777, seed: 801},
		{path: "r/ec", size: 6<<20 + 1, seed: 802},
		{path: "r/empty", size: 0, seed: 803},
	}
	up := c.upload(t, pkg, objs...)
	// An unfinished multipart upload: one part before the restart, one after.
	var mp struct{ Object objectJSON }
	c.ok(t, "POST", "/v1/object/newMultipartUpload", nil, map[string]any{"packageID": pkg, "path": "r/multi"}, &mp)
	part1 := object{size: 3<<20 + 5, seed: 811}
	uploadPart(t, c, mp.Object.ObjectID, 1, part1)
	readAll := func(t *testing.T, c *client) {
		t.Helper()
		got := c.packageObjects(t, pkg)
		got = slices.DeleteFunc(got, func(o objectJSON) bool { return o.Path == "r/multi" })
		requireSameObjects(t, byPath(up), got)
		for i, o := range objs {
			c.requireContent(t, up[i].ObjectID, o)
		}
	}
	s.stop()

	t.Run("second start", func(t *testing.T) {
		s := startServer(t, dir)
		require.NotContains(t, s.stdout.String(), "generated", "credentials are generated only on the first start")
		require.NotContains(t, s.stdout.String()+s.stderr.String(), creds.SecretAccessKey, "the secret is shown only once")
		require.Equal(t, creds, *s.creds, "the saved credentials are reused")
		require.Equal(t, wantSpaces, spaceDirs(t, dir), "the same spaces, none added")
		got := metrics(t, s, "jcs_space_up")
		require.Equal(t, spacesUp, got, "the same user spaces")
		readAll(t, s.client())

		// The multipart upload survived: add a part, complete, read the joined bytes.
		c := s.client()
		part2 := object{size: 1000, seed: 812}
		uploadPart(t, c, mp.Object.ObjectID, 2, part2)
		var done struct{ Object objectJSON }
		c.ok(t, "POST", "/v1/object/completeMultipartUpload", nil, map[string]any{"objectID": mp.Object.ObjectID, "indexes": []int{2, 1}}, &done)
		require.Equal(t, itoa(part1.size+part2.size), done.Object.Size)
		got2, _ := c.fetch(t, "/v1/object/download", url.Values{"objectID": {itoa(mp.Object.ObjectID)}}, nil, http.StatusOK)
		requireBytes(t, append(part2.bytesAt(0, part2.size), part1.bytesAt(0, part1.size)...), got2, "multipart across a restart")

		r, err := newClient(s.url(""), nil).call(t.Context(), "GET", "/v1/bucket/listAll", nil, nil)
		require.NoError(t, err)
		requireError(t, r, http.StatusUnauthorized, "Unauthorized")
		r, err = newClient(s.url(""), &aws.Credentials{AccessKeyID: creds.AccessKeyID, SecretAccessKey: "wrong"}).
			call(t.Context(), "GET", "/v1/bucket/listAll", nil, nil)
		require.NoError(t, err)
		requireError(t, r, http.StatusForbidden, "Unauthorized")
		r, err = newClient(s.url(""), &aws.Credentials{AccessKeyID: "AKIDUNKNOWN", SecretAccessKey: "x"}).
			call(t.Context(), "GET", "/v1/bucket/listAll", nil, nil)
		require.NoError(t, err)
		requireError(t, r, http.StatusUnauthorized, "Unauthorized")
		s.stop()
	})

	t.Run("environment credentials", func(t *testing.T) {
		env := aws.Credentials{AccessKeyID: "AKIDE2EOVERRIDE", SecretAccessKey: "e2e-override-secret-0123456789abcdef"}
		s := startServer(t, dir, withEnv("JCS_ACCESS_KEY="+env.AccessKeyID, "JCS_SECRET_KEY="+env.SecretAccessKey))
		require.Equal(t, env, *s.creds)
		require.NotContains(t, s.stdout.String()+s.stderr.String(), env.SecretAccessKey)
		readAll(t, s.client())
		r, err := newClient(s.url(""), &creds).call(t.Context(), "GET", "/v1/bucket/listAll", nil, nil)
		require.NoError(t, err)
		requireError(t, r, http.StatusUnauthorized, "Unauthorized")
		require.Equal(t, creds, readCredentialsFile(t, dir), "the environment does not overwrite the saved key")
		s.stop()
	})

	t.Run("half the environment", func(t *testing.T) {
		cmd := command(t, jcsBin, "serve", "--data", dir, "--api-addr", "127.0.0.1:0")
		cmd.Env = append(cleanEnv(), "JCS_ACCESS_KEY=AKIDONLY")
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee, "jcs must refuse to start with only JCS_ACCESS_KEY set: %s", out)
		require.Contains(t, string(out), "JCS_SECRET_KEY")
	})

	t.Run("no auth", func(t *testing.T) {
		s := startServer(t, dir, withArgs("--no-auth"))
		require.Nil(t, s.creds)
		c := s.client()
		readAll(t, c)
		extra := object{path: "r/unsigned", size: 1234, seed: 804}
		got := c.upload(t, pkg, extra)
		c.requireContent(t, got[0].ObjectID, extra)
		c.ok(t, "POST", "/v1/object/delete", nil, map[string]any{"objectIDs": []int64{got[0].ObjectID}}, nil)
		s.stop()
	})

	t.Run("auth again", func(t *testing.T) {
		s := startServer(t, dir)
		r, err := newClient(s.url(""), nil).call(t.Context(), "GET", "/v1/object/getPackageObjects",
			url.Values{"packageID": {itoa(pkg)}}, nil)
		require.NoError(t, err)
		requireError(t, r, http.StatusUnauthorized, "Unauthorized")
		readAll(t, s.client())
		s.stop()
	})
}

// spaceDirs lists DATA/spaces.
func spaceDirs(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(dir, "spaces"))
	require.NoError(t, err)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// TestGracefulShutdown sends SIGTERM while a large download is streaming: the download still
// completes byte-identical, the server then exits 0 having closed cleanly, and the next start
// is clean.
func TestGracefulShutdown(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir)
	c := s.client()
	pkg := c.newPackage(t, "shutdown")
	big := object{path: "big", size: 48 << 20, seed: 901}
	id := c.upload(t, pkg, big)[0].ObjectID

	resp, err := c.get(t.Context(), "/v1/object/download", url.Values{"objectID": {itoa(id)}}, nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	h := sha256.New()
	n, err := io.CopyN(h, resp.Body, 1<<20)
	require.NoError(t, err)

	// SIGTERM with most of the object still to come; the server must wait for it.
	require.NoError(t, s.cmd.Process.Signal(syscall.SIGTERM))
	_, err = s.stderr.waitFor(regexp.MustCompile(`shutting down`), s.done, 10*time.Second)
	require.NoError(t, err, "jcs did not start shutting down after SIGTERM")
	require.False(t, s.exited(), "jcs exited while a download was still streaming")
	rest, err := io.Copy(h, resp.Body)
	n += rest
	require.NoError(t, err, "the download broke off after %d bytes", n)
	require.Equal(t, big.size, n)
	require.Equal(t, big.fileHash(), fileHashOf([32]byte(h.Sum(nil))), "downloaded content differs")
	s.waitStopped()

	s = startServer(t, dir)
	c = s.client()
	c.requireContent(t, id, big)
	logs := s.stderr.String()
	for _, bad := range []string{"level=ERROR", "level=WARN", "swept leftovers"} {
		require.False(t, strings.Contains(logs, bad), "a start after a clean shutdown logged %q:\n%s", bad, logs)
	}
	waitDisk(t, dir, totalShards, 10*time.Second)
}
