package s3compat

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/johannesboyne/gofakes3"

	"github.com/jointcloud/jcs/engine"
)

// maxPutSize is S3's limit on a single PUT; larger objects need a multipart upload.
const maxPutSize = 5 << 30

func (h *Handler) putObject(w http.ResponseWriter, rq *request) error {
	b, err := h.bucketOf(rq)
	if err != nil {
		return err
	}
	attrs, err := attributesFrom(rq.Header)
	if err != nil {
		return err
	}
	tags, err := tagsFromHeader(rq.Header.Get("X-Amz-Tagging"))
	if err != nil {
		return err
	}
	cond, err := writeCondition(rq.Header)
	if err != nil {
		return err
	}
	body, err := h.uploadBody(rq)
	if err != nil {
		return err
	}
	if body.size > maxPutSize {
		return newError(errEntityTooLarge, "Your proposed upload exceeds the maximum allowed size")
	}
	o, err := h.e.PutObject(rq.Context(), engine.PutObjectInput{
		Bucket: b.ID, Key: rq.key, Body: body, Size: body.size, Attrs: attrs, Tags: tags, Cond: cond,
		Finish: body.finish, SHA256: body.sha,
	})
	if err != nil {
		return body.verdict(err)
	}
	hd := w.Header()
	hd.Set("ETag", quoteETag(o.ETag))
	if o.Checksum.Algorithm != "" {
		hd.Set("X-Amz-Checksum-"+o.Checksum.Algorithm, o.Checksum.Value)
		hd.Set("X-Amz-Checksum-Type", o.Checksum.Type)
	}
	hd.Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	return nil
}

// objectRange resolves what part of o a GET or HEAD sends: a Range header or a partNumber.
// ranged reports whether it is less than the whole object by request.
func objectRange(rq *request, o *engine.Object) (r byteRange, ranged bool, err error) {
	whole := byteRange{off: 0, n: o.Size}
	if pn := rq.URL.Query().Get("partNumber"); pn != "" {
		n, err := strconv.Atoi(pn)
		if err != nil || n < 1 || n > engine.MaxUploadParts {
			return whole, false, newError(gofakes3.ErrInvalidArgument, "Part number must be an integer between 1 and %d, inclusive", engine.MaxUploadParts)
		}
		if !strings.Contains(o.ETag, "-") {
			if n != 1 {
				return whole, false, newError(gofakes3.ErrInvalidRange, "The requested partnumber is not satisfiable")
			}
			return whole, false, nil
		}
		if n > len(o.Segments) {
			return whole, false, newError(gofakes3.ErrInvalidRange, "The requested partnumber is not satisfiable")
		}
		off := int64(0)
		for _, s := range o.Segments[:n-1] {
			off += s.Size
		}
		return byteRange{off: off, n: o.Segments[n-1].Size}, true, nil
	}
	r, ok, err := parseRange(rq.Header.Get("Range"), o.Size)
	if err != nil || !ok {
		return whole, false, err
	}
	return r, true, nil
}

// checkVersion accepts only the "null" version an unversioned bucket has.
func checkVersion(rq *request) error {
	if v, ok := rq.URL.Query()["versionId"]; ok && (len(v) != 1 || v[0] != "null") {
		return newError(gofakes3.ErrNoSuchVersion, "The specified version does not exist.")
	}
	return nil
}

func (h *Handler) getObject(w http.ResponseWriter, rq *request) error {
	return h.sendObject(w, rq, true)
}

func (h *Handler) headObject(w http.ResponseWriter, rq *request) error {
	return h.sendObject(w, rq, false)
}

// sendObject answers a GET (withBody) or HEAD of an object.
func (h *Handler) sendObject(w http.ResponseWriter, rq *request, withBody bool) error {
	b, err := h.bucketOf(rq)
	if err != nil {
		return err
	}
	if err := checkVersion(rq); err != nil {
		return err
	}
	rd, err := h.e.OpenKey(rq.Context(), b.ID, rq.key)
	if err != nil {
		return err
	}
	defer rd.Close()
	o := &rd.Object
	if err := checkReadConditions(rq.Header, o); err != nil {
		if se := (*s3Error)(nil); errors.As(err, &se) && se.status == http.StatusNotModified {
			w.Header().Set("ETag", quoteETag(o.ETag))
			w.Header().Set("Last-Modified", o.UpdateTime.UTC().Format(http.TimeFormat))
		}
		return err
	}
	r, ranged, err := objectRange(rq, o)
	if err != nil {
		return err
	}
	hd := w.Header()
	setObjectHeaders(hd, o, rq.URL.Query())
	if ranged && rq.URL.Query().Get("partNumber") == "" {
		hd.Set("Content-Range", "bytes "+itoa(r.off)+"-"+itoa(r.off+r.n-1)+"/"+itoa(o.Size))
	}
	if strings.Contains(o.ETag, "-") {
		hd.Set("X-Amz-Mp-Parts-Count", o.ETag[strings.LastIndexByte(o.ETag, '-')+1:])
	}
	// A checksum covers the whole object: it is never sent for a part of it, where clients
	// would check it against the part and fail.
	if !ranged && o.Checksum.Algorithm != "" && strings.EqualFold(rq.Header.Get("X-Amz-Checksum-Mode"), "ENABLED") {
		hd.Set("X-Amz-Checksum-"+o.Checksum.Algorithm, o.Checksum.Value)
		hd.Set("X-Amz-Checksum-Type", o.Checksum.Type)
	}
	hd.Set("Content-Length", itoa(r.n))
	status := http.StatusOK
	if ranged {
		status = http.StatusPartialContent
	}
	if !withBody {
		w.WriteHeader(status)
		return nil
	}
	// The header is sent with the first byte, so that an error before it (unreadable data)
	// still gets an error document.
	lw := &lazyWriter{w: w, status: status}
	if _, err := rd.WriteRange(lw, r.off, r.n); err != nil {
		return err
	}
	if !lw.started {
		w.WriteHeader(status) // an empty object or range
	}
	return nil
}

// lazyWriter writes the response status with the first byte of the body.
type lazyWriter struct {
	w       http.ResponseWriter
	status  int
	started bool
}

func (l *lazyWriter) Write(p []byte) (int, error) {
	if !l.started {
		l.started = true
		l.w.WriteHeader(l.status)
	}
	return l.w.Write(p)
}

func (h *Handler) deleteObject(w http.ResponseWriter, rq *request) error {
	b, err := h.bucketOf(rq)
	if err != nil {
		return err
	}
	if err := checkVersion(rq); err != nil {
		return err
	}
	if err := h.e.DeleteKeys(rq.Context(), b.ID, []string{rq.key}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// maxDeleteKeys is S3's limit on keys per DeleteObjects.
const maxDeleteKeys = 1000

func (h *Handler) deleteObjects(w http.ResponseWriter, rq *request) error {
	b, err := h.bucketOf(rq)
	if err != nil {
		return err
	}
	var req gofakes3.DeleteRequest
	if err := readXML(rq, &req); err != nil {
		return err
	}
	if len(req.Objects) == 0 || len(req.Objects) > maxDeleteKeys {
		return newError(gofakes3.ErrMalformedXML, "A DeleteObjects request names 1 to %d keys.", maxDeleteKeys)
	}
	res := gofakes3.MultiDeleteResult{}
	var keys []string
	var deleted []gofakes3.ObjectID
	for _, o := range req.Objects {
		switch {
		case o.VersionID != "" && o.VersionID != "null":
			res.Error = append(res.Error, gofakes3.ErrorResult{Key: o.Key, Code: gofakes3.ErrNoSuchVersion, Message: "The specified version does not exist."})
		case o.Key == "" || len(o.Key) > engine.MaxPathLen:
			res.Error = append(res.Error, gofakes3.ErrorResult{Key: o.Key, Code: gofakes3.ErrInvalidArgument, Message: "The key is not valid."})
		default:
			keys = append(keys, o.Key)
			deleted = append(deleted, o)
		}
	}
	if len(keys) > 0 {
		if err := h.e.DeleteKeys(rq.Context(), b.ID, keys); err != nil {
			return err
		}
	}
	if !req.Quiet {
		res.Deleted = deleted
	}
	type deleteResult struct {
		gofakes3.MultiDeleteResult
		Xmlns string `xml:"xmlns,attr"`
	}
	writeXML(w, http.StatusOK, deleteResult{MultiDeleteResult: res, Xmlns: s3Namespace})
	return nil
}

// copySource parses x-amz-copy-source: "bucket/key" or "/bucket/key", URL-encoded, with an
// optional "?versionId=null".
func copySource(v string) (bucket, key string, err error) {
	path, query, _ := strings.Cut(v, "?")
	if query != "" {
		q, perr := url.ParseQuery(query)
		if perr != nil || (q.Has("versionId") && q.Get("versionId") != "null") {
			return "", "", newError(gofakes3.ErrNoSuchVersion, "The specified version does not exist.")
		}
	}
	p, uerr := url.PathUnescape(path)
	if uerr != nil {
		return "", "", newError(gofakes3.ErrInvalidArgument, "Invalid copy source encoding")
	}
	bucket, key = splitPath("/" + strings.TrimPrefix(p, "/"))
	if bucket == "" || key == "" {
		return "", "", newError(gofakes3.ErrInvalidArgument, "Copy Source must mention the source bucket and key: sourcebucket/sourcekey")
	}
	return bucket, key, nil
}

// sourceBucket returns the bucket a copy reads from, if the caller may read it.
func (h *Handler) sourceBucket(rq *request, name string) (engine.Bucket, error) {
	src := *rq
	src.bucket = name
	return h.bucketOf(&src)
}

func (h *Handler) copyObject(w http.ResponseWriter, rq *request) error {
	b, err := h.bucketOf(rq)
	if err != nil {
		return err
	}
	sbName, skey, err := copySource(rq.Header.Get("X-Amz-Copy-Source"))
	if err != nil {
		return err
	}
	sb, err := h.sourceBucket(rq, sbName)
	if err != nil {
		return err
	}
	in := engine.CopyObjectInput{SrcBucket: sb.ID, SrcKey: skey, DstBucket: b.ID, DstKey: rq.key,
		SrcCheck: func(o *engine.Object) error { return checkCopySourceConditions(rq.Header, o) }}
	switch d := rq.Header.Get("X-Amz-Metadata-Directive"); d {
	case "", "COPY":
	case "REPLACE":
		attrs, err := attributesFrom(rq.Header)
		if err != nil {
			return err
		}
		in.Attrs = &attrs
	default:
		return newError(gofakes3.ErrInvalidArgument, "Unknown metadata directive.")
	}
	switch d := rq.Header.Get("X-Amz-Tagging-Directive"); d {
	case "", "COPY":
	case "REPLACE":
		tags, err := tagsFromHeader(rq.Header.Get("X-Amz-Tagging"))
		if err != nil {
			return err
		}
		in.Tags = tags
		if in.Tags == nil {
			in.Tags = map[string]string{}
		}
	default:
		return newError(gofakes3.ErrInvalidArgument, "Unknown tagging directive.")
	}
	if sb.ID == b.ID && skey == rq.key && in.Attrs == nil && in.Tags == nil {
		return newError(errInvalidRequest, "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
	}
	if in.Cond, err = writeCondition(rq.Header); err != nil {
		return err
	}
	o, err := h.e.CopyObject(rq.Context(), in)
	if err != nil {
		if engine.KindOf(err) == engine.KindNotFound {
			// Name the missing source, not the destination.
			if _, serr := h.e.GetBucketByName(rq.Context(), sbName); serr != nil {
				return newError(gofakes3.ErrNoSuchBucket, "The specified bucket does not exist")
			}
			return newError(gofakes3.ErrNoSuchKey, "The specified key does not exist.")
		}
		return err
	}
	writeXML(w, http.StatusOK, gofakes3.CopyObjectResult{ETag: quoteETag(o.ETag), LastModified: gofakes3.NewContentTime(o.UpdateTime)})
	return nil
}

func (h *Handler) putObjectTagging(w http.ResponseWriter, rq *request) error {
	b, err := h.bucketOf(rq)
	if err != nil {
		return err
	}
	var t tagging
	if err := readXML(rq, &t); err != nil {
		return err
	}
	tags, err := validateTags(t.TagSet)
	if err != nil {
		return err
	}
	if _, err := h.e.SetObjectTags(rq.Context(), b.ID, rq.key, tags); err != nil {
		return err
	}
	w.WriteHeader(http.StatusOK)
	return nil
}

func (h *Handler) getObjectTagging(w http.ResponseWriter, rq *request) error {
	b, err := h.bucketOf(rq)
	if err != nil {
		return err
	}
	o, err := h.e.StatObject(rq.Context(), b.ID, rq.key)
	if err != nil {
		return err
	}
	res := tagging{Xmlns: s3Namespace, TagSet: []tag{}}
	for k, v := range o.Tags {
		res.TagSet = append(res.TagSet, tag{Key: k, Value: v})
	}
	sortTags(res.TagSet)
	writeXML(w, http.StatusOK, res)
	return nil
}

func (h *Handler) deleteObjectTagging(w http.ResponseWriter, rq *request) error {
	b, err := h.bucketOf(rq)
	if err != nil {
		return err
	}
	if _, err := h.e.SetObjectTags(rq.Context(), b.ID, rq.key, nil); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func sortTags(ts []tag) {
	slices.SortFunc(ts, func(a, b tag) int { return strings.Compare(a.Key, b.Key) })
}
