package engine

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// Limits on names and paths.
const (
	// MaxNameLen is the longest bucket or package name, in bytes.
	MaxNameLen = 255
	// MaxPathLen is the longest object path, in bytes (an S3 key's limit).
	MaxPathLen = 1024
)

// validateName checks a bucket or package name: 1 to MaxNameLen bytes of UTF-8 with no '/'
// and no control characters. Names appear in URLs, S3 keys (a package name is a key's first
// segment) and exported file trees, so they are kept plain.
func validateName(what, name string) error {
	switch {
	case name == "":
		return errors.New(what + " name is empty")
	case len(name) > MaxNameLen:
		return errors.New(what + " name is longer than 255 bytes")
	case !utf8.ValidString(name):
		return errors.New(what + " name is not valid UTF-8")
	case strings.ContainsRune(name, '/'):
		return errors.New(what + " name contains '/'")
	case hasControl(name):
		return errors.New(what + " name contains a control character")
	}
	return nil
}

// validatePath checks an object path: 1 to MaxPathLen bytes of UTF-8 with no NUL. Anything
// else is kept verbatim, including leading, trailing or repeated '/' and ".." segments: a path
// is a name, never a file system path, and every valid S3 key must round-trip.
func validatePath(path string) error {
	switch {
	case path == "":
		return errors.New("object path is empty")
	case len(path) > MaxPathLen:
		return errors.New("object path is longer than 1024 bytes")
	case !utf8.ValidString(path):
		return errors.New("object path is not valid UTF-8")
	case strings.IndexByte(path, 0) >= 0:
		return errors.New("object path contains NUL")
	}
	return nil
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}
