package engine

import (
	"context"

	"github.com/jointcloud/jcs/kv"
)

// CreateBucketInput describes a new bucket.
type CreateBucketInput struct {
	Name  string
	Owner UserID // 0 means RootUserID
}

// CreateBucket creates an empty bucket. It fails with KindInvalid for a bad name and
// KindAlreadyExists if a bucket of that name exists, KindNotFound if its owner is no user.
func (e *Engine) CreateBucket(ctx context.Context, in CreateBucketInput) (Bucket, error) {
	const op = "engine.CreateBucket"
	if err := validateName("bucket", in.Name); err != nil {
		return Bucket{}, &Error{Op: op, Kind: KindInvalid, Err: err}
	}
	id, err := e.seqBucket.Next(ctx)
	if err != nil {
		return Bucket{}, wrap(op, err)
	}
	b := Bucket{ID: BucketID(id), Name: in.Name, Owner: in.Owner, CreateTime: e.now()}
	if b.Owner == 0 {
		b.Owner = RootUserID
	}
	err = e.kv.Update(ctx, func(tx kv.Tx) error {
		if b.Owner != RootUserID {
			// Read in the transaction, so that a DeleteUser committing first makes it fail
			// rather than leave a bucket nobody but root can see.
			if _, err := getUser(tx, b.Owner); err != nil {
				return err
			}
		}
		if _, err := getBucketByName(tx, b.Name); KindOf(err) != KindNotFound {
			if err == nil {
				return errorf(op, KindAlreadyExists, "bucket %q already exists", b.Name)
			}
			return err
		}
		return putBucket(tx, &b)
	})
	if err != nil {
		return Bucket{}, wrap(op, err)
	}
	return b, nil
}

// GetBucket returns the bucket with the given ID, or an error of KindNotFound.
func (e *Engine) GetBucket(ctx context.Context, id BucketID) (Bucket, error) {
	const op = "engine.GetBucket"
	var b Bucket
	err := e.kv.View(ctx, func(r kv.Reader) (err error) {
		b, err = getBucket(r, id)
		return err
	})
	return b, wrap(op, err)
}

// GetBucketByName returns the bucket with the given name, or an error of KindNotFound.
func (e *Engine) GetBucketByName(ctx context.Context, name string) (Bucket, error) {
	const op = "engine.GetBucketByName"
	var b Bucket
	err := e.kv.View(ctx, func(r kv.Reader) (err error) {
		b, err = getBucketByName(r, name)
		return err
	})
	return b, wrap(op, err)
}

// ListBuckets returns every bucket, ordered by name.
func (e *Engine) ListBuckets(ctx context.Context) ([]Bucket, error) {
	const op = "engine.ListBuckets"
	var out []Bucket
	err := e.kv.View(ctx, func(r kv.Reader) error {
		return scanPrefix(r, kv.Key(kv.PrefixBucketName), func(_, v []byte) error {
			id, err := decodeID(v)
			if err != nil {
				return err
			}
			b, err := getBucket(r, BucketID(id))
			out = append(out, b)
			return err
		})
	})
	return out, wrap(op, err)
}

// DeleteBucket deletes a bucket with every package and object in it, in one transaction, and
// releases their data for collection. It fails with KindNotFound if there is no such bucket.
func (e *Engine) DeleteBucket(ctx context.Context, id BucketID) error {
	const op = "engine.DeleteBucket"
	err := e.kv.Update(ctx, func(tx kv.Tx) error {
		b, err := getBucket(tx, id)
		if err != nil {
			return err
		}
		pkgs, err := bucketPackages(tx, id)
		if err != nil {
			return err
		}
		for i := range pkgs {
			if err := deletePackageTx(tx, &pkgs[i]); err != nil {
				return err
			}
		}
		if err := abortUploadsTx(tx, b.ID); err != nil {
			return err
		}
		if err := tx.Delete(bucketKey(b.ID)); err != nil {
			return err
		}
		return tx.Delete(bucketNameKey(b.Name))
	})
	if err != nil {
		return wrap(op, err)
	}
	e.wakeCollector()
	return nil
}

// bucketPackages returns the packages of a bucket, ordered by name.
func bucketPackages(r kv.Reader, id BucketID) ([]Package, error) {
	var pkgs []Package
	err := scanPrefix(r, kv.Key(kv.PrefixPackageName).Uint64(uint64(id)), func(_, v []byte) error {
		pid, err := decodeID(v)
		if err != nil {
			return err
		}
		p, err := getPackage(r, PackageID(pid))
		pkgs = append(pkgs, p)
		return err
	})
	return pkgs, err
}
