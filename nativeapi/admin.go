package nativeapi

import (
	"bytes"
	"io"
	"net/http"
	"time"

	"github.com/jointcloud/jcs/engine"
)

// The admin routes manage users and their access keys for the S3 API, and run the engine's
// maintenance on demand: repair, scrub, fsck, probes, and a status report. They sit beside
// /v1 under /admin/v1, take the same envelope and, like every route here, need the root
// credentials: no other user can sign requests to this API.

type userDTO struct {
	UserID     engine.UserID `json:"userID"`
	Name       string        `json:"name"`
	CreateTime time.Time     `json:"createTime"`
}

type accessKeyDTO struct {
	AccessKeyID     string        `json:"accessKeyID"`
	SecretAccessKey string        `json:"secretAccessKey,omitempty"` // only when created
	UserID          engine.UserID `json:"userID"`
	CreateTime      time.Time     `json:"createTime"`
}

type userNameRequest struct {
	Name string `json:"name"`
}

type accessKeyRequest struct {
	AccessKeyID string `json:"accessKeyID"`
}

func toUser(u engine.User) userDTO {
	return userDTO{UserID: u.ID, Name: u.Name, CreateTime: u.CreateTime}
}

func (h *Handler) createUser(_ http.ResponseWriter, r *http.Request) (any, error) {
	var req userNameRequest
	if err := jsonBody(r, &req); err != nil {
		return nil, err
	}
	u, err := h.e.CreateUser(r.Context(), req.Name)
	if err != nil {
		return nil, err
	}
	return map[string]any{"user": toUser(u)}, nil
}

func (h *Handler) listUsers(_ http.ResponseWriter, r *http.Request) (any, error) {
	us, err := h.e.ListUsers(r.Context())
	if err != nil {
		return nil, err
	}
	out := make([]userDTO, len(us))
	for i, u := range us {
		out[i] = toUser(u)
	}
	return map[string]any{"users": out}, nil
}

func (h *Handler) deleteUser(_ http.ResponseWriter, r *http.Request) (any, error) {
	var req userNameRequest
	if err := jsonBody(r, &req); err != nil {
		return nil, err
	}
	u, err := h.e.GetUserByName(r.Context(), req.Name)
	if err != nil {
		return nil, err
	}
	return nil, h.e.DeleteUser(r.Context(), u.ID)
}

func (h *Handler) createAccessKey(_ http.ResponseWriter, r *http.Request) (any, error) {
	var req userNameRequest
	if err := jsonBody(r, &req); err != nil {
		return nil, err
	}
	u, err := h.e.GetUserByName(r.Context(), req.Name)
	if err != nil {
		return nil, err
	}
	k, err := h.e.CreateAccessKey(r.Context(), u.ID)
	if err != nil {
		return nil, err
	}
	return map[string]any{"accessKey": accessKeyDTO{AccessKeyID: k.ID, SecretAccessKey: k.Secret, UserID: k.User, CreateTime: k.CreateTime}}, nil
}

func (h *Handler) listAccessKeys(_ http.ResponseWriter, r *http.Request) (any, error) {
	name := r.URL.Query().Get("name")
	if name == "" {
		return nil, badArgument("query parameter name is required")
	}
	u, err := h.e.GetUserByName(r.Context(), name)
	if err != nil {
		return nil, err
	}
	ks, err := h.e.ListAccessKeys(r.Context(), u.ID)
	if err != nil {
		return nil, err
	}
	out := make([]accessKeyDTO, len(ks))
	for i, k := range ks {
		out[i] = accessKeyDTO{AccessKeyID: k.ID, UserID: k.User, CreateTime: k.CreateTime}
	}
	return map[string]any{"accessKeys": out}, nil
}

func (h *Handler) deleteAccessKey(_ http.ResponseWriter, r *http.Request) (any, error) {
	var req accessKeyRequest
	if err := jsonBody(r, &req); err != nil {
		return nil, err
	}
	return nil, h.e.DeleteAccessKey(r.Context(), req.AccessKeyID)
}

// Maintenance. Each route runs one pass now and answers when it is done, with its report as
// the envelope's data; a long pass keeps the request open, and a client that goes away
// cancels it.

type repairReportDTO struct {
	BlobsChecked  int64            `json:"blobsChecked"`
	ShardsRebuilt int64            `json:"shardsRebuilt"`
	BytesRebuilt  int64            `json:"bytesRebuilt"`
	Unrepairable  int64            `json:"unrepairable"`
	Waiting       int64            `json:"waiting"`
	Drained       []engine.SpaceID `json:"drained"` // draining spaces emptied and removed
}

type scrubReportDTO struct {
	BlobsVerified int64 `json:"blobsVerified"`
	BytesVerified int64 `json:"bytesVerified"`
	CorruptShards int64 `json:"corruptShards"`
	MissingShards int64 `json:"missingShards"`
	ShardsRebuilt int64 `json:"shardsRebuilt"`
}

type fsckReportDTO struct {
	Clean       bool             `json:"clean"`
	Blobs       int64            `json:"blobs"`
	Shards      int64            `json:"shards"`
	Missing     int64            `json:"missing"`
	Corrupt     int64            `json:"corrupt"`
	Unreachable int64            `json:"unreachable"`
	Unplaced    int64            `json:"unplaced"`
	Deferred    int64            `json:"deferred"`
	Orphans     int64            `json:"orphans"`
	BadRefs     int64            `json:"badRefs"`
	Problems    []fsckProblemDTO `json:"problems"` // the first engine.MaxFsckProblems
}

type fsckProblemDTO struct {
	Kind        string         `json:"kind"`
	UserSpaceID engine.SpaceID `json:"userSpaceID,omitempty"`
	Blob        string         `json:"blob,omitempty"`
	Shard       int            `json:"shard"`
	Name        string         `json:"name,omitempty"`
	Info        string         `json:"info,omitempty"`
}

// statusDTO is the data of admin/v1/status and admin/v1/probe.
type statusDTO struct {
	Spaces []spaceStatusDTO `json:"spaces"`
	Repair repairStatusDTO  `json:"repair"`
	Scrub  scrubStatusDTO   `json:"scrub"`
}

type spaceStatusDTO struct {
	UserSpaceID engine.SpaceID `json:"userSpaceID"`
	Name        string         `json:"name"`
	Type        string         `json:"type"`
	Health      string         `json:"health"` // "ok", "suspect" or "down"
	Available   bool           `json:"available"`
	Draining    bool           `json:"draining"`
	UsedBytes   int64          `json:"usedBytes"`
	MaxBytes    int64          `json:"maxBytes"` // 0: no cap
	Shards      int64          `json:"shards"`
	Operations  int64          `json:"operations"`
	Errors      int64          `json:"errors"`
	LastError   string         `json:"lastError"`
	LatencyMs   float64        `json:"latencyMs"`
}

type repairStatusDTO struct {
	Running       bool       `json:"running"`
	Passes        int64      `json:"passes"`
	LastPass      *time.Time `json:"lastPass"` // null: none yet
	BlobsChecked  int64      `json:"blobsChecked"`
	ShardsRebuilt int64      `json:"shardsRebuilt"`
	BytesRebuilt  int64      `json:"bytesRebuilt"`
	Unrepairable  int64      `json:"unrepairable"`
	Failures      int64      `json:"failures"`
	Queued        int        `json:"queued"`
}

type scrubStatusDTO struct {
	Running       bool       `json:"running"`
	Progress      float64    `json:"progress"` // 0 to 1
	Passes        int64      `json:"passes"`
	LastPass      *time.Time `json:"lastPass"` // null: none yet
	BlobsVerified int64      `json:"blobsVerified"`
	BytesVerified int64      `json:"bytesVerified"`
	CorruptShards int64      `json:"corruptShards"`
	MissingShards int64      `json:"missingShards"`
}

type scrubRequest struct {
	Rate int64 `json:"rate"` // bytes per second; 0: unbounded
}

type fsckRequest struct {
	Verify bool `json:"verify"`
}

func (h *Handler) repair(_ http.ResponseWriter, r *http.Request) (any, error) {
	rep, err := h.e.Repair(r.Context())
	if err != nil {
		return nil, err
	}
	drained := rep.Drained
	if drained == nil {
		drained = []engine.SpaceID{}
	}
	return repairReportDTO{BlobsChecked: rep.BlobsChecked, ShardsRebuilt: rep.ShardsRebuilt, BytesRebuilt: rep.BytesRebuilt,
		Unrepairable: rep.Unrepairable, Waiting: rep.Waiting, Drained: drained}, nil
}

func (h *Handler) scrub(_ http.ResponseWriter, r *http.Request) (any, error) {
	var req scrubRequest
	if err := optionalJSONBody(r, &req); err != nil {
		return nil, err
	}
	if req.Rate < 0 {
		return nil, badArgument("rate must not be negative; 0 means unbounded")
	}
	rep, err := h.e.Scrub(r.Context(), req.Rate)
	if err != nil {
		return nil, err
	}
	return scrubReportDTO{BlobsVerified: rep.BlobsVerified, BytesVerified: rep.BytesVerified,
		CorruptShards: rep.CorruptShards, MissingShards: rep.MissingShards, ShardsRebuilt: rep.ShardsRebuilt}, nil
}

func (h *Handler) fsck(_ http.ResponseWriter, r *http.Request) (any, error) {
	var req fsckRequest
	if err := optionalJSONBody(r, &req); err != nil {
		return nil, err
	}
	rep, err := h.e.Fsck(r.Context(), engine.FsckOptions{Verify: req.Verify})
	if err != nil {
		return nil, err
	}
	out := fsckReportDTO{Clean: rep.Clean(), Blobs: rep.Blobs, Shards: rep.Shards, Missing: rep.Missing,
		Corrupt: rep.Corrupt, Unreachable: rep.Unreachable, Unplaced: rep.Unplaced, Deferred: rep.Deferred, Orphans: rep.Orphans,
		BadRefs: rep.BadRefs, Problems: make([]fsckProblemDTO, len(rep.Problems))}
	for i, p := range rep.Problems {
		out.Problems[i] = fsckProblemDTO{Kind: p.Kind, UserSpaceID: p.Space, Blob: p.Blob, Shard: p.Shard, Name: p.Name, Info: p.Info}
	}
	return out, nil
}

// probe probes every user space now, then answers with the status they are left in.
func (h *Handler) probe(w http.ResponseWriter, r *http.Request) (any, error) {
	h.e.ProbeSpaces(r.Context())
	return h.status(w, r)
}

func (h *Handler) status(http.ResponseWriter, *http.Request) (any, error) {
	m := h.e.Metrics()
	out := statusDTO{Spaces: make([]spaceStatusDTO, len(m.Spaces))}
	for i, s := range m.Spaces {
		out.Spaces[i] = spaceStatusDTO{UserSpaceID: s.ID, Name: s.Name, Type: s.Type, Health: s.Health,
			Available: s.Available, Draining: s.Draining, UsedBytes: s.UsedBytes, MaxBytes: s.MaxBytes,
			Shards: s.Shards, Operations: s.Operations, Errors: s.Errors, LastError: s.LastError,
			LatencyMs: float64(s.Latency) / float64(time.Millisecond)}
	}
	rs, ss := m.Repair, m.Scrub
	out.Repair = repairStatusDTO{Running: rs.Running, Passes: rs.Passes, LastPass: timeOrNil(rs.LastPass),
		BlobsChecked: rs.BlobsChecked, ShardsRebuilt: rs.ShardsRebuilt, BytesRebuilt: rs.BytesRebuilt,
		Unrepairable: rs.Unrepairable, Failures: rs.Failures, Queued: rs.Queued}
	out.Scrub = scrubStatusDTO{Running: ss.Running, Progress: ss.Progress, Passes: ss.Passes, LastPass: timeOrNil(ss.LastPass),
		BlobsVerified: ss.BlobsVerified, BytesVerified: ss.BytesVerified, CorruptShards: ss.CorruptShards, MissingShards: ss.MissingShards}
	return out, nil
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// optionalJSONBody decodes the (already read, bounded) request body into v if there is one;
// an empty body leaves v as it is.
func optionalJSONBody(r *http.Request, v any) error {
	b, err := io.ReadAll(r.Body)
	if err != nil || len(bytes.TrimSpace(b)) == 0 {
		return err
	}
	return decodeJSON(bytes.NewReader(b), v)
}
