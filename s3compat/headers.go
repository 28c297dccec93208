package s3compat

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/johannesboyne/gofakes3"

	"github.com/jointcloud/jcs/engine"
)

// maxUserMetadata bounds the user metadata of an object, keys and values together, as S3 does.
const maxUserMetadata = 2 << 10

const metaPrefix = "X-Amz-Meta-"

// defaultContentType is what S3 answers for an object stored without a Content-Type.
const defaultContentType = "binary/octet-stream"

// attributesFrom takes the stored attributes from a request's headers: user metadata
// (x-amz-meta-*, names lower-cased), Content-Type, Content-Encoding without aws-chunked,
// Content-Disposition, Content-Language, Cache-Control and Expires. No other header is ever
// stored or replayed.
func attributesFrom(hd http.Header) (engine.Attributes, error) {
	a := engine.Attributes{
		ContentType:        hd.Get("Content-Type"),
		ContentEncoding:    stripAWSChunked(hd.Get("Content-Encoding")),
		ContentDisposition: hd.Get("Content-Disposition"),
		ContentLanguage:    hd.Get("Content-Language"),
		CacheControl:       hd.Get("Cache-Control"),
		Expires:            hd.Get("Expires"),
	}
	size := 0
	for k, vs := range hd {
		if !strings.HasPrefix(k, metaPrefix) || len(k) == len(metaPrefix) {
			continue
		}
		name := strings.ToLower(k[len(metaPrefix):])
		v := strings.Join(vs, ",")
		if a.Meta == nil {
			a.Meta = map[string]string{}
		}
		a.Meta[name] = v
		size += len(name) + len(v)
	}
	if size > maxUserMetadata {
		return a, newError(gofakes3.ErrMetadataTooLarge, "Your metadata headers exceed the maximum allowed metadata size of %d bytes.", maxUserMetadata)
	}
	return a, nil
}

// stripAWSChunked removes the aws-chunked coding, which describes the request's framing, not
// the object.
func stripAWSChunked(ce string) string {
	if ce == "" {
		return ""
	}
	var keep []string
	for c := range strings.SplitSeq(ce, ",") {
		if c = strings.TrimSpace(c); c != "" && !strings.EqualFold(c, "aws-chunked") {
			keep = append(keep, c)
		}
	}
	return strings.Join(keep, ", ")
}

// quoteETag returns an ETag as S3 sends it, in double quotes.
func quoteETag(etag string) string { return `"` + etag + `"` }

// unquoteETag strips the quotes (and a weak prefix) a client may put around an ETag.
func unquoteETag(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "W/")
	return strings.Trim(s, `"`)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// setObjectHeaders writes the headers of a GET or HEAD of o, with the response-* overrides of
// the query.
func setObjectHeaders(hd http.Header, o *engine.Object, q url.Values) {
	a := &o.Attrs
	ct := a.ContentType
	if ct == "" {
		ct = defaultContentType
	}
	set := func(name, v, override string) {
		if ov := q.Get(override); ov != "" {
			v = ov
		}
		if v != "" {
			hd.Set(name, v)
		}
	}
	set("Content-Type", ct, "response-content-type")
	set("Content-Encoding", a.ContentEncoding, "response-content-encoding")
	set("Content-Disposition", a.ContentDisposition, "response-content-disposition")
	set("Content-Language", a.ContentLanguage, "response-content-language")
	set("Cache-Control", a.CacheControl, "response-cache-control")
	set("Expires", a.Expires, "response-expires")
	hd.Set("ETag", quoteETag(o.ETag))
	hd.Set("Last-Modified", o.UpdateTime.UTC().Format(http.TimeFormat))
	hd.Set("Accept-Ranges", "bytes")
	keys := make([]string, 0, len(a.Meta))
	for k := range a.Meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		hd[strings.ToLower(metaPrefix)+k] = []string{a.Meta[k]} // as stored: lower case
	}
	if len(o.Tags) > 0 {
		hd.Set("X-Amz-Tagging-Count", strconv.Itoa(len(o.Tags)))
	}
}

// checkReadConditions applies RFC 7232's conditional headers to a GET or HEAD of o, as S3
// does: If-Match before If-Unmodified-Since, If-None-Match before If-Modified-Since.
func checkReadConditions(hd http.Header, o *engine.Object) error {
	mtime := o.UpdateTime.Truncate(time.Second)
	if im := hd.Get("If-Match"); im != "" {
		if !etagListMatches(im, o.ETag) {
			return newError(gofakes3.ErrPreconditionFailed, "At least one of the pre-conditions you specified did not hold")
		}
	} else if t, ok := httpTime(hd.Get("If-Unmodified-Since")); ok && mtime.After(t) {
		return newError(gofakes3.ErrPreconditionFailed, "At least one of the pre-conditions you specified did not hold")
	}
	if inm := hd.Get("If-None-Match"); inm != "" {
		if etagListMatches(inm, o.ETag) {
			return newError(gofakes3.ErrNotModified, "Not Modified")
		}
	} else if t, ok := httpTime(hd.Get("If-Modified-Since")); ok && !mtime.After(t) {
		return newError(gofakes3.ErrNotModified, "Not Modified")
	}
	return nil
}

// checkCopySourceConditions applies the x-amz-copy-source-if-* headers to a copy's source.
func checkCopySourceConditions(hd http.Header, o *engine.Object) error {
	mtime := o.UpdateTime.Truncate(time.Second)
	fail := newError(gofakes3.ErrPreconditionFailed, "At least one of the pre-conditions you specified did not hold")
	im, inm := hd.Get("X-Amz-Copy-Source-If-Match"), hd.Get("X-Amz-Copy-Source-If-None-Match")
	if im != "" && !etagListMatches(im, o.ETag) {
		return fail
	}
	if t, ok := httpTime(hd.Get("X-Amz-Copy-Source-If-Unmodified-Since")); ok && im == "" && mtime.After(t) {
		return fail
	}
	if inm != "" && etagListMatches(inm, o.ETag) {
		return fail
	}
	if t, ok := httpTime(hd.Get("X-Amz-Copy-Source-If-Modified-Since")); ok && inm == "" && !mtime.After(t) {
		return fail
	}
	return nil
}

// etagListMatches reports whether a comma-separated list of ETags (or "*") names etag.
func etagListMatches(list, etag string) bool {
	for t := range strings.SplitSeq(list, ",") {
		if t = strings.TrimSpace(t); t == "*" || unquoteETag(t) == etag {
			return true
		}
	}
	return false
}

func httpTime(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	t, err := http.ParseTime(s)
	return t, err == nil
}

// writeCondition reads a conditional write's If-Match and If-None-Match. S3 accepts only "*"
// for If-None-Match.
func writeCondition(hd http.Header) (engine.WriteCondition, error) {
	c := engine.WriteCondition{IfMatch: unquoteETag(hd.Get("If-Match")), IfNoneMatch: strings.TrimSpace(hd.Get("If-None-Match"))}
	if c.IfNoneMatch != "" && c.IfNoneMatch != "*" {
		return c, newError(gofakes3.ErrNotImplemented, "If-None-Match on writes supports only \"*\"")
	}
	return c, nil
}

// byteRange is a resolved range of an object: n bytes from off.
type byteRange struct{ off, n int64 }

// parseRange resolves a Range header against size. ok is false when the header is absent or
// not a single byte range S3 would honour (the whole object is then sent); an unsatisfiable
// range is InvalidRange.
func parseRange(h string, size int64) (byteRange, bool, error) {
	spec, found := strings.CutPrefix(strings.TrimSpace(h), "bytes=")
	if !found || strings.Contains(spec, ",") {
		return byteRange{}, false, nil
	}
	first, last, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return byteRange{}, false, nil
	}
	invalid := newError(gofakes3.ErrInvalidRange, "The requested range is not satisfiable")
	if first == "" { // suffix: the last n bytes
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil || n < 0 {
			return byteRange{}, false, nil
		}
		if n == 0 || size == 0 {
			return byteRange{}, false, invalid
		}
		n = min(n, size)
		return byteRange{off: size - n, n: n}, true, nil
	}
	off, err := strconv.ParseInt(first, 10, 64)
	if err != nil || off < 0 {
		return byteRange{}, false, nil
	}
	end := size - 1
	if last != "" {
		if end, err = strconv.ParseInt(last, 10, 64); err != nil || end < off {
			return byteRange{}, false, nil
		}
		end = min(end, size-1)
	}
	if off >= size {
		return byteRange{}, false, invalid
	}
	return byteRange{off: off, n: end - off + 1}, true, nil
}

// maxTags and the tag limits are S3's.
const (
	maxTags        = 10
	maxTagKeyLen   = 128
	maxTagValueLen = 256
)

// tagging is the XML of object tags.
type tagging struct {
	XMLName xml.Name `xml:"Tagging"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	TagSet  []tag    `xml:"TagSet>Tag"`
}

type tag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

// validateTags checks S3's tag limits and returns the tags as a map.
func validateTags(tags []tag) (map[string]string, error) {
	if len(tags) > maxTags {
		return nil, newError(errInvalidTag, "Object tags cannot be greater than %d", maxTags)
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		switch {
		case t.Key == "" || len([]rune(t.Key)) > maxTagKeyLen:
			return nil, newError(errInvalidTag, "The TagKey you have provided is invalid")
		case len([]rune(t.Value)) > maxTagValueLen:
			return nil, newError(errInvalidTag, "The TagValue you have provided is invalid")
		}
		if _, dup := m[t.Key]; dup {
			return nil, newError(errInvalidTag, "Cannot provide multiple Tags with the same key")
		}
		m[t.Key] = t.Value
	}
	return m, nil
}

// tagsFromHeader parses x-amz-tagging, a URL query string; absent gives nil.
func tagsFromHeader(v string) (map[string]string, error) {
	if v == "" {
		return nil, nil
	}
	q, err := url.ParseQuery(v)
	if err != nil {
		return nil, newError(errInvalidTag, "The x-amz-tagging header is not a valid query string")
	}
	var tags []tag
	for k, vs := range q {
		for _, val := range vs {
			tags = append(tags, tag{Key: k, Value: val})
		}
	}
	return validateTags(tags)
}
