package s3space

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"

	"github.com/jointcloud/jcs/engine/space"
)

// RequestError is the error of an S3 request that failed. Err is space.ErrNotExist when the
// object (or the bucket, for a HEAD request, which cannot tell them apart) does not exist, the
// context's error when the caller's context ended, and otherwise the SDK's error.
type RequestError struct {
	Op        string // the method that failed, e.g. "put" or "open file"
	Key       string // the object key, Prefix included; "" for bucket-wide requests
	Err       error
	temporary bool
}

// Error describes the operation, the key (bounded in length) and the cause.
func (e *RequestError) Error() string {
	msg := "s3space: " + e.Op
	if e.Key != "" {
		msg += " " + quote(e.Key)
	}
	return msg + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *RequestError) Unwrap() error { return e.Err }

// Temporary reports whether the request may succeed if tried again later: it failed on a
// timeout, a dropped or refused connection, throttling or a 5xx response. space.Temporary
// finds this method.
func (e *RequestError) Temporary() bool { return e.temporary }

// requestError classifies err, the failure of request op on key made with ctx.
func requestError(ctx context.Context, op, key string, err error) error {
	return classify(ctx, op, key, err, true)
}

// uploadError is requestError for the requests of an upload, for which "not found" cannot
// mean a missing blob (it is the bucket, or an upload aborted meanwhile), so it is not
// reported as space.ErrNotExist.
func uploadError(ctx context.Context, op, key string, err error) error {
	return classify(ctx, op, key, err, false)
}

func classify(ctx context.Context, op, key string, err error, notFoundIsMissing bool) error {
	e := &RequestError{Op: op, Key: key, Err: err}
	switch {
	case ctx.Err() != nil:
		// Whatever the SDK made of it, the caller gave up: report that, as the contract asks.
		e.Err = ctx.Err()
	case notFoundIsMissing && isNotFound(err):
		e.Err = space.ErrNotExist
	default:
		e.temporary = isTemporary(err)
	}
	return e
}

// isNotFound reports whether err is S3's answer for a missing object. A missing bucket is not
// a missing blob, and is reported as the permanent error it is, except for HEAD requests:
// their responses have no body, so only the status tells, and it is 404 for both.
func isNotFound(err error) bool {
	switch errorCode(err) {
	case "NoSuchKey", "NotFound":
		return true
	case "NoSuchBucket":
		return false
	}
	return httpStatus(err) == http.StatusNotFound
}

// isTemporary reports whether err is a transient failure, judged by what happened rather than
// by the message: a status or error code that S3 documents as "try again", or a failure of
// the connection itself.
func isTemporary(err error) bool {
	switch status := httpStatus(err); {
	case status == http.StatusRequestTimeout, status == http.StatusTooManyRequests:
		return true
	case status >= 500 && status != http.StatusNotImplemented:
		return true
	}
	code := errorCode(err)
	if _, ok := retry.DefaultThrottleErrorCodes[code]; ok {
		return true
	}
	if _, ok := retry.DefaultRetryableErrorCodes[code]; ok {
		return true
	}
	return isConnectionError(err)
}

// isConnectionError reports whether err comes from the connection rather than from the
// server: a refused or reset connection, a timeout, a body cut short.
func isConnectionError(err error) bool {
	var conn interface{ ConnectionError() bool } // smithy's RequestSendError
	var netErr net.Error
	switch {
	case errors.As(err, &conn) && conn.ConnectionError():
		return true
	case errors.As(err, &netErr):
		return true
	}
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE)
}

// errorCode returns S3's error code ("NoSuchKey", "SlowDown"…) or "".
func errorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

// httpStatus returns the status of the HTTP response behind err, or 0 if there was none.
func httpStatus(err error) int {
	var resp interface{ HTTPStatusCode() int }
	if errors.As(err, &resp) {
		return resp.HTTPStatusCode()
	}
	return 0
}

// quote bounds a key or name for error messages so that a 1 KiB key does not flood logs.
func quote(s string) string {
	const max = 64
	if len(s) > max {
		s = s[:max] + "..."
	}
	return strconv.Quote(s)
}
