package nativeapi

import (
	"net/http"

	"github.com/jointcloud/jcs/engine"
)

func (h *Handler) createBucket(_ http.ResponseWriter, r *http.Request) (any, error) {
	var req createBucketRequest
	if err := jsonBody(r, &req); err != nil {
		return nil, err
	}
	b, err := h.e.CreateBucket(r.Context(), engine.CreateBucketInput{Name: req.Name})
	if err != nil {
		return nil, err
	}
	return map[string]any{"bucket": toBucket(b)}, nil
}

func (h *Handler) getBucketByName(_ http.ResponseWriter, r *http.Request) (any, error) {
	name := r.URL.Query().Get("name")
	if name == "" {
		return nil, badArgument("query parameter name is required")
	}
	b, err := h.e.GetBucketByName(r.Context(), name)
	if err != nil {
		return nil, err
	}
	return map[string]any{"bucket": toBucket(b)}, nil
}

func (h *Handler) listBuckets(_ http.ResponseWriter, r *http.Request) (any, error) {
	bs, err := h.e.ListBuckets(r.Context())
	if err != nil {
		return nil, err
	}
	out := make([]bucketDTO, len(bs))
	for i, b := range bs {
		out[i] = toBucket(b)
	}
	return map[string]any{"buckets": out}, nil
}

func (h *Handler) deleteBucket(_ http.ResponseWriter, r *http.Request) (any, error) {
	var req bucketIDRequest
	if err := jsonBody(r, &req); err != nil {
		return nil, err
	}
	if err := required("bucketID", req.BucketID); err != nil {
		return nil, err
	}
	return nil, h.e.DeleteBucket(r.Context(), req.BucketID)
}

func (h *Handler) createPackage(_ http.ResponseWriter, r *http.Request) (any, error) {
	var req createPackageRequest
	if err := jsonBody(r, &req); err != nil {
		return nil, err
	}
	if err := required("bucketID", req.BucketID); err != nil {
		return nil, err
	}
	p, err := h.e.CreatePackage(r.Context(), req.BucketID, req.Name)
	if err != nil {
		return nil, err
	}
	return map[string]any{"package": toPackage(p)}, nil
}

func (h *Handler) getPackageByFullName(_ http.ResponseWriter, r *http.Request) (any, error) {
	q := r.URL.Query()
	bucket, pkg := q.Get("bucketName"), q.Get("packageName")
	if bucket == "" || pkg == "" {
		return nil, badArgument("query parameters bucketName and packageName are required")
	}
	p, err := h.e.GetPackageByName(r.Context(), bucket, pkg)
	if err != nil {
		return nil, err
	}
	return map[string]any{"package": toPackage(p)}, nil
}

func (h *Handler) listBucketPackages(_ http.ResponseWriter, r *http.Request) (any, error) {
	id, err := queryID(r, "bucketID")
	if err != nil {
		return nil, err
	}
	ps, err := h.e.ListPackages(r.Context(), engine.BucketID(id))
	if err != nil {
		return nil, err
	}
	out := make([]packageDTO, len(ps))
	for i, p := range ps {
		out[i] = toPackage(p)
	}
	return map[string]any{"packages": out}, nil
}

func (h *Handler) deletePackage(_ http.ResponseWriter, r *http.Request) (any, error) {
	var req packageIDRequest
	if err := jsonBody(r, &req); err != nil {
		return nil, err
	}
	if err := required("packageID", req.PackageID); err != nil {
		return nil, err
	}
	return nil, h.e.DeletePackage(r.Context(), req.PackageID)
}
