package nativeapi

import (
	"encoding/hex"
	"fmt"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/jointcloud/jcs/engine"
)

// download serves /v1/object/download?objectID=&offset=&length=.
func (h *Handler) download(w http.ResponseWriter, r *http.Request) (any, error) {
	id, err := queryID(r, "objectID")
	if err != nil {
		return nil, err
	}
	rd, err := h.e.OpenObject(r.Context(), engine.ObjectID(id))
	if err != nil {
		return nil, err
	}
	return sendObject(w, r, rd)
}

// downloadByPath serves /v1/object/downloadByPath?packageID=&path=&offset=&length=.
func (h *Handler) downloadByPath(w http.ResponseWriter, r *http.Request) (any, error) {
	pkg, err := queryID(r, "packageID")
	if err != nil {
		return nil, err
	}
	p := r.URL.Query().Get("path")
	if p == "" {
		return nil, badArgument("query parameter path is required")
	}
	rd, err := h.e.OpenObjectByPath(r.Context(), engine.PackageID(pkg), p)
	if err != nil {
		return nil, err
	}
	return sendObject(w, r, rd)
}

// sendObject answers with the requested bytes of an object: all of it, the offset/length of
// the query (200), or a single HTTP Range (206).
func sendObject(w http.ResponseWriter, r *http.Request, rd *engine.ObjectReader) (any, error) {
	defer rd.Close()
	o := &rd.Object
	off, n, partial, err := requestedRange(w, r, o.Size)
	if err != nil {
		return nil, err
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/octet-stream")
	hd.Set("Content-Length", strconv.FormatInt(n, 10))
	hd.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": path.Base(o.Path)}))
	hd.Set("ETag", `"`+hex.EncodeToString(o.SHA256[:])+`"`)
	hd.Set("Last-Modified", o.UpdateTime.UTC().Format(http.TimeFormat))
	hd.Set("Accept-Ranges", "bytes")
	status := http.StatusOK
	if partial {
		status = http.StatusPartialContent
		hd.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", off, off+n-1, o.Size))
	}
	if r.Method == http.MethodHead || n == 0 {
		w.WriteHeader(status)
		return streamed, nil
	}
	// The status goes out with the first byte, so that a read that fails before producing any
	// (too few shards) is still answered with a JSON error rather than a cut connection.
	lw := &lazyHeaderWriter{w: w, status: status}
	if _, err := rd.WriteRange(lw, off, n); err != nil {
		if !lw.started {
			for _, h := range []string{"Content-Disposition", "Content-Range", "ETag", "Last-Modified", "Accept-Ranges"} {
				hd.Del(h)
			}
		}
		return nil, err
	}
	return streamed, nil
}

// lazyHeaderWriter sends the response status just before the first byte of the body.
type lazyHeaderWriter struct {
	w       http.ResponseWriter
	status  int
	started bool
}

func (l *lazyHeaderWriter) Write(p []byte) (int, error) {
	if !l.started {
		l.started = true
		l.w.WriteHeader(l.status)
	}
	return l.w.Write(p)
}

// requestedRange resolves the bytes a download asks for. The query's offset and length are
// checked strictly: a range past the end is an error, not silently shortened. An HTTP Range
// header follows RFC 9110: one range is served with 206, several or an unparseable one are
// ignored, and an unsatisfiable one is a 416.
func requestedRange(w http.ResponseWriter, r *http.Request, size int64) (off, n int64, partial bool, err error) {
	off, hasOff, err := queryInt(r, "offset")
	if err != nil {
		return 0, 0, false, err
	}
	length, hasLen, err := queryInt(r, "length")
	if err != nil {
		return 0, 0, false, err
	}
	if hdr := r.Header.Get("Range"); hdr != "" {
		if hasOff || hasLen {
			return 0, 0, false, badArgument("use either the Range header or offset/length, not both")
		}
		return rangeHeader(w, hdr, size)
	}
	if off > size {
		return 0, 0, false, badArgument(fmt.Sprintf("offset %d is past the end of the object (%d bytes)", off, size))
	}
	if !hasLen {
		return off, size - off, false, nil
	}
	if length > size-off {
		return 0, 0, false, badArgument(fmt.Sprintf("offset %d + length %d is past the end of the object (%d bytes)", off, length, size))
	}
	return off, length, false, nil
}

// rangeHeader resolves a Range header against an object of size bytes.
func rangeHeader(w http.ResponseWriter, hdr string, size int64) (off, n int64, partial bool, err error) {
	spec, ok := strings.CutPrefix(hdr, "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return 0, size, false, nil // not a single byte range: ignore it
	}
	first, last, ok := strings.Cut(strings.TrimSpace(spec), "-")
	if !ok {
		return 0, size, false, nil
	}
	var start, end int64
	switch {
	case first == "": // suffix: the last N bytes
		suffix, err := strconv.ParseInt(last, 10, 64)
		if err != nil || suffix < 0 {
			return 0, size, false, nil
		}
		if suffix == 0 || size == 0 {
			return 0, 0, false, unsatisfiable(w, hdr, size)
		}
		start, end = max(size-suffix, 0), size-1
	default:
		s, err := strconv.ParseInt(first, 10, 64)
		if err != nil || s < 0 {
			return 0, size, false, nil
		}
		e := size - 1 // an open range, "first-"
		if last != "" {
			if e, err = strconv.ParseInt(last, 10, 64); err != nil || e < s {
				return 0, size, false, nil
			}
		}
		if s >= size {
			return 0, 0, false, unsatisfiable(w, hdr, size)
		}
		start, end = s, min(e, size-1)
	}
	return start, end - start + 1, true, nil
}

func unsatisfiable(w http.ResponseWriter, hdr string, size int64) error {
	w.Header().Set("Content-Range", fmt.Sprintf("bytes */%d", size))
	return &apiError{status: http.StatusRequestedRangeNotSatisfiable, code: codeBadArgument,
		msg: fmt.Sprintf("range %q is not satisfiable for an object of %d bytes", hdr, size)}
}
