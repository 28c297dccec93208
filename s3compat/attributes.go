package s3compat

import (
	"encoding/xml"
	"net/http"
	"strings"

	"github.com/johannesboyne/gofakes3"
)

type objectAttributes struct {
	XMLName      xml.Name      `xml:"GetObjectAttributesResponse"`
	Xmlns        string        `xml:"xmlns,attr"`
	ETag         string        `xml:"ETag,omitempty"`
	Checksum     *attrChecksum `xml:"Checksum,omitempty"`
	ObjectParts  *attrParts    `xml:"ObjectParts,omitempty"`
	StorageClass string        `xml:"StorageClass,omitempty"`
	ObjectSize   *int64        `xml:"ObjectSize,omitempty"`
}

type attrChecksum struct {
	checksumFields
	ChecksumType string `xml:"ChecksumType,omitempty"`
}

// checksumFields are the elements S3 documents use for a checksum, one per algorithm; at most
// one is set. Embedded, they appear inline in the enclosing element.
type checksumFields struct {
	ChecksumCRC32     string `xml:"ChecksumCRC32,omitempty"`
	ChecksumCRC32C    string `xml:"ChecksumCRC32C,omitempty"`
	ChecksumCRC64NVME string `xml:"ChecksumCRC64NVME,omitempty"`
	ChecksumSHA1      string `xml:"ChecksumSHA1,omitempty"`
	ChecksumSHA256    string `xml:"ChecksumSHA256,omitempty"`
}

// field returns the element of algorithm alg, nil for an unknown one.
func (c *checksumFields) field(alg string) *string {
	switch alg {
	case "CRC32":
		return &c.ChecksumCRC32
	case "CRC32C":
		return &c.ChecksumCRC32C
	case "CRC64NVME":
		return &c.ChecksumCRC64NVME
	case "SHA1":
		return &c.ChecksumSHA1
	case "SHA256":
		return &c.ChecksumSHA256
	}
	return nil
}

// set stores v as the checksum of algorithm alg; an unknown algorithm sets nothing.
func (c *checksumFields) set(alg, v string) {
	if f := c.field(alg); f != nil {
		*f = v
	}
}

// get returns the checksum of algorithm alg, "" if none.
func (c *checksumFields) get(alg string) string {
	if f := c.field(alg); f != nil {
		return *f
	}
	return ""
}

// attrParts is GetObjectAttributesParts: S3 spells the count PartsCount on the wire (the SDKs
// call the field TotalPartsCount).
type attrParts struct {
	TotalPartsCount int `xml:"PartsCount"`
}

// getObjectAttributes answers the attributes x-amz-object-attributes names: ETag, Checksum,
// ObjectParts, StorageClass and ObjectSize.
func (h *Handler) getObjectAttributes(w http.ResponseWriter, rq *request) error {
	b, err := h.bucketOf(rq)
	if err != nil {
		return err
	}
	if err := checkVersion(rq); err != nil {
		return err
	}
	want := map[string]bool{}
	for _, v := range rq.Header.Values("X-Amz-Object-Attributes") {
		for a := range strings.SplitSeq(v, ",") {
			want[strings.TrimSpace(a)] = true
		}
	}
	if len(want) == 0 {
		return newError(errInvalidRequest, "The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty")
	}
	for a := range want {
		switch a {
		case "ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize":
		default:
			return newError(gofakes3.ErrInvalidArgument, "Invalid attribute name specified: %s", a)
		}
	}
	o, err := h.e.StatObject(rq.Context(), b.ID, rq.key)
	if err != nil {
		return err
	}
	res := objectAttributes{Xmlns: s3Namespace}
	if want["ETag"] {
		res.ETag = o.ETag
	}
	if want["Checksum"] && o.Checksum.Algorithm != "" {
		c := &attrChecksum{ChecksumType: o.Checksum.Type}
		c.set(o.Checksum.Algorithm, o.Checksum.Value)
		res.Checksum = c
	}
	if want["ObjectParts"] {
		if i := strings.LastIndexByte(o.ETag, '-'); i >= 0 {
			n := 0
			for _, c := range o.ETag[i+1:] {
				n = n*10 + int(c-'0')
			}
			res.ObjectParts = &attrParts{TotalPartsCount: n}
		}
	}
	if want["StorageClass"] {
		res.StorageClass = "STANDARD"
	}
	if want["ObjectSize"] {
		res.ObjectSize = &o.Size
	}
	w.Header().Set("Last-Modified", o.UpdateTime.UTC().Format(http.TimeFormat))
	writeXML(w, http.StatusOK, res)
	return nil
}
