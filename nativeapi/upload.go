package nativeapi

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"

	"github.com/jointcloud/jcs/engine"
)

// maxEpilogue bounds what a multipart body may carry after its closing boundary.
const maxEpilogue = 64 << 10

// upload serves /v1/object/upload: multipart/form-data with an "info" part and then "files"
// parts whose filenames are URL-encoded object paths.
func (h *Handler) upload(_ http.ResponseWriter, r *http.Request) (any, error) {
	var info uploadInfo
	f, err := h.openForm(r, &info)
	if err != nil {
		return nil, err
	}
	if err := required("packageID", info.PackageID); err != nil {
		return nil, err
	}
	next := func() (engine.UploadFile, error) {
		p, path, err := f.nextFile("files")
		if err != nil {
			return engine.UploadFile{}, err
		}
		return engine.UploadFile{Path: path, Body: p, Size: -1}, nil
	}
	in := engine.UploadInput{PackageID: info.PackageID, Affinity: info.Affinity}
	objs, err := h.e.UploadObjects(r.Context(), in, next)
	if err != nil {
		return nil, err
	}
	return map[string]any{"uploadeds": toObjects(objs)}, nil
}

// uploadPart serves /v1/object/uploadPart: an "info" part with objectID and index, then one
// part named "file" (or "files") with the data.
func (h *Handler) uploadPart(_ http.ResponseWriter, r *http.Request) (any, error) {
	var info uploadPartInfo
	f, err := h.openForm(r, &info)
	if err != nil {
		return nil, err
	}
	if err := required("objectID", info.ObjectID); err != nil {
		return nil, err
	}
	if info.Index == nil {
		return nil, badArgument("index is required")
	}
	p, _, err := f.nextFile("file", "files")
	if err == io.EOF {
		return nil, badArgument("uploadPart needs a part named \"file\" with the data")
	}
	if err != nil {
		return nil, err
	}
	// The engine commits the part as soon as this reader returns io.EOF, so it returns io.EOF
	// only after the rest of the request has been read and its signature checked.
	body := &lastPartReader{part: p, form: f}
	return nil, h.e.UploadPart(r.Context(), info.ObjectID, *info.Index, body, -1)
}

// form reads a multipart/form-data request whose first part is a JSON "info" part.
type form struct {
	mr   *multipart.Reader
	body io.Reader // the request body, read to EOF by finish
}

// formReadBuffer is the read buffer under the multipart parser. mime/multipart reads through a
// 4 KiB buffer of its own, which would cost a socket read per 4 KiB of upload; reading the
// body 256 KiB at a time makes that a memory copy.
const formReadBuffer = 256 << 10

func (h *Handler) openForm(r *http.Request, info any) (*form, error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "multipart/form-data" && mt != "multipart/mixed") || params["boundary"] == "" {
		return nil, badArgument("request must be multipart/form-data with a boundary")
	}
	mr := multipart.NewReader(bufio.NewReaderSize(r.Body, formReadBuffer), params["boundary"])
	p, err := mr.NextPart()
	if err != nil {
		return nil, malformedForm(err)
	}
	if p.FormName() != "info" {
		return nil, badArgument(fmt.Sprintf("the first part must be named \"info\", not %q", p.FormName()))
	}
	b, err := h.readBody(p)
	if err != nil {
		return nil, malformedForm(err)
	}
	if err := decodeJSON(bytesReader(b), info); err != nil {
		return nil, err
	}
	return &form{mr: mr, body: r.Body}, nil
}

// nextFile returns the next part, which must be named one of names, and its object path: the
// part's URL-decoded filename. After the last part it reads the rest of the request to EOF,
// completing the body's signature check, and returns io.EOF.
func (f *form) nextFile(names ...string) (*multipart.Part, string, error) {
	p, err := f.mr.NextPart()
	if err == io.EOF {
		return nil, "", f.finish()
	}
	if err != nil {
		return nil, "", malformedForm(err)
	}
	if !slices.Contains(names, p.FormName()) {
		return nil, "", badArgument(fmt.Sprintf("unexpected part %q; file parts are named %q", p.FormName(), names[0]))
	}
	path, err := partPath(p)
	return p, path, err
}

// finish reads what follows the closing boundary to EOF and returns io.EOF, or the error
// that reading met (a signature found wrong at the end of the body).
func (f *form) finish() error {
	n, err := io.Copy(io.Discard, io.LimitReader(f.body, maxEpilogue+1))
	switch {
	case err != nil:
		return malformedForm(err)
	case n > maxEpilogue:
		return badArgument("too much data after the closing multipart boundary")
	}
	return io.EOF
}

// partPath returns the object path a file part names: its Content-Disposition filename,
// URL-decoded. (multipart.Part.FileName would strip directories from an unencoded path.)
func partPath(p *multipart.Part) (string, error) {
	_, params, err := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
	if err != nil {
		return "", badArgument("file part has a malformed Content-Disposition: " + err.Error())
	}
	name, ok := params["filename"]
	if !ok || name == "" {
		return "", badArgument("file part has no filename; it must be the URL-encoded object path")
	}
	path, err := url.PathUnescape(name)
	if err != nil {
		return "", badArgument(fmt.Sprintf("filename %q is not validly URL-encoded", name))
	}
	return path, nil
}

// lastPartReader reads the data part of uploadPart and, at its end, checks that no other part
// follows and reads the request to EOF before reporting io.EOF.
type lastPartReader struct {
	part *multipart.Part
	form *form
}

func (l *lastPartReader) Read(p []byte) (int, error) {
	n, err := l.part.Read(p)
	if err != io.EOF {
		return n, err
	}
	switch _, _, err := l.form.nextFile("file", "files"); {
	case err == io.EOF:
		return n, io.EOF
	case err != nil:
		return n, err
	}
	return n, badArgument("uploadPart takes exactly one data part")
}

// malformedForm reports a broken multipart body, keeping the cause in the chain so that a
// signature error found at the end of the body is reported as one.
func malformedForm(err error) error {
	var ae *apiError
	if errors.As(err, &ae) {
		return err
	}
	return &apiError{status: http.StatusBadRequest, code: codeBadArgument,
		msg: "malformed multipart body: " + err.Error(), cause: err}
}
