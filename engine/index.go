package engine

import (
	"errors"
	"fmt"

	"github.com/jointcloud/jcs/kv"
)

// Keys of the index. kv/keys.go declares the prefixes; these functions are the only place
// the engine lays out the components after them.

func bucketKey(id BucketID) []byte { return kv.Key(kv.PrefixBucket).Uint64(uint64(id)) }

func bucketNameKey(name string) []byte { return kv.Key(kv.PrefixBucketName).String(name) }

func packageKey(id PackageID) []byte { return kv.Key(kv.PrefixPackage).Uint64(uint64(id)) }

func packageNameKey(b BucketID, name string) []byte {
	return kv.Key(kv.PrefixPackageName).Uint64(uint64(b)).String(name)
}

func objectKey(p PackageID, path string) []byte {
	return kv.Key(kv.PrefixObject).Uint64(uint64(p)).String(path)
}

func objectIDKey(id ObjectID) []byte { return kv.Key(kv.PrefixObjectID).Uint64(uint64(id)) }

func blobKey(id BlobID) []byte { return kv.Key(kv.PrefixBlob).Bytes(id[:]) }

func gcKey(id BlobID) []byte { return kv.Key(kv.PrefixGC).Bytes(id[:]) }

func partKey(obj ObjectID, index uint32) []byte {
	return kv.Key(kv.PrefixPart).Uint64(uint64(obj)).Uint32(index)
}

func spaceKey(id SpaceID) []byte { return kv.Key(kv.PrefixUserSpace).Uint64(uint64(id)) }

// notFound returns a KindNotFound error; the calling method's wrap sets its Op.
func notFound(format string, args ...any) error {
	return errorf("", KindNotFound, format, args...)
}

// get reads key, mapping kv.ErrNotFound to the error made by missing.
func get(r kv.Reader, key []byte, missing func() error) ([]byte, error) {
	v, err := r.Get(key)
	if errors.Is(err, kv.ErrNotFound) {
		return nil, missing()
	}
	return v, err
}

func getBucket(r kv.Reader, id BucketID) (Bucket, error) {
	v, err := get(r, bucketKey(id), func() error { return notFound("bucket %d not found", id) })
	if err != nil {
		return Bucket{}, err
	}
	return decodeBucket(v)
}

func getBucketByName(r kv.Reader, name string) (Bucket, error) {
	v, err := get(r, bucketNameKey(name), func() error { return notFound("bucket %q not found", name) })
	if err != nil {
		return Bucket{}, err
	}
	id, err := decodeID(v)
	if err != nil {
		return Bucket{}, err
	}
	return getBucket(r, BucketID(id))
}

func putBucket(tx kv.Tx, b *Bucket) error {
	return errors.Join(
		tx.Set(bucketKey(b.ID), encodeBucket(b)),
		tx.Set(bucketNameKey(b.Name), encodeID(uint64(b.ID))),
	)
}

func getPackage(r kv.Reader, id PackageID) (Package, error) {
	v, err := get(r, packageKey(id), func() error { return notFound("package %d not found", id) })
	if err != nil {
		return Package{}, err
	}
	return decodePackage(v)
}

func getPackageByName(r kv.Reader, b BucketID, name string) (Package, error) {
	v, err := get(r, packageNameKey(b, name), func() error { return notFound("package %q not found", name) })
	if err != nil {
		return Package{}, err
	}
	id, err := decodeID(v)
	if err != nil {
		return Package{}, err
	}
	return getPackage(r, PackageID(id))
}

func putPackage(tx kv.Tx, p *Package) error {
	return errors.Join(
		tx.Set(packageKey(p.ID), encodePackage(p)),
		tx.Set(packageNameKey(p.BucketID, p.Name), encodeID(uint64(p.ID))),
	)
}

// lookupObject returns the object at path, or ok == false if there is none.
func lookupObject(r kv.Reader, pkg PackageID, path string) (o Object, ok bool, err error) {
	v, err := r.Get(objectKey(pkg, path))
	if errors.Is(err, kv.ErrNotFound) {
		return Object{}, false, nil
	}
	if err != nil {
		return Object{}, false, err
	}
	o, err = decodeObject(pkg, path, v)
	return o, err == nil, err
}

func getObject(r kv.Reader, id ObjectID) (Object, error) {
	v, err := get(r, objectIDKey(id), func() error { return notFound("object %d not found", id) })
	if err != nil {
		return Object{}, err
	}
	pkg, path, err := decodeObjectRef(v)
	if err != nil {
		return Object{}, err
	}
	o, ok, err := lookupObject(r, pkg, path)
	if err == nil && !ok {
		err = fmt.Errorf("engine: index inconsistent: object %d points at a missing path", id)
	}
	return o, err
}

func getObjectByPath(r kv.Reader, pkg PackageID, path string) (Object, error) {
	o, ok, err := lookupObject(r, pkg, path)
	if err == nil && !ok {
		err = notFound("object %q not found", path)
	}
	return o, err
}

func getBlob(r kv.Reader, id BlobID) (blobLayout, error) {
	v, err := get(r, blobKey(id), func() error { return notFound("blob %s not found", id) })
	if err != nil {
		return blobLayout{}, err
	}
	return decodeBlob(id, v)
}

// scan calls fn for every key and value in [lower, upper) of r, stopping at fn's first error.
func scan(r kv.Reader, lower, upper []byte, fn func(k, v []byte) error) error {
	it := r.Iter(lower, upper)
	for ok := it.First(); ok; ok = it.Next() {
		if err := fn(it.Key(), it.Value()); err != nil {
			it.Close()
			return err
		}
	}
	return it.Close()
}

// scanPrefix is scan over every key that starts with prefix.
func scanPrefix(r kv.Reader, prefix []byte, fn func(k, v []byte) error) error {
	lower, upper := kv.PrefixRange(prefix)
	return scan(r, lower, upper, fn)
}
