package s3compat

import (
	"encoding/xml"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/johannesboyne/gofakes3"

	"github.com/jointcloud/jcs/engine"
)

// minPartSize is S3's least size of every part of a multipart upload but the last.
const minPartSize = 5 << 20

// maxPartSize is S3's largest part.
const maxPartSize = 5 << 30

// uploadOf returns the upload named by the request's uploadId, in its bucket and key.
func (h *Handler) uploadOf(rq *request, b engine.Bucket) (engine.Upload, error) {
	id, ok := engine.ParseUploadID(rq.URL.Query().Get("uploadId"))
	if !ok {
		return engine.Upload{}, newError(gofakes3.ErrNoSuchUpload, "The specified multipart upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.")
	}
	u, err := h.e.GetUpload(rq.Context(), b.ID, rq.key, id)
	if engine.KindOf(err) == engine.KindNotFound {
		return u, newError(gofakes3.ErrNoSuchUpload, "The specified multipart upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.")
	}
	return u, err
}

type initiateResult struct {
	XMLName  xml.Name `xml:"InitiateMultipartUploadResult"`
	Xmlns    string   `xml:"xmlns,attr"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	UploadID string   `xml:"UploadId"`
}

func (h *Handler) createMultipartUpload(w http.ResponseWriter, rq *request) error {
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
	alg, typ, err := uploadChecksum(rq.Header)
	if err != nil {
		return err
	}
	u, err := h.e.CreateUpload(rq.Context(), engine.Upload{Bucket: b.ID, Key: rq.key, Attrs: attrs, Tags: tags,
		ChecksumAlgorithm: alg, ChecksumType: typ, Initiator: rq.user})
	if err != nil {
		return err
	}
	if alg != "" {
		w.Header().Set("X-Amz-Checksum-Algorithm", alg)
		w.Header().Set("X-Amz-Checksum-Type", typ)
	}
	writeXML(w, http.StatusOK, initiateResult{Xmlns: s3Namespace, Bucket: b.Name, Key: rq.key, UploadID: u.ID.String()})
	return nil
}

// partNumber parses the request's partNumber.
func partNumber(rq *request) (int, error) {
	n, err := strconv.Atoi(rq.URL.Query().Get("partNumber"))
	if err != nil || n < 1 || n > engine.MaxUploadParts {
		return 0, newError(gofakes3.ErrInvalidArgument, "Part number must be an integer between 1 and %d, inclusive", engine.MaxUploadParts)
	}
	return n, nil
}

// partOf resolves what an UploadPart or UploadPartCopy writes: the bucket, the part number and
// the upload.
func (h *Handler) partOf(rq *request) (engine.Bucket, int, engine.Upload, error) {
	b, err := h.bucketOf(rq)
	if err != nil {
		return b, 0, engine.Upload{}, err
	}
	n, err := partNumber(rq)
	if err != nil {
		return b, 0, engine.Upload{}, err
	}
	u, err := h.uploadOf(rq, b)
	return b, n, u, err
}

func (h *Handler) uploadPart(w http.ResponseWriter, rq *request) error {
	b, n, u, err := h.partOf(rq)
	if err != nil {
		return err
	}
	body, err := h.uploadBody(rq)
	if err != nil {
		return err
	}
	if body.size > maxPartSize {
		return newError(errEntityTooLarge, "Your proposed upload exceeds the maximum allowed size")
	}
	if err := body.checkUploadAlgorithm(&u); err != nil {
		return err
	}
	p, err := h.e.PutPart(rq.Context(), engine.PutPartInput{Bucket: b.ID, Key: rq.key, Upload: u.ID, Number: n,
		Body: body, Size: body.size, Finish: body.finishPart, SHA256: body.sha})
	if err != nil {
		return body.verdict(err)
	}
	w.Header().Set("ETag", quoteETag(p.ETag))
	if body.alg != "" && p.Checksum != "" {
		w.Header().Set("X-Amz-Checksum-"+body.alg, p.Checksum)
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	return nil
}

type copyPartResult struct {
	XMLName      xml.Name             `xml:"CopyPartResult"`
	ETag         string               `xml:"ETag"`
	LastModified gofakes3.ContentTime `xml:"LastModified"`
}

func (h *Handler) uploadPartCopy(w http.ResponseWriter, rq *request) error {
	b, n, u, err := h.partOf(rq)
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
	rd, err := h.e.OpenKey(rq.Context(), sb.ID, skey)
	if engine.KindOf(err) == engine.KindNotFound {
		// Name the missing source: the request's uploadId would make it NoSuchUpload.
		return newError(gofakes3.ErrNoSuchKey, "The specified key does not exist.")
	}
	if err != nil {
		return err
	}
	defer rd.Close()
	if err := checkCopySourceConditions(rq.Header, &rd.Object); err != nil {
		return err
	}
	r := byteRange{off: 0, n: rd.Object.Size}
	if v := rq.Header.Get("X-Amz-Copy-Source-Range"); v != "" {
		var ok bool
		if r, ok = parseCopyRange(v, rd.Object.Size); !ok {
			return newError(gofakes3.ErrInvalidRange, "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy, within the source object")
		}
	}
	if r.n > maxPartSize {
		return newError(errEntityTooLarge, "Your proposed upload exceeds the maximum allowed size")
	}
	src := openRange(rd, r.off, r.n)
	defer src.Close()
	p, err := h.e.PutPart(rq.Context(), engine.PutPartInput{Bucket: b.ID, Key: rq.key, Upload: u.ID, Number: n,
		Body: src, Size: r.n})
	if err != nil {
		return err
	}
	writeXML(w, http.StatusOK, copyPartResult{ETag: quoteETag(p.ETag), LastModified: gofakes3.NewContentTime(p.Modified)})
	return nil
}

// parseCopyRange parses x-amz-copy-source-range, which unlike Range is strict: "bytes=first-last"
// with both offsets given and last within the source's size. S3 refuses a range past the end
// rather than clamping it, and has no suffix or open-ended form here.
func parseCopyRange(v string, size int64) (byteRange, bool) {
	spec, ok := strings.CutPrefix(v, "bytes=")
	if !ok {
		return byteRange{}, false
	}
	first, last, ok := strings.Cut(spec, "-")
	if !ok {
		return byteRange{}, false
	}
	off, err1 := strconv.ParseInt(first, 10, 64)
	end, err2 := strconv.ParseInt(last, 10, 64)
	if err1 != nil || err2 != nil || off < 0 || end < off || end >= size {
		return byteRange{}, false
	}
	return byteRange{off: off, n: end - off + 1}, true
}

type listPartsResult struct {
	XMLName              xml.Name           `xml:"ListPartsResult"`
	Xmlns                string             `xml:"xmlns,attr"`
	Bucket               string             `xml:"Bucket"`
	Key                  string             `xml:"Key"`
	UploadID             string             `xml:"UploadId"`
	Initiator            *gofakes3.UserInfo `xml:"Initiator"`
	Owner                *gofakes3.UserInfo `xml:"Owner"`
	StorageClass         string             `xml:"StorageClass"`
	PartNumberMarker     int                `xml:"PartNumberMarker"`
	NextPartNumberMarker int                `xml:"NextPartNumberMarker"`
	MaxParts             int                `xml:"MaxParts"`
	IsTruncated          bool               `xml:"IsTruncated"`
	ChecksumAlgorithm    string             `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType         string             `xml:"ChecksumType,omitempty"`
	Parts                []listedPart       `xml:"Part"`
}

type listedPart struct {
	PartNumber   int                  `xml:"PartNumber"`
	LastModified gofakes3.ContentTime `xml:"LastModified"`
	ETag         string               `xml:"ETag"`
	Size         int64                `xml:"Size"`
	checksumFields
}

// intParam parses an optional non-negative integer parameter, def if absent.
func intParam(rq *request, name string, def int) (int, error) {
	v := rq.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, newError(gofakes3.ErrInvalidArgument, "%s must be a non-negative integer", name)
	}
	return n, nil
}

func (h *Handler) listParts(w http.ResponseWriter, rq *request) error {
	b, err := h.bucketOf(rq)
	if err != nil {
		return err
	}
	u, err := h.uploadOf(rq, b)
	if err != nil {
		return err
	}
	marker, err := intParam(rq, "part-number-marker", 0)
	if err != nil {
		return err
	}
	limit, err := intParam(rq, "max-parts", 1000)
	if err != nil {
		return err
	}
	limit = min(limit, 1000)
	parts, truncated, err := h.e.ListParts(rq.Context(), b.ID, rq.key, u.ID, marker, limit)
	if err != nil {
		return err
	}
	res := listPartsResult{Xmlns: s3Namespace, Bucket: b.Name, Key: rq.key, UploadID: u.ID.String(),
		Initiator: owner(u.Initiator), Owner: owner(b.Owner), StorageClass: "STANDARD",
		PartNumberMarker: marker, MaxParts: limit, IsTruncated: truncated,
		ChecksumAlgorithm: u.ChecksumAlgorithm, ChecksumType: u.ChecksumType}
	for _, p := range parts {
		lp := listedPart{PartNumber: p.Number, LastModified: gofakes3.NewContentTime(p.Modified), ETag: quoteETag(p.ETag), Size: p.Size}
		lp.set(u.ChecksumAlgorithm, p.Checksum)
		res.Parts = append(res.Parts, lp)
		res.NextPartNumberMarker = p.Number
	}
	writeXML(w, http.StatusOK, res)
	return nil
}

type listUploadsResult struct {
	XMLName            xml.Name       `xml:"ListMultipartUploadsResult"`
	Xmlns              string         `xml:"xmlns,attr"`
	Bucket             string         `xml:"Bucket"`
	KeyMarker          string         `xml:"KeyMarker"`
	UploadIDMarker     string         `xml:"UploadIdMarker"`
	NextKeyMarker      string         `xml:"NextKeyMarker,omitempty"`
	NextUploadIDMarker string         `xml:"NextUploadIdMarker,omitempty"`
	Prefix             string         `xml:"Prefix"`
	Delimiter          string         `xml:"Delimiter,omitempty"`
	MaxUploads         int            `xml:"MaxUploads"`
	EncodingType       string         `xml:"EncodingType,omitempty"`
	IsTruncated        bool           `xml:"IsTruncated"`
	Uploads            []listedUpload `xml:"Upload"`
	CommonPrefixes     []commonPrefix `xml:"CommonPrefixes"`
}

type listedUpload struct {
	Key          string               `xml:"Key"`
	UploadID     string               `xml:"UploadId"`
	Initiator    *gofakes3.UserInfo   `xml:"Initiator"`
	Owner        *gofakes3.UserInfo   `xml:"Owner"`
	StorageClass string               `xml:"StorageClass"`
	Initiated    gofakes3.ContentTime `xml:"Initiated"`
}

func (h *Handler) listMultipartUploads(w http.ResponseWriter, rq *request) error {
	b, err := h.bucketOf(rq)
	if err != nil {
		return err
	}
	q := rq.URL.Query()
	p, err := parseListParams(q, "max-uploads")
	if err != nil {
		return err
	}
	in := engine.ListUploadsInput{Bucket: b.ID, Prefix: p.prefix, KeyMarker: q.Get("key-marker"), Limit: p.maxKeys}
	if v := q.Get("upload-id-marker"); v != "" && in.KeyMarker != "" {
		id, ok := engine.ParseUploadID(v)
		if !ok {
			return newError(gofakes3.ErrInvalidArgument, "Invalid uploadId marker")
		}
		in.IDMarker = &id
	}
	res := listUploadsResult{Xmlns: s3Namespace, Bucket: b.Name, KeyMarker: p.encode(in.KeyMarker),
		UploadIDMarker: q.Get("upload-id-marker"), Prefix: p.encode(p.prefix), Delimiter: p.encode(p.delimiter),
		MaxUploads: p.maxKeys, EncodingType: p.encodingType}
	// Uploads are few; fold delimiters over pages of them.
	seen := map[string]bool{}
	for in.Limit > 0 {
		ups, truncated, err := h.e.ListUploads(rq.Context(), in)
		if err != nil {
			return err
		}
		for _, u := range ups {
			in.KeyMarker, in.IDMarker = u.Key, &u.ID
			if len(res.Uploads)+len(res.CommonPrefixes) == p.maxKeys {
				res.IsTruncated = true
				break
			}
			if p.delimiter != "" {
				if i := strings.Index(u.Key[len(p.prefix):], p.delimiter); i >= 0 {
					cp := u.Key[:len(p.prefix)+i+len(p.delimiter)]
					if !seen[cp] {
						seen[cp] = true
						res.CommonPrefixes = append(res.CommonPrefixes, commonPrefix{Prefix: p.encode(cp)})
					}
					continue
				}
			}
			res.Uploads = append(res.Uploads, listedUpload{Key: p.encode(u.Key), UploadID: u.ID.String(),
				Initiator: owner(u.Initiator), Owner: owner(b.Owner), StorageClass: "STANDARD",
				Initiated: gofakes3.NewContentTime(u.Initiated)})
			res.NextKeyMarker, res.NextUploadIDMarker = p.encode(u.Key), u.ID.String()
		}
		if !truncated || res.IsTruncated {
			break
		}
	}
	writeXML(w, http.StatusOK, res)
	return nil
}

func (h *Handler) abortMultipartUpload(w http.ResponseWriter, rq *request) error {
	b, err := h.bucketOf(rq)
	if err != nil {
		return err
	}
	u, err := h.uploadOf(rq, b)
	if err != nil {
		return err
	}
	if err := h.e.AbortUpload(rq.Context(), b.ID, rq.key, u.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type completeRequest struct {
	XMLName xml.Name        `xml:"CompleteMultipartUpload"`
	Parts   []completedPart `xml:"Part"`
}

type completedPart struct {
	PartNumber int    `xml:"PartNumber"`
	ETag       string `xml:"ETag"`
	checksumFields
}

type completeResult struct {
	XMLName  xml.Name `xml:"CompleteMultipartUploadResult"`
	Xmlns    string   `xml:"xmlns,attr"`
	Location string   `xml:"Location"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	ETag     string   `xml:"ETag"`
	checksumFields
	ChecksumType string `xml:"ChecksumType,omitempty"`
}

func (h *Handler) completeMultipartUpload(w http.ResponseWriter, rq *request) error {
	b, err := h.bucketOf(rq)
	if err != nil {
		return err
	}
	var req completeRequest
	if err := readXML(rq, &req); err != nil {
		return err
	}
	if len(req.Parts) == 0 {
		return newError(gofakes3.ErrMalformedXML, "") // as S3 answers a Complete that lists no part
	}
	u, err := h.uploadOf(rq, b)
	if err != nil {
		return err
	}
	cond, err := writeCondition(rq.Header)
	if err != nil {
		return err
	}
	in := engine.CompleteUploadInput{Bucket: b.ID, Key: rq.key, Upload: u.ID, MinPartSize: minPartSize, Cond: cond}
	for _, p := range req.Parts {
		in.Parts = append(in.Parts, engine.CompletedPart{Number: p.PartNumber, ETag: unquoteETag(p.ETag)})
	}
	in.Finish = func(u *engine.Upload, parts []engine.UploadPartInfo) (engine.Checksum, error) {
		return completeChecksum(u, parts, req.Parts)
	}
	o, err := h.e.CompleteUpload(rq.Context(), in)
	if err != nil {
		return err
	}
	res := completeResult{Xmlns: s3Namespace, Location: "/" + b.Name + "/" + rq.key, Bucket: b.Name, Key: rq.key,
		ETag: quoteETag(o.ETag), ChecksumType: o.Checksum.Type}
	res.set(o.Checksum.Algorithm, o.Checksum.Value)
	writeXML(w, http.StatusOK, res)
	return nil
}

// openRange returns a reader of n bytes of an object from off. Close it before closing rd.
func openRange(rd *engine.ObjectReader, off, n int64) io.ReadCloser {
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, err := rd.WriteRange(pw, off, n)
		pw.CloseWithError(err)
	}()
	return &rangeReader{PipeReader: pr, done: done}
}

type rangeReader struct {
	*io.PipeReader
	done chan struct{}
}

// Close stops the copy and waits for it to end.
func (r *rangeReader) Close() error {
	r.PipeReader.Close()
	<-r.done
	return nil
}
