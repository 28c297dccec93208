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
	ChecksumCRC32     string `xml:"ChecksumCRC32,omitempty"`
	ChecksumCRC32C    string `xml:"ChecksumCRC32C,omitempty"`
	ChecksumCRC64NVME string `xml:"ChecksumCRC64NVME,omitempty"`
	ChecksumSHA1      string `xml:"ChecksumSHA1,omitempty"`
	ChecksumSHA256    string `xml:"ChecksumSHA256,omitempty"`
	ChecksumType      string `xml:"ChecksumType,omitempty"`
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
		switch o.Checksum.Algorithm {
		case "CRC32":
			c.ChecksumCRC32 = o.Checksum.Value
		case "CRC32C":
			c.ChecksumCRC32C = o.Checksum.Value
		case "CRC64NVME":
			c.ChecksumCRC64NVME = o.Checksum.Value
		case "SHA1":
			c.ChecksumSHA1 = o.Checksum.Value
		case "SHA256":
			c.ChecksumSHA256 = o.Checksum.Value
		}
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
