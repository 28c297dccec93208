package s3compat

import (
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"

	"github.com/johannesboyne/gofakes3"

	"github.com/jointcloud/jcs/engine"
	"github.com/jointcloud/jcs/sigv4"
)

// s3Error is an error as S3 reports it: a code, an HTTP status and a message for the client.
// Handlers return them; the adapter renders them as S3 XML error documents.
type s3Error struct {
	code     gofakes3.ErrorCode
	status   int
	msg      string
	resource string
	cause    error // logged, never sent
}

func (e *s3Error) Error() string {
	if e.cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.code, e.msg, e.cause)
	}
	return fmt.Sprintf("%s: %s", e.code, e.msg)
}

func (e *s3Error) Unwrap() error { return e.cause }

// Error codes S3 uses that gofakes3 does not declare.
const (
	errAccessDenied            gofakes3.ErrorCode = "AccessDenied"
	errSignatureDoesNotMatch   gofakes3.ErrorCode = "SignatureDoesNotMatch"
	errInvalidAccessKeyID      gofakes3.ErrorCode = "InvalidAccessKeyId"
	errMissingSecurityHeader   gofakes3.ErrorCode = "MissingSecurityHeader"
	errAuthorizationMalformed  gofakes3.ErrorCode = "AuthorizationHeaderMalformed"
	errXAmzContentSHA256       gofakes3.ErrorCode = "XAmzContentSHA256Mismatch"
	errBucketAlreadyOwnedByYou gofakes3.ErrorCode = "BucketAlreadyOwnedByYou"
	errEntityTooSmall          gofakes3.ErrorCode = "EntityTooSmall"
	errEntityTooLarge          gofakes3.ErrorCode = "EntityTooLarge"
	errInvalidRequest          gofakes3.ErrorCode = "InvalidRequest"
	errServiceUnavailable      gofakes3.ErrorCode = "ServiceUnavailable"
	errInvalidTag              gofakes3.ErrorCode = "InvalidTag"
	errNoSuchTagSet            gofakes3.ErrorCode = "NoSuchTagSet"
	errIncompleteBody          gofakes3.ErrorCode = "IncompleteBody"
	errExpiredToken            gofakes3.ErrorCode = "ExpiredToken"
)

// statuses of the codes above, and of gofakes3's that its table lacks or gets wrong for us.
var statusOf = map[gofakes3.ErrorCode]int{
	errAccessDenied:                  http.StatusForbidden,
	errSignatureDoesNotMatch:         http.StatusForbidden,
	errInvalidAccessKeyID:            http.StatusForbidden,
	errMissingSecurityHeader:         http.StatusBadRequest,
	errAuthorizationMalformed:        http.StatusBadRequest,
	errXAmzContentSHA256:             http.StatusBadRequest,
	errBucketAlreadyOwnedByYou:       http.StatusConflict,
	errEntityTooSmall:                http.StatusBadRequest,
	errEntityTooLarge:                http.StatusBadRequest,
	errInvalidRequest:                http.StatusBadRequest,
	errServiceUnavailable:            http.StatusServiceUnavailable,
	errInvalidTag:                    http.StatusBadRequest,
	errNoSuchTagSet:                  http.StatusNotFound,
	errIncompleteBody:                http.StatusBadRequest,
	errExpiredToken:                  http.StatusForbidden,
	gofakes3.ErrNotImplemented:       http.StatusNotImplemented,
	gofakes3.ErrMissingContentLength: http.StatusLengthRequired,
	gofakes3.ErrNotModified:          http.StatusNotModified,
}

// newError returns an error with code's status and the given message.
func newError(code gofakes3.ErrorCode, format string, args ...any) *s3Error {
	status, ok := statusOf[code]
	if !ok {
		status = code.Status()
	}
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	if msg == "" {
		msg = code.Message()
	}
	return &s3Error{code: code, status: status, msg: msg}
}

// notImplemented answers a request for an S3 feature JCS does not have.
func notImplemented(what string) *s3Error {
	return newError(gofakes3.ErrNotImplemented, "%s is not implemented by this server", what)
}

// errorDoc is the S3 XML error document.
type errorDoc struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	Resource  string   `xml:"Resource,omitempty"`
	RequestID string   `xml:"RequestId"`
}

// classify turns any handler error into the S3 error to send. Engine errors map by kind,
// signature errors by their sigv4 kind; anything else is an internal error whose text the
// client never sees.
func classify(err error, what string) *s3Error {
	var se *s3Error
	if errors.As(err, &se) {
		return se
	}
	if e := authError(err); e != nil {
		return e
	}
	var ee *engine.Error
	if errors.As(err, &ee) {
		e := engineError(ee, what)
		e.cause = err
		return e
	}
	e := newError(gofakes3.ErrInternal, "We encountered an internal error. Please try again.")
	e.cause = err
	return e
}

// engineError maps an engine error; what says which resource a KindNotFound refers to.
func engineError(ee *engine.Error, what string) *s3Error {
	switch ee.Kind {
	case engine.KindNotFound:
		switch what {
		case "bucket":
			return newError(gofakes3.ErrNoSuchBucket, "The specified bucket does not exist")
		case "upload":
			return newError(gofakes3.ErrNoSuchUpload, "The specified multipart upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.")
		}
		return newError(gofakes3.ErrNoSuchKey, "The specified key does not exist.")
	case engine.KindAlreadyExists:
		return newError(gofakes3.ErrBucketAlreadyExists, "The requested bucket name is not available.")
	case engine.KindNotEmpty:
		return newError(gofakes3.ErrBucketNotEmpty, "The bucket you tried to delete is not empty")
	case engine.KindInvalid:
		switch {
		case errors.Is(ee, engine.ErrInvalidPart):
			return newError(gofakes3.ErrInvalidPart, "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.")
		case errors.Is(ee, engine.ErrInvalidPartOrder):
			return newError(gofakes3.ErrInvalidPartOrder, "The list of parts was not in ascending order. Parts must be ordered by part number.")
		case errors.Is(ee, engine.ErrEntityTooSmall):
			return newError(errEntityTooSmall, "Your proposed upload is smaller than the minimum allowed object size.")
		}
		return newError(gofakes3.ErrInvalidArgument, "%s", ee.Message())
	case engine.KindPrecondition:
		return newError(gofakes3.ErrPreconditionFailed, "At least one of the pre-conditions you specified did not hold")
	case engine.KindUnavailable:
		return newError(errServiceUnavailable, "Too few storage spaces are available; please retry.")
	case engine.KindPermissionDenied:
		return newError(errAccessDenied, "Access Denied")
	}
	return newError(gofakes3.ErrInternal, "We encountered an internal error. Please try again.")
}

// authError maps a signature verification error, or returns nil if err is not one.
func authError(err error) *s3Error {
	var code gofakes3.ErrorCode
	var msg string
	switch {
	case errors.Is(err, sigv4.ErrMissingAuth):
		code, msg = errAccessDenied, "Access Denied"
	case errors.Is(err, sigv4.ErrUnknownAccessKey):
		code, msg = errInvalidAccessKeyID, "The AWS Access Key Id you provided does not exist in our records."
	case errors.Is(err, sigv4.ErrSignatureMismatch):
		code, msg = errSignatureDoesNotMatch, "The request signature we calculated does not match the signature you provided. Check your key and signing method."
	case errors.Is(err, sigv4.ErrPayloadMismatch):
		code, msg = errXAmzContentSHA256, "The provided 'x-amz-content-sha256' header does not match what was computed."
	case errors.Is(err, sigv4.ErrSkew):
		code, msg = gofakes3.ErrRequestTimeTooSkewed, "The difference between the request time and the server's time is too large."
	case errors.Is(err, sigv4.ErrExpired):
		code, msg = errAccessDenied, "Request has expired"
	case errors.Is(err, sigv4.ErrScope), errors.Is(err, sigv4.ErrMalformed):
		code, msg = errAuthorizationMalformed, "The authorization data is malformed: "+err.Error()
	default:
		return nil
	}
	e := newError(code, "%s", msg)
	e.cause = err
	return e
}
