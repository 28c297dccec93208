package nativeapi

import (
	"errors"
	"net/http"

	"github.com/jointcloud/jcs/engine"
	"github.com/jointcloud/jcs/sigv4"
)

// The /v1 error codes, as JCS spells them.
const (
	codeOK              = "OK"
	codeBadArgument     = "BadArgument"
	codeDataNotFound    = "DataNotFound"
	codeDataExists      = "DataExists"
	codeOperationFailed = "OperationFailed"
	codeUnauthorized    = "Unauthorized"
)

// apiError is an error the front end raises itself, with the status and code to answer.
// Its message is shown to the client.
type apiError struct {
	status int
	code   string
	msg    string
	cause  error // optional; kept so that errors.As finds a signature error under it
}

func (e *apiError) Error() string { return e.msg }

// Unwrap returns the cause, if any.
func (e *apiError) Unwrap() error { return e.cause }

func badArgument(msg string) error {
	return &apiError{status: http.StatusBadRequest, code: codeBadArgument, msg: msg}
}

// kindStatus is the one table from engine error kinds to HTTP statuses and /v1 codes.
var kindStatus = map[engine.Kind]struct {
	status int
	code   string
}{
	engine.KindNotFound:         {http.StatusNotFound, codeDataNotFound},
	engine.KindAlreadyExists:    {http.StatusConflict, codeDataExists},
	engine.KindNotEmpty:         {http.StatusConflict, codeOperationFailed},
	engine.KindInvalid:          {http.StatusBadRequest, codeBadArgument},
	engine.KindPrecondition:     {http.StatusConflict, codeOperationFailed},
	engine.KindUnavailable:      {http.StatusServiceUnavailable, codeOperationFailed},
	engine.KindPermissionDenied: {http.StatusForbidden, codeUnauthorized},
	engine.KindInternal:         {http.StatusInternalServerError, codeOperationFailed},
}

// classify returns the status, code and client-facing message for err. Errors the client
// caused carry their own message; internal errors get a generic one, and internal is true so
// that the caller logs the real error instead.
func classify(err error) (status int, code, msg string, internal bool) {
	var ae *apiError
	var se *sigv4.Error
	switch {
	case errors.As(err, &se):
		// A signature can also fail at the end of a body the engine was reading; the
		// signature error wins over whatever the engine made of it.
		return authStatus(se), codeUnauthorized, se.Error(), false
	case errors.As(err, &ae):
		return ae.status, ae.code, ae.msg, false
	}
	kind := engine.KindOf(err)
	m := kindStatus[kind]
	var ee *engine.Error
	if kind == engine.KindInternal || !errors.As(err, &ee) {
		return m.status, m.code, "internal error", true
	}
	return m.status, m.code, ee.Message(), false
}

// authStatus answers 401 when the client did not authenticate (no or unusable credentials) and
// 403 when it did and was refused.
func authStatus(err error) int {
	switch {
	case errors.Is(err, sigv4.ErrMissingAuth), errors.Is(err, sigv4.ErrMalformed),
		errors.Is(err, sigv4.ErrUnknownAccessKey):
		return http.StatusUnauthorized
	}
	return http.StatusForbidden
}
