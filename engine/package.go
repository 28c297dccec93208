package engine

import (
	"context"

	"github.com/jointcloud/jcs/kv"
)

// CreatePackage creates an empty package in a bucket. It fails with KindNotFound if the
// bucket does not exist, KindInvalid for a bad name and KindAlreadyExists if the bucket
// already has a package of that name.
func (e *Engine) CreatePackage(ctx context.Context, bucket BucketID, name string) (Package, error) {
	const op = "engine.CreatePackage"
	if err := validateName("package", name); err != nil {
		return Package{}, &Error{Op: op, Kind: KindInvalid, Err: err}
	}
	id, err := e.seqPackage.Next(ctx)
	if err != nil {
		return Package{}, wrap(op, err)
	}
	p := Package{ID: PackageID(id), BucketID: bucket, Name: name, CreateTime: e.now()}
	err = e.kv.Update(ctx, func(tx kv.Tx) error {
		if _, err := getBucket(tx, bucket); err != nil {
			return err
		}
		if _, err := getPackageByName(tx, bucket, name); KindOf(err) != KindNotFound {
			if err == nil {
				return errorf(op, KindAlreadyExists, "package %q already exists in bucket %d", name, bucket)
			}
			return err
		}
		return putPackage(tx, &p)
	})
	if err != nil {
		return Package{}, wrap(op, err)
	}
	return p, nil
}

// GetPackage returns the package with the given ID, or an error of KindNotFound.
func (e *Engine) GetPackage(ctx context.Context, id PackageID) (Package, error) {
	const op = "engine.GetPackage"
	var p Package
	err := e.kv.View(ctx, func(r kv.Reader) (err error) {
		p, err = getPackage(r, id)
		return err
	})
	return p, wrap(op, err)
}

// GetPackageByName returns the package named pkg in the bucket named bucket, or an error of
// KindNotFound if either does not exist.
func (e *Engine) GetPackageByName(ctx context.Context, bucket, pkg string) (Package, error) {
	const op = "engine.GetPackageByName"
	var p Package
	err := e.kv.View(ctx, func(r kv.Reader) error {
		b, err := getBucketByName(r, bucket)
		if err != nil {
			return err
		}
		p, err = getPackageByName(r, b.ID, pkg)
		return err
	})
	return p, wrap(op, err)
}

// ListPackages returns the packages of a bucket, ordered by name. It fails with KindNotFound
// if the bucket does not exist.
func (e *Engine) ListPackages(ctx context.Context, bucket BucketID) ([]Package, error) {
	const op = "engine.ListPackages"
	var out []Package
	err := e.kv.View(ctx, func(r kv.Reader) error {
		if _, err := getBucket(r, bucket); err != nil {
			return err
		}
		var err error
		out, err = bucketPackages(r, bucket)
		return err
	})
	return out, wrap(op, err)
}

// DeletePackage deletes a package with every object in it, in one transaction, and releases
// their data for collection. It fails with KindNotFound if there is no such package.
func (e *Engine) DeletePackage(ctx context.Context, id PackageID) error {
	const op = "engine.DeletePackage"
	err := e.kv.Update(ctx, func(tx kv.Tx) error {
		p, err := getPackage(tx, id)
		if err != nil {
			return err
		}
		return deletePackageTx(tx, &p)
	})
	if err != nil {
		return wrap(op, err)
	}
	e.wakeCollector()
	return nil
}

// deletePackageTx deletes p, its objects and their parts within tx.
func deletePackageTx(tx kv.Tx, p *Package) error {
	var objs []Object
	err := scanPrefix(tx, kv.Key(kv.PrefixObject).Uint64(uint64(p.ID)), func(k, v []byte) error {
		r := kv.NewKeyReader(k)
		r.Prefix()
		r.Uint64()
		o, err := decodeObject(p.ID, string(r.Rest()), v)
		objs = append(objs, o)
		return err
	})
	if err != nil {
		return err
	}
	for i := range objs {
		if err := deleteObjectTx(tx, &objs[i]); err != nil {
			return err
		}
	}
	if err := tx.Delete(packageKey(p.ID)); err != nil {
		return err
	}
	return tx.Delete(packageNameKey(p.BucketID, p.Name))
}
