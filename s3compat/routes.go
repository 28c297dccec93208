package s3compat

import (
	"net/http"
	"strings"

	"github.com/gorilla/mux"
)

// subresources are the query parameters that select an S3 operation other than the plain one
// on a path. A request that carries one the route table does not list answers 501
// NotImplemented; it must never fall through to the plain operation (a PutBucketPolicy taken
// for a CreateBucket, a PutObjectAcl for a PutObject).
var subresources = []string{
	"accelerate", "acl", "analytics", "attributes", "cors", "delete", "encryption",
	"intelligent-tiering", "inventory", "legal-hold", "lifecycle", "location", "logging",
	"metadataConfiguration", "metadataTable", "metrics", "notification", "object-lock",
	"ownershipControls", "partNumber", "policy", "policyStatus", "publicAccessBlock",
	"renameObject", "replication", "requestPayment", "restore", "retention", "select",
	"session", "tagging", "torrent", "uploadId", "uploads", "versionId", "versioning",
	"versions", "website",
}

// shape is what a path names: the service, a bucket, or an object.
type shape int

const (
	shapeService shape = iota
	shapeBucket
	shapeObject
)

// splitPath splits a path-style request path into bucket and key. The key is everything after
// the bucket's slash, verbatim: "//", "..", a trailing "/" and all.
func splitPath(p string) (bucket, key string) {
	p = strings.TrimPrefix(p, "/")
	bucket, key, _ = strings.Cut(p, "/")
	return bucket, key
}

func pathShape(p string) shape {
	b, k := splitPath(p)
	switch {
	case b == "":
		return shapeService
	case k == "":
		return shapeBucket
	}
	return shapeObject
}

// op is one row of the route table: an operation for a method, shape and set of
// sub-resources (all present), optionally only with a header present.
type op struct {
	name   string
	method string
	shape  shape
	subs   []string // sub-resources the request must carry, and the only ones it may
	header string   // a header the request must carry ("" for none)
	fn     handlerFunc
}

func (h *Handler) table() []op {
	return []op{
		{name: "ListBuckets", method: "GET", shape: shapeService, fn: h.listBuckets},

		{name: "CreateBucket", method: "PUT", shape: shapeBucket, fn: h.createBucket},
		{name: "HeadBucket", method: "HEAD", shape: shapeBucket, fn: h.headBucket},
		{name: "DeleteBucket", method: "DELETE", shape: shapeBucket, fn: h.deleteBucket},
		{name: "GetBucketLocation", method: "GET", shape: shapeBucket, subs: []string{"location"}, fn: h.getBucketLocation},
		{name: "GetBucketVersioning", method: "GET", shape: shapeBucket, subs: []string{"versioning"}, fn: h.getBucketVersioning},
		{name: "ListObjectVersions", method: "GET", shape: shapeBucket, subs: []string{"versions"}, fn: h.listObjectVersions},
		{name: "ListMultipartUploads", method: "GET", shape: shapeBucket, subs: []string{"uploads"}, fn: h.listMultipartUploads},
		{name: "ListObjects", method: "GET", shape: shapeBucket, fn: h.listObjects},
		{name: "DeleteObjects", method: "POST", shape: shapeBucket, subs: []string{"delete"}, fn: h.deleteObjects},

		{name: "UploadPartCopy", method: "PUT", shape: shapeObject, subs: []string{"partNumber", "uploadId"}, header: "X-Amz-Copy-Source", fn: h.uploadPartCopy},
		{name: "UploadPart", method: "PUT", shape: shapeObject, subs: []string{"partNumber", "uploadId"}, fn: h.uploadPart},
		{name: "PutObjectTagging", method: "PUT", shape: shapeObject, subs: []string{"tagging"}, fn: h.putObjectTagging},
		{name: "CopyObject", method: "PUT", shape: shapeObject, header: "X-Amz-Copy-Source", fn: h.copyObject},
		{name: "PutObject", method: "PUT", shape: shapeObject, fn: h.putObject},
		{name: "ListParts", method: "GET", shape: shapeObject, subs: []string{"uploadId"}, fn: h.listParts},
		{name: "GetObjectTagging", method: "GET", shape: shapeObject, subs: []string{"tagging"}, fn: h.getObjectTagging},
		{name: "GetObjectAttributes", method: "GET", shape: shapeObject, subs: []string{"attributes"}, fn: h.getObjectAttributes},
		{name: "GetObject", method: "GET", shape: shapeObject, fn: h.getObject},
		{name: "GetObject", method: "GET", shape: shapeObject, subs: []string{"versionId"}, fn: h.getObject},
		{name: "HeadObject", method: "HEAD", shape: shapeObject, fn: h.headObject},
		{name: "HeadObject", method: "HEAD", shape: shapeObject, subs: []string{"versionId"}, fn: h.headObject},
		{name: "HeadObject", method: "HEAD", shape: shapeObject, subs: []string{"partNumber"}, fn: h.headObject},
		{name: "GetObject", method: "GET", shape: shapeObject, subs: []string{"partNumber"}, fn: h.getObject},
		{name: "AbortMultipartUpload", method: "DELETE", shape: shapeObject, subs: []string{"uploadId"}, fn: h.abortMultipartUpload},
		{name: "DeleteObjectTagging", method: "DELETE", shape: shapeObject, subs: []string{"tagging"}, fn: h.deleteObjectTagging},
		{name: "DeleteObject", method: "DELETE", shape: shapeObject, fn: h.deleteObject},
		{name: "DeleteObject", method: "DELETE", shape: shapeObject, subs: []string{"versionId"}, fn: h.deleteObject},
		{name: "CreateMultipartUpload", method: "POST", shape: shapeObject, subs: []string{"uploads"}, fn: h.createMultipartUpload},
		{name: "CompleteMultipartUpload", method: "POST", shape: shapeObject, subs: []string{"uploadId"}, fn: h.completeMultipartUpload},
	}
}

// routes builds the router from the table. A request matches a row when its method, shape and
// set of sub-resources match exactly; anything else is 501 (an unknown sub-resource or
// method) or 405.
func (h *Handler) routes() *mux.Router {
	r := mux.NewRouter().SkipClean(true)
	for _, o := range h.table() {
		o := o
		// No path template: its regexp's "." would not match a newline, which keys may hold.
		m := r.NewRoute().Handler(h.serve(o.name, o.fn)).Name(o.name).Methods(o.method)
		m.MatcherFunc(func(req *http.Request, _ *mux.RouteMatch) bool {
			if pathShape(req.URL.Path) != o.shape || !sameSubs(req, o.subs) {
				return false
			}
			return o.header == "" || req.Header.Get(o.header) != ""
		})
	}
	unknown := h.serve("unknown", func(w http.ResponseWriter, rq *request) error {
		return notImplemented("this operation (" + rq.Method + " with " + describeSubs(rq.Request) + ")")
	})
	r.NotFoundHandler = unknown
	r.MethodNotAllowedHandler = unknown
	return r
}

// sameSubs reports whether the sub-resources in r's query are exactly want.
func sameSubs(r *http.Request, want []string) bool {
	q := r.URL.Query()
	n := 0
	for _, s := range subresources {
		if q.Has(s) {
			n++
		}
	}
	if n != len(want) {
		return false
	}
	for _, s := range want {
		if !q.Has(s) {
			return false
		}
	}
	return true
}

func describeSubs(r *http.Request) string {
	var have []string
	q := r.URL.Query()
	for _, s := range subresources {
		if q.Has(s) {
			have = append(have, "?"+s)
		}
	}
	if len(have) == 0 {
		return "no sub-resource"
	}
	return strings.Join(have, ", ")
}
