package s3compat

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/johannesboyne/gofakes3"
)

// s3Namespace is the XML namespace of S3's documents.
const s3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/"

// maxXMLBody bounds XML request bodies: a DeleteObjects of 1000 keys of 1 KiB each, or a
// CompleteMultipartUpload of 10,000 parts, fits.
const maxXMLBody = 2 << 20

// writeXML sends v as an XML document with status.
func writeXML(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	if err := xml.NewEncoder(&buf).Encode(v); err != nil {
		http.Error(w, "encoding the response failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// readXML reads the request's whole body, at most maxXMLBody bytes, and decodes it into v. The
// body is read to its end first, so that its signature is checked before anything is done.
func readXML(rq *request, v any) error {
	body, err := io.ReadAll(io.LimitReader(rq.Body, maxXMLBody+1))
	if err != nil {
		return err
	}
	if len(body) > maxXMLBody {
		return newError(gofakes3.ErrMalformedXML, "The XML you provided is larger than %d bytes.", maxXMLBody)
	}
	if err := xml.Unmarshal(body, v); err != nil {
		var se *s3Error
		if errors.As(err, &se) {
			return se
		}
		return newError(gofakes3.ErrMalformedXML, "")
	}
	return nil
}
