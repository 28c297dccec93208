package nativeapi_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/require"
)

// The maintenance routes of /admin/v1: repair, scrub, fsck, probe and status.

type wireFsck struct {
	Clean    bool  `json:"clean"`
	Blobs    int64 `json:"blobs"`
	Shards   int64 `json:"shards"`
	Missing  int64 `json:"missing"`
	Corrupt  int64 `json:"corrupt"`
	Orphans  int64 `json:"orphans"`
	BadRefs  int64 `json:"badRefs"`
	Problems []struct {
		Kind        string `json:"kind"`
		UserSpaceID uint64 `json:"userSpaceID"`
		Blob        string `json:"blob"`
	} `json:"problems"`
}

type wireStatus struct {
	Spaces []struct {
		UserSpaceID uint64 `json:"userSpaceID"`
		Name        string `json:"name"`
		Health      string `json:"health"`
		Available   bool   `json:"available"`
		Shards      int64  `json:"shards"`
		UsedBytes   int64  `json:"usedBytes"`
	} `json:"spaces"`
	Repair struct {
		Passes   int64      `json:"passes"`
		LastPass *time.Time `json:"lastPass"`
	} `json:"repair"`
	Scrub struct {
		Passes        int64 `json:"passes"`
		BlobsVerified int64 `json:"blobsVerified"`
	} `json:"scrub"`
}

var (
	repairKeys      = []string{"blobsChecked", "shardsRebuilt", "bytesRebuilt", "unrepairable", "waiting", "drained"}
	scrubKeys       = []string{"blobsVerified", "bytesVerified", "corruptShards", "missingShards", "shardsRebuilt"}
	fsckKeys        = []string{"clean", "blobs", "shards", "missing", "corrupt", "unreachable", "unplaced", "deferred", "orphans", "badRefs", "problems"}
	statusKeys      = []string{"spaces", "repair", "scrub"}
	spaceStatusKeys = []string{"userSpaceID", "name", "type", "health", "available", "draining", "usedBytes", "maxBytes", "shards", "lastError", "latencyMs"}
)

// admin sends a maintenance request, checks the report has the given fields and decodes it
// into out (if not nil).
func (h *harness) admin(method, route string, body any, out any, keys ...string) json.RawMessage {
	h.t.Helper()
	var data json.RawMessage
	h.ok(h.call(method, route, body), &data)
	requireKeys(h.t, data, keys...)
	if out != nil {
		require.NoError(h.t, json.Unmarshal(data, out))
	}
	return data
}

// wipeSpace deletes every shard file of the first in-memory space and returns how many.
func (h *harness) wipeSpace() int {
	h.t.Helper()
	m := h.spaces[0]
	infos, _, err := m.List(h.t.Context(), "", "", 100000)
	require.NoError(h.t, err)
	n := 0
	for _, info := range infos {
		if strings.HasPrefix(info.Name, ".jcs-probe/") {
			continue
		}
		require.NoError(h.t, m.Delete(h.t.Context(), info.Name))
		n++
	}
	return n
}

func TestAdminMaintenance(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	f := h.newFixture()

	var st wireStatus
	raw := h.admin("GET", "/admin/v1/status", nil, &st, statusKeys...)
	require.Len(t, st.Spaces, 6)
	var spaces struct {
		Spaces []json.RawMessage `json:"spaces"`
	}
	require.NoError(t, json.Unmarshal(raw, &spaces))
	shards := int64(0)
	for i, s := range st.Spaces {
		requireKeys(t, spaces.Spaces[i], spaceStatusKeys...)
		require.NotZero(t, s.UserSpaceID)
		require.Equal(t, "ok", s.Health)
		require.True(t, s.Available)
		shards += s.Shards
	}
	require.Positive(t, shards)

	var fsck wireFsck
	h.admin("POST", "/admin/v1/fsck", map[string]any{"verify": true}, &fsck, fsckKeys...)
	require.True(t, fsck.Clean, "fsck of an intact store: %+v", fsck)
	require.Positive(t, fsck.Blobs)
	require.Equal(t, shards, fsck.Shards)
	require.Empty(t, fsck.Problems)

	// Lose a space's shards: fsck sees them missing, repair rebuilds them.
	lost := h.wipeSpace()
	require.Positive(t, lost)
	fsck = wireFsck{}
	h.admin("POST", "/admin/v1/fsck", nil, &fsck, fsckKeys...)
	require.False(t, fsck.Clean)
	require.EqualValues(t, lost, fsck.Missing)
	require.Len(t, fsck.Problems, lost)
	require.Equal(t, "missing", fsck.Problems[0].Kind)
	require.Equal(t, st.Spaces[0].UserSpaceID, fsck.Problems[0].UserSpaceID)

	var rep struct {
		BlobsChecked  int64    `json:"blobsChecked"`
		ShardsRebuilt int64    `json:"shardsRebuilt"`
		Drained       []uint64 `json:"drained"`
	}
	h.admin("POST", "/admin/v1/repair", nil, &rep, repairKeys...)
	require.EqualValues(t, fsck.Blobs, rep.BlobsChecked)
	require.EqualValues(t, lost, rep.ShardsRebuilt)
	require.NotNil(t, rep.Drained)
	fsck = wireFsck{}
	h.admin("POST", "/admin/v1/fsck", `{"verify": true}`, &fsck, fsckKeys...)
	require.True(t, fsck.Clean, "fsck after repair: %+v", fsck)
	h.requireIntact(f)

	var scrub struct {
		BlobsVerified int64 `json:"blobsVerified"`
		CorruptShards int64 `json:"corruptShards"`
	}
	h.admin("POST", "/admin/v1/scrub", nil, &scrub, scrubKeys...)
	require.EqualValues(t, fsck.Blobs, scrub.BlobsVerified)
	require.Zero(t, scrub.CorruptShards)
	h.admin("POST", "/admin/v1/scrub", map[string]any{"rate": 1 << 30}, nil, scrubKeys...)

	st = wireStatus{}
	h.admin("POST", "/admin/v1/probe", nil, &st, statusKeys...)
	require.Len(t, st.Spaces, 6)
	for _, s := range st.Spaces {
		require.Equal(t, "ok", s.Health)
	}
	require.GreaterOrEqual(t, st.Repair.Passes, int64(1))
	require.NotNil(t, st.Repair.LastPass)
	require.GreaterOrEqual(t, st.Scrub.Passes, int64(2))

	for _, tc := range []struct {
		name, route string
		body        any
	}{
		{"negative scrub rate", "/admin/v1/scrub", map[string]any{"rate": -1}},
		{"scrub rate a string", "/admin/v1/scrub", `{"rate":"fast"}`},
		{"malformed fsck body", "/admin/v1/fsck", `{"verify":`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := h.sub(t)
			h.failed(h.call("POST", tc.route, tc.body), 400, "BadArgument")
		})
	}
	t.Run("wrong method", func(t *testing.T) {
		h := h.sub(t)
		h.failed(h.call("GET", "/admin/v1/repair", nil), 405, "BadArgument")
		h.failed(h.call("POST", "/admin/v1/status", `{}`), 405, "BadArgument")
	})
}

// TestAdminRootOnly: the maintenance and user space routes refuse any key but root's, even one
// the admin routes created for the S3 API.
func TestAdminRootOnly(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.ok(h.call("POST", "/admin/v1/user/create", map[string]any{"name": "alice"}), nil)
	var created struct {
		AccessKey struct {
			AccessKeyID     string `json:"accessKeyID"`
			SecretAccessKey string `json:"secretAccessKey"`
		} `json:"accessKey"`
	}
	h.ok(h.call("POST", "/admin/v1/accessKey/create", map[string]any{"name": "alice"}), &created)
	alice := aws.Credentials{AccessKeyID: created.AccessKey.AccessKeyID, SecretAccessKey: created.AccessKey.SecretAccessKey}
	wrongSecret := aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: "NOT-THE-SECRET"}

	routes := []struct{ method, route, body string }{
		{"POST", "/admin/v1/repair", ""},
		{"POST", "/admin/v1/scrub", `{"rate":0}`},
		{"POST", "/admin/v1/fsck", `{"verify":true}`},
		{"POST", "/admin/v1/probe", ""},
		{"GET", "/admin/v1/status", ""},
		{"POST", "/v1/userSpace/create", `{"name":"x","storage":{"type":"Local","path":"/mem/x"}}`},
		{"GET", "/v1/userSpace/get?userSpaceID=1", ""},
		{"POST", "/v1/userSpace/delete", `{"userSpaceID":1}`},
	}
	for _, rt := range routes {
		t.Run(rt.method+rt.route, func(t *testing.T) {
			h := h.sub(t)
			var body []byte
			if rt.body != "" {
				body = []byte(rt.body)
			}
			for _, c := range []struct {
				creds  aws.Credentials
				status int
			}{{alice, 401}, {wrongSecret, 403}} {
				req := h.newRequest(rt.method, rt.route, body, "application/json")
				requireUnauthorized(t, h.send(sign(t, req, body, defaultMode(body), c.creds, time.Now())), c.status)
			}
		})
	}
	h.ok(h.call("GET", "/v1/userSpace/get?userSpaceID=1", nil), nil) // refused requests deleted nothing
}
