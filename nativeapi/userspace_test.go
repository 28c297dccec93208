package nativeapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine"
	"github.com/jointcloud/jcs/engine/space"
	"github.com/jointcloud/jcs/engine/space/localdir"
	"github.com/jointcloud/jcs/engine/space/memspace"
)

// spaceSecret is the secret key of the user spaces the tests create: no response body or log
// line may contain it.
const spaceSecret = "space-secret-4f1d9c"

// memRoot prefixes the paths of the in-memory shard spaces; any other Local path is a real
// directory.
const memRoot = "/mem/"

// newSpaceHarness is newHarness over an engine that also opens Local user spaces in real
// directories, with their plain-file views, so that tests can create spaces in t.TempDir()
// and move packages in and out of them. It returns the engine too, for checks the API cannot
// make (the secret a space keeps).
func newSpaceHarness(t *testing.T) (*harness, *engine.Engine) {
	t.Helper()
	h, e := newHarnessWith(t, func(h *harness, o *engine.Options) {
		inMemory := o.OpenSpace
		o.Logger = slog.New(slog.NewTextHandler(h.logs, nil)) // checked for the secret too
		o.OpenSpace = func(ctx context.Context, us engine.UserSpace) (space.Space, error) {
			if !strings.HasPrefix(us.Storage.Path, memRoot) {
				return openLocalSpace(us)
			}
			return inMemory(ctx, us)
		}
		o.OpenFiles = func(_ context.Context, us engine.UserSpace) (space.Files, error) {
			if strings.HasPrefix(us.Storage.Path, memRoot) {
				return memspace.NewFiles(), nil
			}
			files, err := localdir.NewFiles(us.Storage.Path)
			return failingFiles{files}, err
		}
	})
	t.Cleanup(func() { h.checkNoSpaceSecret() })
	return h, e
}

// openLocalSpace opens a Local space as a server would, except that the storage directory
// must exist: only the working directory inside it is created.
func openLocalSpace(us engine.UserSpace) (space.Space, error) {
	if _, err := os.Stat(us.Storage.Path); err != nil {
		return nil, err
	}
	root := filepath.Join(us.Storage.Path, filepath.FromSlash(us.WorkingDir))
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, err
	}
	return localdir.New(root)
}

// unreadable is the base name of files that failingFiles cannot open.
const unreadable = "unreadable"

var errUnreadable = errors.New("injected: cannot open this file")

// failingFiles is a space.Files that fails to open any file named unreadable, as a file
// without read permission would (tests may run as root, who reads any file).
type failingFiles struct{ space.Files }

func (f failingFiles) OpenFile(ctx context.Context, p string) (io.ReadCloser, space.FileInfo, error) {
	if path.Base(p) == unreadable {
		return nil, space.FileInfo{}, errUnreadable
	}
	return f.Files.OpenFile(ctx, p)
}

// checkNoSpaceSecret fails the test if a user space's secret appears in a JSON response body
// or a log line of the server or the engine.
func (h *harness) checkNoSpaceSecret() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, b := range h.jsonSeen {
		require.NotContains(h.t, string(b), spaceSecret, "a response body contains a user space's secret")
	}
	require.NotContains(h.t, h.logs.String(), spaceSecret, "the log contains a user space's secret")
}

// wireUserSpace is a user space as a client declares it from the seed document.
type wireUserSpace struct {
	UserSpaceID uint64 `json:"userSpaceID"`
	Name        string `json:"name"`
	Storage     struct {
		Type      string `json:"type"`
		Path      string `json:"path"`
		Endpoint  string `json:"endpoint"`
		Region    string `json:"region"`
		Bucket    string `json:"bucket"`
		ProjectID string `json:"projectID"`
		PathStyle bool   `json:"pathStyle"`
	} `json:"storage"`
	Credential struct {
		Type            string `json:"type"`
		AccessKeyID     string `json:"accessKeyId"`
		SecretAccessKey string `json:"secretAccessKey"`
	} `json:"credential"`
	ShardStore *struct {
		MaxSize int64 `json:"maxSize"`
	} `json:"shardStore"`
	Features   []json.RawMessage `json:"features"`
	WorkingDir string            `json:"workingDir"`
	Revision   int64             `json:"revision"`
	Draining   bool              `json:"draining"`
}

// userSpaceKeys are the fields of a user space in the seed's examples, and draining.
var userSpaceKeys = []string{"userSpaceID", "name", "storage", "credential", "shardStore", "features", "workingDir", "revision", "draining"}

// userSpace sends a request answered with {"userSpace": ...} and returns the space, checking
// its fields are all there.
func (h *harness) userSpace(method, route string, body any) wireUserSpace {
	h.t.Helper()
	var out struct {
		UserSpace json.RawMessage `json:"userSpace"`
	}
	h.ok(h.call(method, route, body), &out)
	requireKeys(h.t, out.UserSpace, userSpaceKeys...)
	var us wireUserSpace
	require.NoError(h.t, json.Unmarshal(out.UserSpace, &us))
	require.NotNil(h.t, us.Features, "features must be an array, not null")
	return us
}

// localSpace is the body of a create for a Local space in dir.
func localSpace(name, dir string, cred map[string]any, shardStore any) map[string]any {
	return map[string]any{
		"name":       name,
		"storage":    map[string]any{"type": "Local", "path": dir},
		"credential": cred,
		"shardStore": shardStore,
		"features":   []any{},
		"workingDir": "jcs",
	}
}

func (h *harness) getUserSpace(id uint64) wireUserSpace {
	h.t.Helper()
	return h.userSpace("GET", target("/v1/userSpace/get", "userSpaceID", id), nil)
}

func TestUserSpaceCreateGetUpdate(t *testing.T) {
	t.Parallel()
	h, e := newSpaceHarness(t)
	dir := t.TempDir()
	cred := map[string]any{"type": "Local", "accessKeyId": "AKSPACE", "secretAccessKey": spaceSecret}

	created := h.userSpace("POST", "/v1/userSpace/create", localSpace("mine", dir, cred, map[string]any{"maxSize": 1 << 30}))
	id := created.UserSpaceID
	require.NotZero(t, id)
	require.Equal(t, "mine", created.Name)
	require.Equal(t, "Local", created.Storage.Type)
	require.Equal(t, dir, created.Storage.Path)
	require.Equal(t, "Local", created.Credential.Type)
	require.Equal(t, "AKSPACE", created.Credential.AccessKeyID)
	require.Equal(t, "<redacted>", created.Credential.SecretAccessKey)
	require.NotNil(t, created.ShardStore)
	require.EqualValues(t, 1<<30, created.ShardStore.MaxSize)
	require.Empty(t, created.Features)
	require.Equal(t, "jcs", created.WorkingDir)
	require.EqualValues(t, 1, created.Revision)
	require.False(t, created.Draining)
	require.DirExists(t, filepath.Join(dir, "jcs"))
	require.Equal(t, created, h.getUserSpace(id))

	secret := func() string {
		t.Helper()
		us, err := e.GetUserSpace(t.Context(), engine.SpaceID(id))
		require.NoError(t, err)
		return us.Credential.SecretAccessKey
	}
	require.Equal(t, spaceSecret, secret())

	t.Run("rename keeps the secret", func(t *testing.T) {
		h := h.sub(t)
		us := h.userSpace("POST", "/v1/userSpace/update", map[string]any{"userSpaceID": id, "name": "renamed"})
		require.Equal(t, "renamed", us.Name)
		require.EqualValues(t, 2, us.Revision)
		require.Equal(t, "<redacted>", us.Credential.SecretAccessKey)
		require.Equal(t, "AKSPACE", us.Credential.AccessKeyID)
		require.NotNil(t, us.ShardStore, "an update without shardStore keeps it")
		require.Equal(t, spaceSecret, secret())
		require.Equal(t, us, h.getUserSpace(id))
	})
	t.Run("new credential", func(t *testing.T) {
		h := h.sub(t)
		newSecret := spaceSecret + "-2"
		us := h.userSpace("POST", "/v1/userSpace/update", map[string]any{"userSpaceID": id, "name": "renamed",
			"credential": map[string]any{"type": "Local", "accessKeyId": "AKSPACE2", "secretAccessKey": newSecret}})
		require.EqualValues(t, 3, us.Revision)
		require.Equal(t, "AKSPACE2", us.Credential.AccessKeyID)
		require.Equal(t, "<redacted>", us.Credential.SecretAccessKey)
		require.Equal(t, newSecret, secret())
	})
	t.Run("shard store off and on", func(t *testing.T) {
		h := h.sub(t)
		us := h.userSpace("POST", "/v1/userSpace/update", map[string]any{"userSpaceID": id, "shardStore": nil})
		require.Nil(t, us.ShardStore)
		require.EqualValues(t, 4, us.Revision)
		require.Equal(t, "renamed", us.Name, "an empty or absent name keeps the name")
		us = h.userSpace("POST", "/v1/userSpace/update", map[string]any{"userSpaceID": id, "name": "", "shardStore": map[string]any{"maxSize": 5}})
		require.EqualValues(t, 5, us.ShardStore.MaxSize)
		require.Equal(t, "renamed", us.Name)
	})
	t.Run("no secret", func(t *testing.T) {
		h := h.sub(t)
		us := h.userSpace("POST", "/v1/userSpace/create", localSpace("plain", t.TempDir(), nil, nil))
		require.Equal(t, "", us.Credential.SecretAccessKey)
		require.Nil(t, us.ShardStore)
		require.Equal(t, "", h.getUserSpace(us.UserSpaceID).Credential.SecretAccessKey)
	})

	redacted := map[string]any{"type": "Local", "secretAccessKey": "<redacted>"}
	bad := []struct {
		name   string
		method string
		route  string
		body   any
		status int
		code   string
		msg    string
	}{
		{"unsupported storage type", "POST", "/v1/userSpace/create",
			map[string]any{"name": "ftp", "storage": map[string]any{"type": "FTP"}}, 400, "BadArgument", `storage type "FTP" is not supported`},
		{"no storage type", "POST", "/v1/userSpace/create", map[string]any{"name": "x"}, 400, "BadArgument", "storage.type is required"},
		{"relative path", "POST", "/v1/userSpace/create", localSpace("rel", "rel/dir", nil, nil), 400, "BadArgument", "absolute"},
		{"missing directory", "POST", "/v1/userSpace/create", localSpace("gone", filepath.Join(dir, "missing"), nil, nil), 400, "BadArgument", "no such file or directory"},
		{"name taken", "POST", "/v1/userSpace/create", localSpace("renamed", t.TempDir(), nil, nil), 409, "DataExists", "already exists"},
		{"location taken", "POST", "/v1/userSpace/create", localSpace("other", dir, nil, nil), 409, "DataExists", "storage location"},
		{"features", "POST", "/v1/userSpace/create",
			map[string]any{"name": "f", "storage": map[string]any{"type": "Local", "path": t.TempDir()}, "features": []any{map[string]any{"type": "S2S"}}},
			400, "BadArgument", "features are not supported"},
		{"redacted secret on create", "POST", "/v1/userSpace/create", localSpace("r", t.TempDir(), redacted, nil), 400, "BadArgument", "placeholder"},
		{"redacted secret on update", "POST", "/v1/userSpace/update", map[string]any{"userSpaceID": id, "credential": redacted}, 400, "BadArgument", "placeholder"},
		{"update without ID", "POST", "/v1/userSpace/update", map[string]any{"name": "x"}, 400, "BadArgument", "userSpaceID is required"},
		{"update of a missing space", "POST", "/v1/userSpace/update", map[string]any{"userSpaceID": 9999, "name": "x"}, 404, "DataNotFound", "not found"},
		{"update to a taken name", "POST", "/v1/userSpace/update", map[string]any{"userSpaceID": id, "name": "space1"}, 409, "DataExists", "already exists"},
		{"negative maxSize", "POST", "/v1/userSpace/update", map[string]any{"userSpaceID": id, "shardStore": map[string]any{"maxSize": -1}}, 400, "BadArgument", "maxSize"},
		{"shardStore not an object", "POST", "/v1/userSpace/update", map[string]any{"userSpaceID": id, "shardStore": 5}, 400, "BadArgument", "shardStore"},
		{"get without ID", "GET", "/v1/userSpace/get", nil, 400, "BadArgument", "userSpaceID"},
		{"get of a missing space", "GET", target("/v1/userSpace/get", "userSpaceID", 9999), nil, 404, "DataNotFound", "not found"},
		{"malformed body", "POST", "/v1/userSpace/create", `{"name":`, 400, "BadArgument", "malformed JSON"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			h := h.sub(t)
			got := h.failed(h.call(tc.method, tc.route, tc.body), tc.status, tc.code)
			require.Contains(t, got.Message, tc.msg)
		})
	}
	require.Equal(t, "renamed", h.getUserSpace(id).Name, "failed requests changed nothing")
}

func TestUserSpaceTest(t *testing.T) {
	t.Parallel()
	h, _ := newSpaceHarness(t)
	dir := t.TempDir()
	config := func(path string) map[string]any {
		return map[string]any{
			"storage":    map[string]any{"type": "Local", "path": path},
			"credential": map[string]any{"type": "Local", "accessKeyId": "", "secretAccessKey": spaceSecret},
			"workingDir": "wd",
		}
	}
	var data json.RawMessage
	h.ok(h.call("POST", "/v1/userSpace/test", config(dir)), &data)
	require.Equal(t, "null", string(data))

	missing := filepath.Join(dir, "missing")
	got := h.failed(h.call("POST", "/v1/userSpace/test", config(missing)), 400, "BadArgument")
	require.Contains(t, got.Message, missing)
	require.Contains(t, got.Message, "no such file or directory")

	got = h.failed(h.call("POST", "/v1/userSpace/test", map[string]any{"storage": map[string]any{"type": "HDFS"}}), 400, "BadArgument")
	require.Contains(t, got.Message, `"HDFS" is not supported`)

	// A test registers nothing: the next space would be the seventh.
	h.failed(h.call("GET", target("/v1/userSpace/get", "userSpaceID", 7), nil), 404, "DataNotFound")
}

func TestUserSpaceDelete(t *testing.T) {
	t.Parallel()
	h, _ := newSpaceHarness(t)
	keep := h.newFixture()

	t.Run("missing is OK", func(t *testing.T) {
		h := h.sub(t)
		var data json.RawMessage
		h.ok(h.call("POST", "/v1/userSpace/delete", map[string]any{"userSpaceID": 9999}), &data)
		require.Equal(t, "null", string(data))
	})
	t.Run("without ID", func(t *testing.T) {
		h := h.sub(t)
		h.failed(h.call("POST", "/v1/userSpace/delete", map[string]any{}), 400, "BadArgument")
	})
	t.Run("empty", func(t *testing.T) {
		h := h.sub(t)
		id := h.userSpace("POST", "/v1/userSpace/create", localSpace("empty", t.TempDir(), nil, nil)).UserSpaceID
		var data json.RawMessage
		h.ok(h.call("POST", "/v1/userSpace/delete", map[string]any{"userSpaceID": id}), &data)
		require.Equal(t, "null", string(data))
		h.failed(h.call("GET", target("/v1/userSpace/get", "userSpaceID", id), nil), 404, "DataNotFound")
	})
	t.Run("holding shards", func(t *testing.T) {
		h := h.sub(t)
		id := h.userSpace("POST", "/v1/userSpace/create", localSpace("full", t.TempDir(), nil, map[string]any{"maxSize": 0})).UserSpaceID
		// The affinity space gets the first shard.
		pkg := h.newPackage()
		data := randomBytes(7, stripeSize+3)
		var up struct {
			Uploadeds []wireObject `json:"uploadeds"`
		}
		h.ok(h.postForm("/v1/object/upload", infoPart(map[string]any{"packageID": pkg, "affinity": id}), filePart("obj", data)), &up)

		got := h.failed(h.call("POST", "/v1/userSpace/delete", map[string]any{"userSpaceID": id}), 409, "OperationFailed")
		require.Contains(t, got.Message, `"drain": true`)
		require.False(t, h.getUserSpace(id).Draining)

		var out map[string]any
		h.ok(h.call("POST", "/v1/userSpace/delete", map[string]any{"userSpaceID": id, "drain": true}), &out)
		require.Equal(t, map[string]any{"draining": true}, out)

		// A repair pass (the one draining prompts, or this one) moves the shards and removes
		// the space; the data stays whole.
		h.ok(h.call("POST", "/admin/v1/repair", nil), nil)
		h.failed(h.call("GET", target("/v1/userSpace/get", "userSpaceID", id), nil), 404, "DataNotFound")
		requireBytes(t, data, h.content(up.Uploadeds[0].ObjectID))
	})
	h.requireIntact(keep)
}

// writeTree writes files under dir, creating parent directories.
func writeTree(t *testing.T, dir string, files ...file) {
	t.Helper()
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.path))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, f.data, 0o644))
	}
}

// transfer is the data of createPackage and downloadPackage.
type transfer struct {
	Package *wirePackage `json:"package"`
	Objects int          `json:"objects"`
	Failed  []struct {
		Path  string `json:"path"`
		Error string `json:"error"`
	} `json:"failed"`
}

func (tr transfer) failedPaths() []string {
	out := []string{}
	for _, f := range tr.Failed {
		out = append(out, f.Path)
	}
	return out
}

func TestUserSpaceCreatePackage(t *testing.T) {
	t.Parallel()
	h, _ := newSpaceHarness(t)
	dir := t.TempDir()
	id := h.userSpace("POST", "/v1/userSpace/create", localSpace("files", dir, nil, nil)).UserSpaceID
	bucket := h.createBucket(uniqueName("imp"))
	tree := []file{
		{"a.txt", []byte("hello")},
		{"empty", nil},
		{"sub/deeper/b.bin", randomBytes(3, 2*stripeSize+77)},
	}
	writeTree(t, filepath.Join(dir, "data"), tree...)
	writeTree(t, dir, file{"outside.txt", []byte("not imported")})
	require.NoError(t, os.Symlink("/etc", filepath.Join(dir, "data", "link")))
	writeTree(t, dir, file{"data/sub/" + unreadable, []byte("fails to open")})

	var tr transfer
	h.ok(h.call("POST", "/v1/userSpace/createPackage", map[string]any{
		"userSpaceID": id, "path": "data", "bucketID": bucket.BucketID, "name": "imported", "spaceAffinity": 0,
	}), &tr)
	require.NotNil(t, tr.Package)
	require.NotZero(t, tr.Package.PackageID)
	require.Equal(t, "imported", tr.Package.Name)
	require.Equal(t, bucket.BucketID, tr.Package.BucketID)
	require.False(t, tr.Package.CreateTime.IsZero())
	require.Equal(t, len(tree), tr.Objects)
	require.Equal(t, []string{"data/sub/" + unreadable}, tr.failedPaths())
	require.Contains(t, tr.Failed[0].Error, errUnreadable.Error())

	objs := h.packageObjects(tr.Package.PackageID)
	require.Equal(t, []string{"a.txt", "empty", "sub/deeper/b.bin"}, paths(objs))
	for i, o := range objs {
		requireObject(t, o, tr.Package.PackageID, tree[i].path, tree[i].data)
		requireBytes(t, tree[i].data, h.content(o.ObjectID), "object %q", o.Path)
	}

	t.Run("a single file", func(t *testing.T) {
		h := h.sub(t)
		var tr transfer
		h.ok(h.call("POST", "/v1/userSpace/createPackage", map[string]any{
			"userSpaceID": id, "path": "data/sub/deeper/b.bin", "bucketID": bucket.BucketID, "name": "single",
		}), &tr)
		objs := h.packageObjects(tr.Package.PackageID)
		require.Equal(t, []string{"b.bin"}, paths(objs))
		requireBytes(t, tree[2].data, h.content(objs[0].ObjectID))
	})

	bad := []struct {
		name   string
		body   map[string]any
		status int
		code   string
	}{
		{"missing path", map[string]any{"userSpaceID": id, "path": "nope", "bucketID": bucket.BucketID, "name": "p1"}, 404, "DataNotFound"},
		{"dot-dot path", map[string]any{"userSpaceID": id, "path": "../etc", "bucketID": bucket.BucketID, "name": "p2"}, 400, "BadArgument"},
		{"working directory", map[string]any{"userSpaceID": id, "path": "jcs", "bucketID": bucket.BucketID, "name": "p3"}, 400, "BadArgument"},
		{"package exists", map[string]any{"userSpaceID": id, "path": "data", "bucketID": bucket.BucketID, "name": "imported"}, 409, "DataExists"},
		{"missing space", map[string]any{"userSpaceID": 9999, "path": "data", "bucketID": bucket.BucketID, "name": "p4"}, 404, "DataNotFound"},
		{"missing bucket", map[string]any{"userSpaceID": id, "path": "data", "bucketID": 9999, "name": "p5"}, 404, "DataNotFound"},
		{"without space", map[string]any{"path": "data", "bucketID": bucket.BucketID, "name": "p6"}, 400, "BadArgument"},
		{"without bucket", map[string]any{"userSpaceID": id, "path": "data", "name": "p7"}, 400, "BadArgument"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			h := h.sub(t)
			h.failed(h.call("POST", "/v1/userSpace/createPackage", tc.body), tc.status, tc.code)
		})
	}
}

func TestUserSpaceDownloadPackage(t *testing.T) {
	t.Parallel()
	h, _ := newSpaceHarness(t)
	dir := t.TempDir()
	id := h.userSpace("POST", "/v1/userSpace/create", localSpace("out", dir, nil, nil)).UserSpaceID
	f := h.newFixture()
	// Object paths are names: these are valid, but no safe file path.
	h.upload(f.pkg, file{"../escape.txt", []byte("escape")}, file{"a/../../up.txt", []byte("up")})

	var tr transfer
	h.ok(h.call("POST", "/v1/userSpace/downloadPackage", map[string]any{"userSpaceID": id, "packageID": f.pkg, "rootPath": "out"}), &tr)
	require.Nil(t, tr.Package)
	require.Equal(t, len(f.objects), tr.Objects)
	require.ElementsMatch(t, []string{"../escape.txt", "a/../../up.txt"}, tr.failedPaths())
	for _, fl := range tr.Failed {
		require.NotEmpty(t, fl.Error)
	}
	for _, o := range f.objects {
		got, err := os.ReadFile(filepath.Join(dir, "out", filepath.FromSlash(o.Path)))
		require.NoError(t, err)
		requireBytes(t, f.content[o.ObjectID], got, "file %q", o.Path)
	}
	for _, p := range []string{filepath.Join(dir, "escape.txt"), filepath.Join(dir, "up.txt"), filepath.Join(filepath.Dir(dir), "up.txt")} {
		require.NoFileExists(t, p)
	}

	t.Run("round trip", func(t *testing.T) {
		h := h.sub(t)
		bucket := h.createBucket(uniqueName("rt"))
		var back transfer
		h.ok(h.call("POST", "/v1/userSpace/createPackage", map[string]any{
			"userSpaceID": id, "path": "out", "bucketID": bucket.BucketID, "name": "back",
		}), &back)
		require.Equal(t, len(f.objects), back.Objects)
		require.Empty(t, back.Failed)
		want := map[string]string{}
		for _, o := range f.objects {
			want[o.Path] = o.FileHash
		}
		got := map[string]string{}
		for _, o := range h.packageObjects(back.Package.PackageID) {
			got[o.Path] = o.FileHash
		}
		require.Equal(t, want, got)
	})

	bad := []struct {
		name   string
		body   map[string]any
		status int
		code   string
	}{
		{"dot-dot root", map[string]any{"userSpaceID": id, "packageID": f.pkg, "rootPath": "../x"}, 400, "BadArgument"},
		{"into the working directory", map[string]any{"userSpaceID": id, "packageID": f.pkg, "rootPath": "jcs/x"}, 400, "BadArgument"},
		{"missing package", map[string]any{"userSpaceID": id, "packageID": 9999, "rootPath": "x"}, 404, "DataNotFound"},
		{"missing space", map[string]any{"userSpaceID": 9999, "packageID": f.pkg, "rootPath": "x"}, 404, "DataNotFound"},
		{"without package", map[string]any{"userSpaceID": id, "rootPath": "x"}, 400, "BadArgument"},
		{"without space", map[string]any{"packageID": f.pkg, "rootPath": "x"}, 400, "BadArgument"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			h := h.sub(t)
			h.failed(h.call("POST", "/v1/userSpace/downloadPackage", tc.body), tc.status, tc.code)
		})
	}
	require.NoDirExists(t, filepath.Join(dir, "x"))
}
