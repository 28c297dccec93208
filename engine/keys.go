package engine

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jointcloud/jcs/kv"
)

// RootPackageName names the package that holds a bucket's S3 keys that do not begin with a
// package name: keys with no '/', keys whose first segment is not a valid package name ("/a",
// "a\x01/b") and keys that would leave an empty path ("dir/"). No other package can have this
// name, since package names never contain '/', so the root package never collides with one.
// It is created on first use.
const RootPackageName = "/"

// SplitKey maps an S3 key to the package and object path that hold it: "pkg/rest" is package
// "pkg", path "rest"; every other key lives whole in the root package. JoinKey inverts it, so
// every key round-trips.
func SplitKey(key string) (pkg, path string) {
	i := strings.IndexByte(key, '/')
	if i < 0 || i == len(key)-1 || validateName("package", key[:i]) != nil {
		return RootPackageName, key
	}
	return key[:i], key[i+1:]
}

// JoinKey returns the S3 key of the object at path in the package named pkg.
func JoinKey(pkg, path string) string {
	if pkg == RootPackageName {
		return path
	}
	return pkg + "/" + path
}

// checkPackagePath refuses a path in the root package that SplitKey would send elsewhere: its
// key would be the key of an object in another package.
func checkPackagePath(p *Package, path string) error {
	if p.Name != RootPackageName {
		return nil
	}
	if pkg, _ := SplitKey(path); pkg != RootPackageName {
		return &Error{Kind: KindInvalid, Path: path, Err: fmt.Errorf(
			"path %q cannot be in the root package: its S3 key names package %q", path, pkg)}
	}
	return nil
}

func objectKeyKey(b BucketID, key string) []byte {
	return kv.Key(kv.PrefixObjectKey).Uint64(uint64(b)).String(key)
}

// putObject stores o and its index entries: by ID and, once it is readable, by S3 key.
func putObject(tx kv.Tx, o *Object) error {
	p, err := getPackage(tx, o.PackageID)
	if err != nil {
		return err
	}
	if err := checkPackagePath(&p, o.Path); err != nil {
		return err
	}
	err = errors.Join(
		tx.Set(objectKey(o.PackageID, o.Path), encodeObject(o)),
		tx.Set(objectIDKey(o.ID), encodeObjectRef(o.PackageID, o.Path)),
	)
	if err != nil {
		return err
	}
	k := objectKeyKey(p.BucketID, JoinKey(p.Name, o.Path))
	if o.InProgress() {
		return tx.Delete(k) // it may replace a readable object
	}
	return tx.Set(k, encodeID(uint64(p.ID)))
}

// deleteObjectRecord removes o's record and index entries; o's content is the caller's.
func deleteObjectRecord(tx kv.Tx, o *Object) error {
	p, err := getPackage(tx, o.PackageID)
	if err != nil {
		return err
	}
	return errors.Join(
		tx.Delete(objectKey(o.PackageID, o.Path)),
		tx.Delete(objectIDKey(o.ID)),
		tx.Delete(objectKeyKey(p.BucketID, JoinKey(p.Name, o.Path))),
	)
}

// lookupKey returns the object at an S3 key, or ok == false if there is none (or only a
// multipart upload in progress, which S3 does not show).
func lookupKey(r kv.Reader, b BucketID, key string) (o Object, ok bool, err error) {
	v, err := r.Get(objectKeyKey(b, key))
	if errors.Is(err, kv.ErrNotFound) {
		return Object{}, false, nil
	}
	if err != nil {
		return Object{}, false, err
	}
	id, err := decodeID(v)
	if err != nil {
		return Object{}, false, err
	}
	_, path := SplitKey(key)
	o, ok, err = lookupObject(r, PackageID(id), path)
	if err == nil && !ok {
		err = fmt.Errorf("engine: index inconsistent: key %q points at a missing object", key)
	}
	return o, ok, err
}

// getKey is lookupKey with a KindNotFound error for a missing key.
func getKey(r kv.Reader, b BucketID, key string) (Object, error) {
	o, ok, err := lookupKey(r, b, key)
	if err == nil && !ok {
		err = notFound("key %q not found", key)
	}
	return o, err
}

// packageForKey returns the package that holds key, creating it with ID id when it does not
// exist yet: S3 writers never create packages themselves.
func packageForKey(tx kv.Tx, b BucketID, key string, id PackageID, now time.Time) (Package, error) {
	name, _ := SplitKey(key)
	p, err := getPackageByName(tx, b, name)
	if KindOf(err) != KindNotFound {
		return p, err
	}
	p = Package{ID: id, BucketID: b, Name: name, CreateTime: now}
	return p, putPackage(tx, &p)
}
