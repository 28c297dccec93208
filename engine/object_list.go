package engine

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"

	"github.com/jointcloud/jcs/kv"
)

// MaxListKeys is the most entries (objects plus common prefixes) one ListObjects call returns.
const MaxListKeys = 1000

// ListObjectsInput selects objects of one package.
type ListObjectsInput struct {
	PackageID PackageID
	// Path is the exact path to find, or with IsPrefix the prefix of the paths to list.
	Path     string
	IsPrefix bool
	// NoRecursive lists one level, as a directory: paths with a '/' after the prefix are
	// folded into CommonPrefixes, each ending with that '/'.
	NoRecursive bool
	// MaxKeys bounds objects plus common prefixes returned; 0 means MaxListKeys, and larger
	// values are capped to it.
	MaxKeys int
	// ContinuationToken resumes a listing where a truncated one stopped; "" starts at the
	// beginning. It is opaque: pass NextContinuationToken back unchanged.
	ContinuationToken string
}

// ListObjectsResult is one page of a listing.
type ListObjectsResult struct {
	Objects        []Object
	CommonPrefixes []string
	// IsTruncated reports whether more entries follow; NextContinuationToken fetches them.
	IsTruncated           bool
	NextContinuationToken string
}

// ListObjects lists the objects of a package by path, in byte order of their paths. Errors:
// KindNotFound if the package does not exist, KindInvalid for a negative MaxKeys or a token
// that is not one this listing produced.
func (e *Engine) ListObjects(ctx context.Context, in ListObjectsInput) (ListObjectsResult, error) {
	const op = "engine.ListObjects"
	if in.MaxKeys < 0 {
		return ListObjectsResult{}, errorf(op, KindInvalid, "maxKeys must not be negative")
	}
	if in.MaxKeys == 0 || in.MaxKeys > MaxListKeys {
		in.MaxKeys = MaxListKeys
	}
	tok, err := decodeListToken(in.ContinuationToken, in.Path)
	if err != nil {
		return ListObjectsResult{}, &Error{Op: op, Kind: KindInvalid, Err: err}
	}
	var res ListObjectsResult
	err = e.kv.View(ctx, func(r kv.Reader) error {
		if _, err := getPackage(r, in.PackageID); err != nil {
			return err
		}
		if !in.IsPrefix {
			o, ok, err := lookupObject(r, in.PackageID, in.Path)
			if ok {
				res.Objects = append(res.Objects, o)
			}
			return err
		}
		res, err = listPrefix(r, in, tok.start(in.PackageID))
		return err
	})
	return res, wrap(op, err)
}

// listPrefix lists paths with prefix in.Path from key start on (nil: from the beginning).
func listPrefix(r kv.Reader, in ListObjectsInput, start []byte) (ListObjectsResult, error) {
	var res ListObjectsResult
	pkgPrefix := kv.Key(kv.PrefixObject).Uint64(uint64(in.PackageID))
	lower, upper := kv.PrefixRange(objectKey(in.PackageID, in.Path))
	it := r.Iter(lower, upper)
	ok := it.First()
	if start != nil {
		ok = it.SeekGE(start)
	}
	count, last, lastIsPrefix := 0, "", false
	for ok {
		path := string(it.Key()[len(pkgPrefix):])
		if count == in.MaxKeys {
			res.IsTruncated = true
			res.NextContinuationToken = encodeListToken(last, lastIsPrefix)
			break
		}
		if rest := path[len(in.Path):]; in.NoRecursive {
			if i := strings.IndexByte(rest, '/'); i >= 0 {
				cp := in.Path + rest[:i+1]
				res.CommonPrefixes = append(res.CommonPrefixes, cp)
				count, last, lastIsPrefix = count+1, cp, true
				_, after := kv.PrefixRange(objectKey(in.PackageID, cp))
				ok = it.SeekGE(after)
				continue
			}
		}
		o, err := decodeObject(in.PackageID, path, it.Value())
		if err != nil {
			it.Close()
			return res, err
		}
		res.Objects = append(res.Objects, o)
		count, last, lastIsPrefix = count+1, path, false
		ok = it.Next()
	}
	return res, it.Close()
}

// A continuation token is the base64url form of a marker byte and the last entry returned:
// 'o' and an object path (resume just after it) or 'p' and a common prefix (resume after
// every path it covers).
type listToken struct {
	last     string
	isPrefix bool
}

func encodeListToken(last string, isPrefix bool) string {
	kind := "o"
	if isPrefix {
		kind = "p"
	}
	return base64.RawURLEncoding.EncodeToString([]byte(kind + last))
}

var errBadToken = errors.New("continuation token is not valid for this listing")

// decodeListToken parses a token of a listing of prefix; the zero listToken stands for "".
func decodeListToken(token, prefix string) (listToken, error) {
	if token == "" {
		return listToken{}, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) < 2 || (b[0] != 'o' && b[0] != 'p') || !strings.HasPrefix(string(b[1:]), prefix) {
		return listToken{}, errBadToken
	}
	return listToken{last: string(b[1:]), isPrefix: b[0] == 'p'}, nil
}

// start returns the first key of pkg a listing resumes at, or nil to start at the beginning.
func (t listToken) start(pkg PackageID) []byte {
	switch {
	case t.last == "":
		return nil
	case t.isPrefix:
		_, after := kv.PrefixRange(objectKey(pkg, t.last))
		return after
	}
	return append(objectKey(pkg, t.last), 0)
}

// WalkPackageObjects calls fn for every object of a package in path order, reading the index a
// page at a time so that a slow fn never holds a snapshot open. It stops at fn's first error
// and returns it. Objects changed during the walk may or may not be seen.
func (e *Engine) WalkPackageObjects(ctx context.Context, pkg PackageID, fn func(Object) error) error {
	const op = "engine.WalkPackageObjects"
	in := ListObjectsInput{PackageID: pkg, IsPrefix: true}
	for {
		res, err := e.ListObjects(ctx, in)
		if err != nil {
			return wrap(op, err)
		}
		for _, o := range res.Objects {
			if err := fn(o); err != nil {
				return err
			}
		}
		if !res.IsTruncated {
			return nil
		}
		in.ContinuationToken = res.NextContinuationToken
	}
}
