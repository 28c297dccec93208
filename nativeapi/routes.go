package nativeapi

import (
	"net/http"

	"github.com/gorilla/mux"
)

// routes is the route table of the /v1 API: the routes of the seed document's sections 1–3,
// and the section 4–5 routes that are not implemented yet, which answer 501 rather than 404 so
// that a client can tell "not yet" from "no such thing".
func (h *Handler) routes() *mux.Router {
	table := []route{
		{method: "POST", path: "/v1/bucket/create", name: "bucket.create", fn: h.createBucket},
		{method: "GET", path: "/v1/bucket/getByName", name: "bucket.getByName", fn: h.getBucketByName},
		{method: "GET", path: "/v1/bucket/listAll", name: "bucket.listAll", fn: h.listBuckets},
		{method: "POST", path: "/v1/bucket/delete", name: "bucket.delete", fn: h.deleteBucket},

		{method: "POST", path: "/v1/package/create", name: "package.create", fn: h.createPackage},
		{method: "GET", path: "/v1/package/getByFullName", name: "package.getByFullName", fn: h.getPackageByFullName},
		{method: "GET", path: "/v1/package/listBucketPackages", name: "package.listBucketPackages", fn: h.listBucketPackages},
		{method: "POST", path: "/v1/package/delete", name: "package.delete", fn: h.deletePackage},

		{method: "POST", path: "/v1/object/upload", name: "object.upload", fn: h.upload, streamsBody: true},
		{method: "GET", path: "/v1/object/download", name: "object.download", fn: h.download},
		{method: "HEAD", path: "/v1/object/download", name: "object.download", fn: h.download},
		{method: "GET", path: "/v1/object/downloadByPath", name: "object.downloadByPath", fn: h.downloadByPath},
		{method: "HEAD", path: "/v1/object/downloadByPath", name: "object.downloadByPath", fn: h.downloadByPath},
		{method: "GET", path: "/v1/object/listByPath", name: "object.listByPath", fn: h.listByPath},
		{method: "GET", path: "/v1/object/getPackageObjects", name: "object.getPackageObjects", fn: h.getPackageObjects},
		{method: "POST", path: "/v1/object/move", name: "object.move", fn: h.move},
		{method: "POST", path: "/v1/object/delete", name: "object.delete", fn: h.deleteObjects},
		{method: "POST", path: "/v1/object/clone", name: "object.clone", fn: h.clone},
		{method: "POST", path: "/v1/object/newMultipartUpload", name: "object.newMultipartUpload", fn: h.newMultipartUpload},
		{method: "POST", path: "/v1/object/uploadPart", name: "object.uploadPart", fn: h.uploadPart, streamsBody: true},
		{method: "POST", path: "/v1/object/completeMultipartUpload", name: "object.completeMultipartUpload", fn: h.completeMultipartUpload},

		{method: "POST", path: "/admin/v1/user/create", name: "admin.user.create", fn: h.createUser},
		{method: "GET", path: "/admin/v1/user/list", name: "admin.user.list", fn: h.listUsers},
		{method: "POST", path: "/admin/v1/user/delete", name: "admin.user.delete", fn: h.deleteUser},
		{method: "POST", path: "/admin/v1/accessKey/create", name: "admin.accessKey.create", fn: h.createAccessKey},
		{method: "GET", path: "/admin/v1/accessKey/list", name: "admin.accessKey.list", fn: h.listAccessKeys},
		{method: "POST", path: "/admin/v1/accessKey/delete", name: "admin.accessKey.delete", fn: h.deleteAccessKey},
	}
	for _, p := range []string{
		"/v1/userSpace/create", "/v1/userSpace/update", "/v1/userSpace/delete", "/v1/userSpace/get",
		"/v1/userSpace/test", "/v1/userSpace/createPackage", "/v1/userSpace/downloadPackage",
		"/v1/spaceSyncer/createTask", "/v1/spaceSyncer/getTask", "/v1/spaceSyncer/cancelTask",
	} {
		table = append(table, route{path: p, name: "notImplemented", fn: notImplemented})
	}

	r := mux.NewRouter()
	for _, rt := range table {
		m := r.Handle(rt.path, h.serve(rt)).Name(rt.name)
		if rt.method != "" {
			m.Methods(rt.method)
		}
	}
	r.NotFoundHandler = h.serve(route{name: "unknown", fn: func(http.ResponseWriter, *http.Request) (any, error) {
		return nil, &apiError{status: http.StatusNotFound, code: codeDataNotFound, msg: "no such route"}
	}})
	r.MethodNotAllowedHandler = h.serve(route{name: "unknown", fn: func(http.ResponseWriter, *http.Request) (any, error) {
		return nil, &apiError{status: http.StatusMethodNotAllowed, code: codeBadArgument, msg: "method not allowed on this route"}
	}})
	return r
}

func notImplemented(http.ResponseWriter, *http.Request) (any, error) {
	return nil, &apiError{status: http.StatusNotImplemented, code: codeOperationFailed,
		msg: "this route is not implemented yet"}
}
