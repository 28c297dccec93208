package nativeapi

import (
	"net/http"

	"github.com/gorilla/mux"
)

// routes is the route table of the /v1 API: the routes of the seed document's sections 1–4,
// the admin routes, and the section 5 routes that are not implemented yet, which answer 501
// rather than 404 so that a client can tell "not yet" from "no such thing".
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

		{method: "POST", path: "/v1/userSpace/create", name: "userSpace.create", fn: h.createUserSpace},
		{method: "POST", path: "/v1/userSpace/update", name: "userSpace.update", fn: h.updateUserSpace},
		{method: "POST", path: "/v1/userSpace/delete", name: "userSpace.delete", fn: h.deleteUserSpace},
		{method: "GET", path: "/v1/userSpace/get", name: "userSpace.get", fn: h.getUserSpace},
		{method: "POST", path: "/v1/userSpace/test", name: "userSpace.test", fn: h.testUserSpace},
		{method: "POST", path: "/v1/userSpace/createPackage", name: "userSpace.createPackage", fn: h.importPackage},
		{method: "POST", path: "/v1/userSpace/downloadPackage", name: "userSpace.downloadPackage", fn: h.exportPackage},

		{method: "POST", path: "/admin/v1/user/create", name: "admin.user.create", fn: h.createUser},
		{method: "GET", path: "/admin/v1/user/list", name: "admin.user.list", fn: h.listUsers},
		{method: "POST", path: "/admin/v1/user/delete", name: "admin.user.delete", fn: h.deleteUser},
		{method: "POST", path: "/admin/v1/accessKey/create", name: "admin.accessKey.create", fn: h.createAccessKey},
		{method: "GET", path: "/admin/v1/accessKey/list", name: "admin.accessKey.list", fn: h.listAccessKeys},
		{method: "POST", path: "/admin/v1/accessKey/delete", name: "admin.accessKey.delete", fn: h.deleteAccessKey},
		{method: "POST", path: "/admin/v1/repair", name: "admin.repair", fn: h.repair},
		{method: "POST", path: "/admin/v1/scrub", name: "admin.scrub", fn: h.scrub},
		{method: "POST", path: "/admin/v1/fsck", name: "admin.fsck", fn: h.fsck},
		{method: "POST", path: "/admin/v1/probe", name: "admin.probe", fn: h.probe},
		{method: "GET", path: "/admin/v1/status", name: "admin.status", fn: h.status},
	}
	for _, p := range []string{
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
