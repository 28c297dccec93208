package s3compat

import (
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"net/url"
	"strconv"

	"github.com/johannesboyne/gofakes3"

	"github.com/jointcloud/jcs/engine"
)

// The listing documents are declared here rather than taken from gofakes3: S3 always sends
// MaxKeys and KeyCount (0 included) and echoes EncodingType, which gofakes3's types omit.

type listEntry struct {
	Key               string               `xml:"Key"`
	LastModified      gofakes3.ContentTime `xml:"LastModified"`
	ETag              string               `xml:"ETag"`
	ChecksumAlgorithm string               `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType      string               `xml:"ChecksumType,omitempty"`
	Size              int64                `xml:"Size"`
	Owner             *gofakes3.UserInfo   `xml:"Owner,omitempty"`
	StorageClass      string               `xml:"StorageClass"`
}

type commonPrefix struct {
	Prefix string `xml:"Prefix"`
}

type listBucketResult struct {
	XMLName               xml.Name       `xml:"ListBucketResult"`
	Xmlns                 string         `xml:"xmlns,attr"`
	Name                  string         `xml:"Name"`
	Prefix                string         `xml:"Prefix"`
	Marker                *string        `xml:"Marker"`
	NextMarker            string         `xml:"NextMarker,omitempty"`
	ContinuationToken     string         `xml:"ContinuationToken,omitempty"`
	NextContinuationToken string         `xml:"NextContinuationToken,omitempty"`
	StartAfter            string         `xml:"StartAfter,omitempty"`
	KeyCount              *int           `xml:"KeyCount"`
	MaxKeys               int            `xml:"MaxKeys"`
	Delimiter             string         `xml:"Delimiter,omitempty"`
	EncodingType          string         `xml:"EncodingType,omitempty"`
	IsTruncated           bool           `xml:"IsTruncated"`
	Contents              []listEntry    `xml:"Contents"`
	CommonPrefixes        []commonPrefix `xml:"CommonPrefixes"`
}

// listParams are the parameters every listing shares.
type listParams struct {
	prefix, delimiter string
	maxKeys           int
	encode            func(string) string // identity, or URL encoding with encoding-type=url
	encodingType      string
}

func parseListParams(q url.Values, maxName string) (listParams, error) {
	p := listParams{prefix: q.Get("prefix"), delimiter: q.Get("delimiter"), maxKeys: engine.MaxListKeys,
		encode: func(s string) string { return s }}
	if v := q.Get(maxName); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return p, newError(gofakes3.ErrInvalidArgument, "%s must be a non-negative integer", maxName)
		}
		p.maxKeys = min(n, engine.MaxListKeys)
	}
	switch et := q.Get("encoding-type"); et {
	case "":
	case "url":
		p.encodingType = et
		p.encode = url.QueryEscape
	default:
		return p, newError(gofakes3.ErrInvalidArgument, "Invalid Encoding Method specified in Request")
	}
	return p, nil
}

// list runs one page of a listing from after.
func (h *Handler) list(rq *request, b engine.Bucket, p listParams, after string) (engine.ListKeysResult, error) {
	if p.maxKeys == 0 {
		return engine.ListKeysResult{}, nil
	}
	return h.e.ListKeys(rq.Context(), engine.ListKeysInput{Bucket: b.ID, Prefix: p.prefix, Delimiter: p.delimiter,
		After: after, Limit: p.maxKeys})
}

func (p listParams) fill(res *listBucketResult, page engine.ListKeysResult, own *gofakes3.UserInfo) {
	res.Xmlns = s3Namespace
	res.Prefix, res.Delimiter = p.encode(p.prefix), p.encode(p.delimiter)
	res.MaxKeys, res.EncodingType, res.IsTruncated = p.maxKeys, p.encodingType, page.Truncated
	for _, e := range page.Objects {
		le := listEntry{Key: p.encode(e.Key), LastModified: gofakes3.NewContentTime(e.Object.UpdateTime),
			ETag: quoteETag(e.Object.ETag), Size: e.Object.Size, StorageClass: "STANDARD",
			ChecksumAlgorithm: e.Object.Checksum.Algorithm, ChecksumType: e.Object.Checksum.Type}
		le.Owner = own
		res.Contents = append(res.Contents, le)
	}
	for _, cp := range page.CommonPrefixes {
		res.CommonPrefixes = append(res.CommonPrefixes, commonPrefix{Prefix: p.encode(cp)})
	}
}

func (h *Handler) listObjects(w http.ResponseWriter, rq *request) error {
	q := rq.URL.Query()
	if q.Get("list-type") == "2" {
		return h.listObjectsV2(w, rq)
	}
	if lt := q.Get("list-type"); lt != "" {
		return newError(gofakes3.ErrInvalidArgument, "Invalid list-type %q", lt)
	}
	b, err := h.bucketOf(rq)
	if err != nil {
		return err
	}
	p, err := parseListParams(q, "max-keys")
	if err != nil {
		return err
	}
	marker := q.Get("marker")
	page, err := h.list(rq, b, p, marker)
	if err != nil {
		return err
	}
	res := listBucketResult{Name: b.Name}
	m := p.encode(marker)
	res.Marker = &m
	p.fill(&res, page, owner(b.Owner))
	if page.Truncated {
		res.NextMarker = p.encode(page.Next)
	}
	writeXML(w, http.StatusOK, res)
	return nil
}

func (h *Handler) listObjectsV2(w http.ResponseWriter, rq *request) error {
	b, err := h.bucketOf(rq)
	if err != nil {
		return err
	}
	q := rq.URL.Query()
	p, err := parseListParams(q, "max-keys")
	if err != nil {
		return err
	}
	after := q.Get("start-after")
	token := q.Get("continuation-token")
	if q.Has("continuation-token") {
		raw, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || len(raw) == 0 {
			return newError(gofakes3.ErrInvalidArgument, "The continuation token provided is incorrect")
		}
		after = string(raw)
	}
	fetchOwner := false
	if v := q.Get("fetch-owner"); v != "" {
		if fetchOwner, err = strconv.ParseBool(v); err != nil {
			return newError(gofakes3.ErrInvalidArgument, "fetch-owner must be true or false")
		}
	}
	page, err := h.list(rq, b, p, after)
	if err != nil {
		return err
	}
	res := listBucketResult{Name: b.Name, ContinuationToken: token, StartAfter: p.encode(q.Get("start-after"))}
	var own *gofakes3.UserInfo
	if fetchOwner {
		own = owner(b.Owner)
	}
	p.fill(&res, page, own)
	n := len(page.Objects) + len(page.CommonPrefixes)
	res.KeyCount = &n
	if page.Truncated {
		res.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(page.Next))
	}
	writeXML(w, http.StatusOK, res)
	return nil
}

type listVersionsResult struct {
	XMLName             xml.Name       `xml:"ListVersionsResult"`
	Xmlns               string         `xml:"xmlns,attr"`
	Name                string         `xml:"Name"`
	Prefix              string         `xml:"Prefix"`
	KeyMarker           string         `xml:"KeyMarker"`
	VersionIDMarker     string         `xml:"VersionIdMarker"`
	NextKeyMarker       string         `xml:"NextKeyMarker,omitempty"`
	NextVersionIDMarker string         `xml:"NextVersionIdMarker,omitempty"`
	MaxKeys             int            `xml:"MaxKeys"`
	Delimiter           string         `xml:"Delimiter,omitempty"`
	EncodingType        string         `xml:"EncodingType,omitempty"`
	IsTruncated         bool           `xml:"IsTruncated"`
	Versions            []version      `xml:"Version"`
	CommonPrefixes      []commonPrefix `xml:"CommonPrefixes"`
}

type version struct {
	Key          string               `xml:"Key"`
	VersionID    string               `xml:"VersionId"`
	IsLatest     bool                 `xml:"IsLatest"`
	LastModified gofakes3.ContentTime `xml:"LastModified"`
	ETag         string               `xml:"ETag"`
	Size         int64                `xml:"Size"`
	Owner        *gofakes3.UserInfo   `xml:"Owner"`
	StorageClass string               `xml:"StorageClass"`
}

// listObjectVersions lists an unversioned bucket's objects as S3 does: each the one, latest
// version "null".
func (h *Handler) listObjectVersions(w http.ResponseWriter, rq *request) error {
	b, err := h.bucketOf(rq)
	if err != nil {
		return err
	}
	q := rq.URL.Query()
	p, err := parseListParams(q, "max-keys")
	if err != nil {
		return err
	}
	keyMarker := q.Get("key-marker")
	after := keyMarker
	if vm := q.Get("version-id-marker"); vm != "" && vm != "null" {
		return newError(gofakes3.ErrInvalidArgument, "Invalid version id specified")
	} else if vm == "null" && keyMarker != "" {
		after = keyMarker // the marker's one version is done: resume after the key
	}
	page, err := h.list(rq, b, p, after)
	if err != nil {
		return err
	}
	res := listVersionsResult{Xmlns: s3Namespace, Name: b.Name, Prefix: p.encode(p.prefix), KeyMarker: p.encode(keyMarker),
		VersionIDMarker: q.Get("version-id-marker"), MaxKeys: p.maxKeys, Delimiter: p.encode(p.delimiter),
		EncodingType: p.encodingType, IsTruncated: page.Truncated}
	for _, e := range page.Objects {
		res.Versions = append(res.Versions, version{Key: p.encode(e.Key), VersionID: "null", IsLatest: true,
			LastModified: gofakes3.NewContentTime(e.Object.UpdateTime), ETag: quoteETag(e.Object.ETag),
			Size: e.Object.Size, Owner: owner(b.Owner), StorageClass: "STANDARD"})
	}
	for _, cp := range page.CommonPrefixes {
		res.CommonPrefixes = append(res.CommonPrefixes, commonPrefix{Prefix: p.encode(cp)})
	}
	if page.Truncated {
		res.NextKeyMarker, res.NextVersionIDMarker = p.encode(page.Next), "null"
	}
	writeXML(w, http.StatusOK, res)
	return nil
}
