package engine

import (
	"context"
	"time"

	"github.com/jointcloud/jcs/kv"
)

// MoveInput moves one object to a package and path.
type MoveInput struct {
	ObjectID  ObjectID
	PackageID PackageID
	Path      string
}

// MoveObjects moves objects to new packages and paths, keeping their IDs, content and create
// times, and returns the IDs of those it moved, in request order. A move is skipped, and its ID
// left out, if the object or the target package does not exist, the path is invalid, or another
// object holds the target path (nothing is overwritten). Moving an object onto its own path
// succeeds without change. All moves that succeed commit together, each seeing the ones before.
func (e *Engine) MoveObjects(ctx context.Context, moves []MoveInput) ([]ObjectID, error) {
	const op = "engine.MoveObjects"
	now := e.now()
	var moved []ObjectID
	err := e.kv.Update(ctx, func(tx kv.Tx) error {
		moved = moved[:0]
		for _, m := range moves {
			ok, err := moveObjectTx(tx, m, now)
			if err != nil {
				return err
			}
			if ok {
				moved = append(moved, m.ObjectID)
			}
		}
		return nil
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	return moved, nil
}

// moveObjectTx performs one move; it reports false for a move that must be skipped.
func moveObjectTx(tx kv.Tx, m MoveInput, now time.Time) (bool, error) {
	if validatePath(m.Path) != nil {
		return false, nil
	}
	o, err := getObject(tx, m.ObjectID)
	if KindOf(err) == KindNotFound {
		return false, nil
	} else if err != nil {
		return false, err
	}
	if o.PackageID == m.PackageID && o.Path == m.Path {
		return true, nil
	}
	p, err := getPackage(tx, m.PackageID)
	if KindOf(err) == KindNotFound {
		return false, nil
	} else if err != nil {
		return false, err
	}
	if checkPackagePath(&p, m.Path) != nil {
		return false, nil
	}
	if _, taken, err := lookupObject(tx, m.PackageID, m.Path); err != nil || taken {
		return false, err
	}
	if err := deleteObjectRecord(tx, &o); err != nil {
		return false, err
	}
	o.PackageID, o.Path, o.UpdateTime = m.PackageID, m.Path, now
	return true, putObject(tx, &o)
}

// DeleteObjects deletes objects by ID and releases their data for collection. IDs of objects
// that do not exist are ignored. The deletions commit together.
func (e *Engine) DeleteObjects(ctx context.Context, ids []ObjectID) error {
	const op = "engine.DeleteObjects"
	released := false
	err := e.kv.Update(ctx, func(tx kv.Tx) error {
		released = false
		for _, id := range ids {
			o, err := getObject(tx, id)
			if KindOf(err) == KindNotFound {
				continue
			} else if err != nil {
				return err
			}
			if err := deleteObjectTx(tx, &o); err != nil {
				return err
			}
			released = true
		}
		return nil
	})
	if err != nil {
		return wrap(op, err)
	}
	if released {
		e.wakeCollector()
	}
	return nil
}

// CloneInput copies one object to a package and path.
type CloneInput struct {
	ObjectID  ObjectID
	PackageID PackageID
	Path      string
}

// CloneObjects copies objects to new packages and paths and returns the new objects, in
// request order. A clone shares its source's data (nothing is copied on the user spaces), has
// a new ID and new times, and lives on independently: deleting either never affects the other.
//
// Clones are all or nothing. Errors: KindNotFound for a missing object or package, KindInvalid
// for a bad path, KindAlreadyExists if a target path holds an object (or is named twice),
// KindPrecondition if a source is a multipart upload in progress.
func (e *Engine) CloneObjects(ctx context.Context, clones []CloneInput) ([]Object, error) {
	const op = "engine.CloneObjects"
	for _, c := range clones {
		if err := validatePath(c.Path); err != nil {
			return nil, &Error{Op: op, Kind: KindInvalid, Err: err}
		}
	}
	ids := make([]ObjectID, len(clones))
	for i := range ids {
		id, err := e.seqObject.Next(ctx)
		if err != nil {
			return nil, wrap(op, err)
		}
		ids[i] = ObjectID(id)
	}
	now := e.now()
	var out []Object
	err := e.kv.Update(ctx, func(tx kv.Tx) error {
		out = out[:0]
		for i, c := range clones {
			o, err := cloneObjectTx(tx, c, ids[i])
			if err != nil {
				return err
			}
			o.CreateTime, o.UpdateTime = now, now
			if err := putObject(tx, &o); err != nil {
				return err
			}
			out = append(out, o)
		}
		return nil
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// cloneObjectTx checks one clone and takes references on its source's blobs; the caller
// stores the returned object.
func cloneObjectTx(tx kv.Tx, c CloneInput, id ObjectID) (Object, error) {
	src, err := getObject(tx, c.ObjectID)
	if err != nil {
		return Object{}, err
	}
	if src.InProgress() {
		return Object{}, errorf("", KindPrecondition, "object %d is a multipart upload that has not been completed", src.ID)
	}
	p, err := getPackage(tx, c.PackageID)
	if err != nil {
		return Object{}, err
	}
	if err := checkPackagePath(&p, c.Path); err != nil {
		return Object{}, err
	}
	if _, taken, err := lookupObject(tx, c.PackageID, c.Path); err != nil {
		return Object{}, err
	} else if taken {
		return Object{}, &Error{Kind: KindAlreadyExists, Path: c.Path, Err: errPathTaken}
	}
	for _, s := range src.Segments {
		if err := retainBlob(tx, s.Blob); err != nil {
			return Object{}, err
		}
	}
	dst := src
	dst.ID, dst.PackageID, dst.Path = id, c.PackageID, c.Path
	return dst, nil
}
