package nativeapi

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"

	"github.com/jointcloud/jcs/engine"
)

// listByPath serves /v1/object/listByPath.
func (h *Handler) listByPath(_ http.ResponseWriter, r *http.Request) (any, error) {
	pkg, err := queryID(r, "packageID")
	if err != nil {
		return nil, err
	}
	in := engine.ListObjectsInput{
		PackageID:         engine.PackageID(pkg),
		Path:              r.URL.Query().Get("path"),
		ContinuationToken: r.URL.Query().Get("continuationToken"),
	}
	if in.IsPrefix, err = queryBool(r, "isPrefix"); err != nil {
		return nil, err
	}
	if in.NoRecursive, err = queryBool(r, "noRecursive"); err != nil {
		return nil, err
	}
	maxKeys, _, err := queryInt(r, "maxKeys")
	if err != nil {
		return nil, err
	}
	in.MaxKeys = int(min(maxKeys, engine.MaxListKeys))
	res, err := h.e.ListObjects(r.Context(), in)
	if err != nil {
		return nil, err
	}
	out := listObjectsResponse{
		NextContinuationToken: res.NextContinuationToken,
		IsTruncated:           res.IsTruncated,
		CommonPrefixes:        res.CommonPrefixes,
		Objects:               toObjects(res.Objects),
	}
	if out.CommonPrefixes == nil {
		out.CommonPrefixes = []string{}
	}
	return out, nil
}

// getPackageObjects serves /v1/object/getPackageObjects. A package may hold millions of
// objects, so the response is streamed as the engine pages through them instead of being
// built in memory.
func (h *Handler) getPackageObjects(w http.ResponseWriter, r *http.Request) (any, error) {
	pkg, err := queryID(r, "packageID")
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	n := 0
	start := func() {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		io.WriteString(bw, `{"code":"OK","message":"","data":{"objects":[`)
	}
	err = h.e.WalkPackageObjects(r.Context(), engine.PackageID(pkg), func(o engine.Object) error {
		if n == 0 {
			start()
		} else {
			bw.WriteByte(',')
		}
		n++
		b, err := json.Marshal(toObject(o))
		if err != nil {
			return err
		}
		_, err = bw.Write(b)
		return err
	})
	if err != nil {
		return nil, err
	}
	if n == 0 {
		start()
	}
	io.WriteString(bw, "]}}\n")
	return streamed, bw.Flush()
}

// move serves /v1/object/move.
func (h *Handler) move(_ http.ResponseWriter, r *http.Request) (any, error) {
	var req moveRequest
	if err := jsonBody(r, &req); err != nil {
		return nil, err
	}
	moves := make([]engine.MoveInput, len(req.Movings))
	for i, m := range req.Movings {
		moves[i] = engine.MoveInput{ObjectID: m.ObjectID, PackageID: m.PackageID, Path: m.Path}
	}
	ids, err := h.e.MoveObjects(r.Context(), moves)
	if err != nil {
		return nil, err
	}
	if ids == nil {
		ids = []engine.ObjectID{}
	}
	return map[string]any{"successes": ids}, nil
}

// deleteObjects serves /v1/object/delete; IDs of missing objects are fine.
func (h *Handler) deleteObjects(_ http.ResponseWriter, r *http.Request) (any, error) {
	var req deleteObjectsRequest
	if err := jsonBody(r, &req); err != nil {
		return nil, err
	}
	return nil, h.e.DeleteObjects(r.Context(), req.ObjectIDs)
}

// clone serves /v1/object/clone.
func (h *Handler) clone(_ http.ResponseWriter, r *http.Request) (any, error) {
	var req cloneRequest
	if err := jsonBody(r, &req); err != nil {
		return nil, err
	}
	clones := make([]engine.CloneInput, len(req.Clonings))
	for i, c := range req.Clonings {
		if err := required("objectID", c.ObjectID); err != nil {
			return nil, err
		}
		if err := required("newPackageID", c.NewPackageID); err != nil {
			return nil, err
		}
		clones[i] = engine.CloneInput{ObjectID: c.ObjectID, PackageID: c.NewPackageID, Path: c.NewPath}
	}
	objs, err := h.e.CloneObjects(r.Context(), clones)
	if err != nil {
		return nil, err
	}
	return map[string]any{"objects": toObjects(objs)}, nil
}

// newMultipartUpload serves /v1/object/newMultipartUpload.
func (h *Handler) newMultipartUpload(_ http.ResponseWriter, r *http.Request) (any, error) {
	var req newMultipartRequest
	if err := jsonBody(r, &req); err != nil {
		return nil, err
	}
	if err := required("packageID", req.PackageID); err != nil {
		return nil, err
	}
	o, err := h.e.CreateMultipartUpload(r.Context(), req.PackageID, req.Path)
	if err != nil {
		return nil, err
	}
	return map[string]any{"object": toObject(o)}, nil
}

// completeMultipartUpload serves /v1/object/completeMultipartUpload.
func (h *Handler) completeMultipartUpload(_ http.ResponseWriter, r *http.Request) (any, error) {
	var req completeRequest
	if err := jsonBody(r, &req); err != nil {
		return nil, err
	}
	if err := required("objectID", req.ObjectID); err != nil {
		return nil, err
	}
	o, err := h.e.CompleteMultipartUpload(r.Context(), req.ObjectID, req.Indexes)
	if err != nil {
		return nil, err
	}
	return map[string]any{"object": toObject(o)}, nil
}
