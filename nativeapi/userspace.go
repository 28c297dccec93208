package nativeapi

import (
	"bytes"
	"fmt"
	"net/http"

	"github.com/jointcloud/jcs/engine"
)

// The user space routes of the seed's section 4. A user space's secret access key is
// write-only: requests may set it, responses show redactedSecret in its place, and no body of
// these routes is ever logged.

func (h *Handler) createUserSpace(_ http.ResponseWriter, r *http.Request) (any, error) {
	var req userSpaceConfig
	if err := jsonBody(r, &req); err != nil {
		return nil, err
	}
	in, err := req.input()
	if err != nil {
		return nil, err
	}
	us, err := h.e.CreateUserSpace(r.Context(), in)
	if err != nil {
		return nil, err
	}
	return map[string]any{"userSpace": toUserSpace(us)}, nil
}

func (h *Handler) getUserSpace(_ http.ResponseWriter, r *http.Request) (any, error) {
	id, err := queryID(r, "userSpaceID")
	if err != nil {
		return nil, err
	}
	us, err := h.e.GetUserSpace(r.Context(), engine.SpaceID(id))
	if err != nil {
		return nil, err
	}
	return map[string]any{"userSpace": toUserSpace(us)}, nil
}

func (h *Handler) updateUserSpace(_ http.ResponseWriter, r *http.Request) (any, error) {
	var req updateUserSpaceRequest
	if err := jsonBody(r, &req); err != nil {
		return nil, err
	}
	in, err := req.input()
	if err != nil {
		return nil, err
	}
	us, err := h.e.UpdateUserSpace(r.Context(), in)
	if err != nil {
		return nil, err
	}
	return map[string]any{"userSpace": toUserSpace(us)}, nil
}

// deleteUserSpace answers OK with null data when the space is gone (or never existed, as the
// seed says), and with {"draining": true} when it drains first.
func (h *Handler) deleteUserSpace(_ http.ResponseWriter, r *http.Request) (any, error) {
	var req deleteUserSpaceRequest
	if err := jsonBody(r, &req); err != nil {
		return nil, err
	}
	if err := required("userSpaceID", req.UserSpaceID); err != nil {
		return nil, err
	}
	gone, err := h.e.DeleteUserSpace(r.Context(), req.UserSpaceID, req.Drain)
	switch {
	case engine.KindOf(err) == engine.KindNotEmpty:
		status, code, msg, _ := classify(err)
		return nil, &apiError{status: status, code: code, cause: err,
			msg: msg + ` (send "drain": true)`}
	case err != nil:
		return nil, err
	case !gone:
		return map[string]any{"draining": true}, nil
	}
	return nil, nil
}

func (h *Handler) testUserSpace(_ http.ResponseWriter, r *http.Request) (any, error) {
	var req userSpaceConfig
	if err := jsonBody(r, &req); err != nil {
		return nil, err
	}
	in, err := req.input()
	if err != nil {
		return nil, err
	}
	return nil, h.e.TestUserSpace(r.Context(), in)
}

// importPackage serves userSpace/createPackage: the files at a path of a space become a new
// package.
func (h *Handler) importPackage(_ http.ResponseWriter, r *http.Request) (any, error) {
	var req importPackageRequest
	if err := jsonBody(r, &req); err != nil {
		return nil, err
	}
	if err := required("userSpaceID", req.UserSpaceID); err != nil {
		return nil, err
	}
	if err := required("bucketID", req.BucketID); err != nil {
		return nil, err
	}
	pkg, rep, err := h.e.ImportPackage(r.Context(), engine.ImportPackageInput{
		Space: req.UserSpaceID, Path: req.Path, BucketID: req.BucketID, Name: req.Name, Affinity: req.SpaceAffinity,
	})
	if err != nil {
		return nil, err
	}
	return importPackageResponse{Package: toPackage(pkg), Objects: rep.Objects, Failed: toFailures(rep.Failed)}, nil
}

// exportPackage serves userSpace/downloadPackage: a package's objects become files under a
// path of a space.
func (h *Handler) exportPackage(_ http.ResponseWriter, r *http.Request) (any, error) {
	var req exportPackageRequest
	if err := jsonBody(r, &req); err != nil {
		return nil, err
	}
	if err := required("userSpaceID", req.UserSpaceID); err != nil {
		return nil, err
	}
	if err := required("packageID", req.PackageID); err != nil {
		return nil, err
	}
	rep, err := h.e.ExportPackage(r.Context(), engine.ExportPackageInput{
		Space: req.UserSpaceID, Package: req.PackageID, RootPath: req.RootPath,
	})
	if err != nil {
		return nil, err
	}
	return exportPackageResponse{Objects: rep.Objects, Failed: toFailures(rep.Failed)}, nil
}

// input converts a create or test body to the engine's input.
func (c *userSpaceConfig) input() (engine.CreateUserSpaceInput, error) {
	switch {
	case c.Storage.Type == "":
		return engine.CreateUserSpaceInput{}, badArgument("storage.type is required")
	case len(c.Features) > 0:
		return engine.CreateUserSpaceInput{}, badArgument("features are not supported; send an empty list")
	}
	cred, err := c.Credential.engine()
	if err != nil {
		return engine.CreateUserSpaceInput{}, err
	}
	st := c.Storage
	in := engine.CreateUserSpaceInput{
		Name: c.Name,
		Storage: engine.StorageConfig{Type: st.Type, Path: st.Path, Endpoint: st.Endpoint, Region: st.Region,
			Bucket: st.Bucket, ProjectID: st.ProjectID, PathStyle: st.PathStyle},
		Credential: cred,
		WorkingDir: c.WorkingDir,
	}
	if c.ShardStore != nil {
		in.ShardStore = &engine.ShardStoreConfig{MaxSize: c.ShardStore.MaxSize}
	}
	return in, nil
}

// input converts an update body to the engine's input. An empty name is taken for "unchanged",
// as clients that always send the field mean it.
func (req *updateUserSpaceRequest) input() (engine.UpdateUserSpaceInput, error) {
	if err := required("userSpaceID", req.UserSpaceID); err != nil {
		return engine.UpdateUserSpaceInput{}, err
	}
	in := engine.UpdateUserSpaceInput{ID: req.UserSpaceID}
	if req.Name != nil && *req.Name != "" {
		in.Name = req.Name
	}
	if req.Credential != nil {
		cred, err := req.Credential.engine()
		if err != nil {
			return in, err
		}
		in.Credential = &cred
	}
	if len(req.ShardStore) > 0 {
		var ss *shardStoreDTO
		if err := decodeJSON(bytes.NewReader(req.ShardStore), &ss); err != nil {
			return in, err
		}
		var cfg *engine.ShardStoreConfig
		if ss != nil {
			cfg = &engine.ShardStoreConfig{MaxSize: ss.MaxSize}
		}
		in.ShardStore = &cfg
	}
	return in, nil
}

// engine converts a credential from a request. The redaction placeholder is refused: a client
// that sends back what it read would otherwise replace the secret with it.
func (c credentialDTO) engine() (engine.Credential, error) {
	if c.SecretAccessKey == redactedSecret {
		return engine.Credential{}, badArgument(fmt.Sprintf(
			"credential.secretAccessKey: %q is the placeholder responses show, not a secret; send the secret itself (in an update, leave credential out to keep the current one)",
			redactedSecret))
	}
	return engine.Credential{Type: c.Type, AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey}, nil
}
