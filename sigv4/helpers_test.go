package sigv4

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

const (
	// downloadTarget is the native API's download route with its query.
	downloadTarget = "/v1/object/download?objectID=1&offset=0&length=10"

	testAK = "AKIDEXAMPLE"
	testSK = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
)

// testNow is the fixed clock of the table tests.
var testNow = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

// testVerifier returns a verifier for service that knows testAK and runs on testNow.
func testVerifier(service string) *Verifier {
	return &Verifier{
		Service:     service,
		Credentials: StaticCredentials{testAK: testSK},
		Now:         func() time.Time { return testNow },
	}
}

// outcome is what the test server saw for one request.
type outcome struct {
	id      *Identity
	err     error // from Verify
	readErr error // from reading the body to EOF
	body    []byte
}

// kinds names the sentinels for the curl tests, which see only the response.
var kinds = []struct {
	name string
	err  error
}{
	{"MissingAuth", ErrMissingAuth},
	{"Malformed", ErrMalformed},
	{"UnknownAccessKey", ErrUnknownAccessKey},
	{"SignatureMismatch", ErrSignatureMismatch},
	{"PayloadMismatch", ErrPayloadMismatch},
	{"Expired", ErrExpired},
	{"Skew", ErrSkew},
	{"Scope", ErrScope},
}

// kindOf names the sentinel err wraps: "OK" for nil, "Other" for anything else.
func kindOf(err error) string {
	if err == nil {
		return "OK"
	}
	for _, k := range kinds {
		if errors.Is(err, k.err) {
			return k.name
		}
	}
	return "Other"
}

// startServer serves v the way a front end would: Verify, then read the body
// to EOF, then answer 200 "OK signed|unsigned <body sha256>" or 403 with the
// error's sentinel name. Each request's outcome is also sent on the channel.
func startServer(t *testing.T, v *Verifier) (*httptest.Server, <-chan outcome) {
	t.Helper()
	ch := make(chan outcome, 64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var o outcome
		o.id, o.err = v.Verify(r)
		if o.err == nil {
			o.body, o.readErr = io.ReadAll(r.Body)
		}
		ch <- o
		if err := errors.Join(o.err, o.readErr); err != nil {
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, kindOf(err))
			return
		}
		signed := "unsigned"
		if o.id.PayloadSigned {
			signed = "signed"
		}
		sum := sha256.Sum256(o.body)
		fmt.Fprintf(w, "OK %s %x", signed, sum[:4])
	}))
	t.Cleanup(srv.Close)
	return srv, ch
}

// sha256Hex returns the hex SHA-256 of s.
func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
