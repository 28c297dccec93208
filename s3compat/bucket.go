package s3compat

import (
	"encoding/xml"
	"errors"
	"net"
	"net/http"
	"strings"

	"github.com/johannesboyne/gofakes3"

	"github.com/jointcloud/jcs/engine"
)

// owner is the Owner element of listings: the user's ID and name.
func owner(u engine.UserID) *gofakes3.UserInfo {
	id := "jcs-user-" + itoa(int64(u))
	return &gofakes3.UserInfo{ID: id, DisplayName: id}
}

// bucketOf returns the request's bucket if the caller may use it: its owner or root. Another
// user's bucket is AccessDenied, as S3 answers for a bucket that exists but is not yours.
func (h *Handler) bucketOf(rq *request) (engine.Bucket, error) {
	b, err := h.e.GetBucketByName(rq.Context(), rq.bucket)
	if err != nil {
		if engine.KindOf(err) == engine.KindNotFound {
			return engine.Bucket{}, newError(gofakes3.ErrNoSuchBucket, "The specified bucket does not exist")
		}
		return engine.Bucket{}, err
	}
	if !rq.root() && b.Owner != rq.user {
		return engine.Bucket{}, newError(errAccessDenied, "Access Denied")
	}
	return b, nil
}

func (h *Handler) listBuckets(w http.ResponseWriter, rq *request) error {
	bs, err := h.e.ListBuckets(rq.Context())
	if err != nil {
		return err
	}
	res := gofakes3.Storage{Xmlns: s3Namespace, Owner: owner(rq.user), Buckets: gofakes3.Buckets{}}
	for _, b := range bs {
		if rq.root() || b.Owner == rq.user {
			res.Buckets = append(res.Buckets, gofakes3.BucketInfo{Name: b.Name, CreationDate: gofakes3.NewContentTime(b.CreateTime)})
		}
	}
	writeXML(w, http.StatusOK, res)
	return nil
}

// createBucketConfiguration is CreateBucket's optional body.
type createBucketConfiguration struct {
	XMLName            xml.Name `xml:"CreateBucketConfiguration"`
	LocationConstraint string   `xml:"LocationConstraint"`
}

func (h *Handler) createBucket(w http.ResponseWriter, rq *request) error {
	if err := validateBucketName(rq.bucket); err != nil {
		return newError(gofakes3.ErrInvalidBucketName, "The specified bucket is not valid: %v", err)
	}
	if rq.ContentLength != 0 {
		var cfg createBucketConfiguration
		if err := readXML(rq, &cfg); err != nil {
			return err
		}
	}
	_, err := h.e.CreateBucket(rq.Context(), engine.CreateBucketInput{Name: rq.bucket, Owner: rq.user})
	if engine.KindOf(err) == engine.KindAlreadyExists {
		if b, gerr := h.e.GetBucketByName(rq.Context(), rq.bucket); gerr == nil && b.Owner == rq.user {
			return newError(errBucketAlreadyOwnedByYou, "Your previous request to create the named bucket succeeded and you already own it.")
		}
		return newError(gofakes3.ErrBucketAlreadyExists, "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.")
	}
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/"+rq.bucket)
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	return nil
}

// validateBucketName applies S3's naming rules: 3 to 63 characters of a-z, 0-9, '.' and '-',
// starting and ending with a letter or digit, no "..", and not an IP address.
// gofakes3.ValidateBucketName is not used: it wants every dot-separated label to be at least
// three characters long, refusing names S3 accepts, such as "my.bucket".
func validateBucketName(name string) error {
	switch {
	case len(name) < 3 || len(name) > 63:
		return errors.New("bucket name must be >= 3 characters and <= 63")
	case strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789.-") != "":
		return errors.New("bucket name may contain only 'a-z, 0-9, ., -'")
	case !isAlnum(name[0]) || !isAlnum(name[len(name)-1]):
		return errors.New("bucket name must start and end with 'a-z, 0-9'")
	case strings.Contains(name, ".."):
		return errors.New("bucket name must not contain two adjacent periods")
	case net.ParseIP(name) != nil:
		return errors.New("bucket name must not be formatted as an IP address")
	}
	return nil
}

func isAlnum(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }

func (h *Handler) headBucket(w http.ResponseWriter, rq *request) error {
	if _, err := h.bucketOf(rq); err != nil {
		return err
	}
	w.Header().Set("X-Amz-Bucket-Region", h.o.Region)
	w.WriteHeader(http.StatusOK)
	return nil
}

func (h *Handler) deleteBucket(w http.ResponseWriter, rq *request) error {
	b, err := h.bucketOf(rq)
	if err != nil {
		return err
	}
	if err := h.e.DeleteEmptyBucket(rq.Context(), b.ID); err != nil {
		if engine.KindOf(err) == engine.KindNotEmpty {
			return newError(gofakes3.ErrBucketNotEmpty, "The bucket you tried to delete is not empty")
		}
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) getBucketLocation(w http.ResponseWriter, rq *request) error {
	if _, err := h.bucketOf(rq); err != nil {
		return err
	}
	loc := h.o.Region
	if loc == "us-east-1" {
		loc = "" // S3 spells us-east-1 as an empty constraint
	}
	writeXML(w, http.StatusOK, gofakes3.GetBucketLocation{Xmlns: s3Namespace, LocationConstraint: loc})
	return nil
}

// versioningConfiguration is an unversioned bucket's answer: no Status element at all.
type versioningConfiguration struct {
	XMLName xml.Name `xml:"VersioningConfiguration"`
	Xmlns   string   `xml:"xmlns,attr"`
}

func (h *Handler) getBucketVersioning(w http.ResponseWriter, rq *request) error {
	if _, err := h.bucketOf(rq); err != nil {
		return err
	}
	writeXML(w, http.StatusOK, versioningConfiguration{Xmlns: s3Namespace})
	return nil
}
