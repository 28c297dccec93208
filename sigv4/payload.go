package sigv4

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"net/http"
)

// emptySHA256 is the hex SHA-256 of an empty payload.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// checkedBody wraps a request body, hashes what is read through it and, at
// the body's EOF, runs check on the SHA-256. If check fails, Read returns its
// error instead of io.EOF, and keeps returning it. It is not safe for
// concurrent use, like any request body.
type checkedBody struct {
	body  io.ReadCloser
	h     hash.Hash
	check func(sum []byte) error
	final error // io.EOF or the check's error, once EOF was seen
}

func newCheckedBody(body io.ReadCloser, check func(sum []byte) error) *checkedBody {
	if body == nil {
		body = http.NoBody
	}
	return &checkedBody{body: body, h: sha256.New(), check: check}
}

// Read reads from the underlying body. At its EOF it returns io.EOF only if
// the check passed.
func (c *checkedBody) Read(p []byte) (int, error) {
	if c.final != nil {
		return 0, c.final
	}
	n, err := c.body.Read(p)
	c.h.Write(p[:n])
	if err != io.EOF {
		return n, err
	}
	c.final = io.EOF
	if cerr := c.check(c.h.Sum(nil)); cerr != nil {
		c.final = cerr
	}
	return n, c.final
}

// Close closes the underlying body.
func (c *checkedBody) Close() error { return c.body.Close() }

// declaredHashCheck returns a check that the body's SHA-256 equals the hex
// hash the client declared in X-Amz-Content-Sha256.
func declaredHashCheck(declared string) func([]byte) error {
	want, _ := hex.DecodeString(declared) // validated by the caller
	return func(sum []byte) error {
		if !bytes.Equal(sum, want) {
			return newError(ErrPayloadMismatch, "body SHA-256 "+hex.EncodeToString(sum)+" differs from X-Amz-Content-Sha256")
		}
		return nil
	}
}

// deferredSignatureCheck returns a check that completes signature
// verification once the body hash is known: the client signed the real body
// hash without declaring it (curl does this for services other than S3).
func deferredSignatureCheck(key, want []byte, c *claim, prefixes []string) func([]byte) error {
	return func(sum []byte) error {
		h := hex.EncodeToString(sum)
		if match(key, want, c.amzDate, c.cred.scope(), prefixes, h) < 0 {
			return mismatch(c.cred.accessKeyID, c.amzDate, c.cred.scope(), prefixes[0], h)
		}
		return nil
	}
}

// isHexSHA256 reports whether s is 64 hex digits.
func isHexSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// bodyIsEmpty reports whether r is known to carry no body.
func bodyIsEmpty(r *http.Request) bool {
	return r.Body == nil || r.Body == http.NoBody
}
