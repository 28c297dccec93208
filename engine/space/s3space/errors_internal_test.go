package s3space

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"syscall"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space"
)

// responseError builds the error the SDK returns for an HTTP response with status and, if
// code is not empty, an S3 error document with code.
func responseError(status int, code string) error {
	var err error = errors.New("no body")
	if code != "" {
		err = &smithy.GenericAPIError{Code: code, Message: "test"}
	}
	return &smithy.OperationError{ServiceID: "S3", OperationName: "Test", Err: &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
			Err:      err,
		},
	}}
}

// sendError builds the error the SDK returns when a request could not be sent.
func sendError(err error) error {
	return &smithy.OperationError{ServiceID: "S3", OperationName: "Test", Err: &smithyhttp.RequestSendError{Err: err}}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		name      string
		err       error
		notExist  bool
		temporary bool
	}{
		{"NoSuchKey", responseError(404, "NoSuchKey"), true, false},
		{"HEAD 404", responseError(404, ""), true, false},
		{"NoSuchBucket", responseError(404, "NoSuchBucket"), false, false},
		{"AccessDenied", responseError(403, "AccessDenied"), false, false},
		{"SlowDown", responseError(503, "SlowDown"), false, true},
		{"InternalError", responseError(500, "InternalError"), false, true},
		{"HEAD 502", responseError(502, ""), false, true},
		{"NotImplemented", responseError(501, "NotImplemented"), false, false},
		{"RequestTimeout", responseError(400, "RequestTimeout"), false, true},
		{"throttled 400", responseError(400, "Throttling"), false, true},
		{"429", responseError(429, ""), false, true},
		{"connection refused", sendError(&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}), false, true},
		{"connection reset", sendError(syscall.ECONNRESET), false, true},
		{"body cut short", io.ErrUnexpectedEOF, false, true},
		{"other", errors.New("something else"), false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := requestError(t.Context(), "test", "key", tc.err)
			require.Equal(t, tc.notExist, errors.Is(got, space.ErrNotExist), "ErrNotExist: %v", got)
			require.Equal(t, tc.temporary, space.Temporary(got), "Temporary: %v", got)
			if !tc.notExist {
				require.ErrorIs(t, got, tc.err, "the cause stays in the chain")
			}
		})
	}
}

// TestClassifyCancelled checks that a cancelled context wins over whatever the SDK reported,
// and is not temporary.
func TestClassifyCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	got := requestError(ctx, "test", "key", sendError(context.Canceled))
	require.ErrorIs(t, got, context.Canceled)
	require.False(t, space.Temporary(got))
	got = uploadError(t.Context(), "put", "key", responseError(404, "NoSuchKey"))
	require.NotErrorIs(t, got, space.ErrNotExist, "a failed upload never reads as a missing blob")
}
