package engine

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jointcloud/jcs/engine/space"
	"github.com/jointcloud/jcs/kv"
)

// Storage types a user space can have. OBS, OSS and COS are reached through their
// S3-compatible endpoints.
const (
	StorageLocal = "Local"
	StorageS3    = "S3"
	StorageOBS   = "OBS"
	StorageOSS   = "OSS"
	StorageCOS   = "COS"
)

// storageTypes are the storage types this engine accepts.
var storageTypes = []string{StorageLocal, StorageS3, StorageOBS, StorageOSS, StorageCOS}

// UserSpace is storage a user owns, registered with the engine so that it can hold shards.
type UserSpace struct {
	ID         SpaceID
	Name       string
	Storage    StorageConfig
	Credential Credential
	// ShardStore is nil when the space may not hold shards.
	ShardStore *ShardStoreConfig
	// WorkingDir is the root, within the storage, of everything the engine writes there.
	WorkingDir string
	// Revision starts at 1 and increments on every update.
	Revision int64
	// Draining is set when the space is being deleted: it takes no new shards, repair moves
	// the ones it holds to other spaces, and the space goes once it holds none.
	Draining bool
}

// StorageConfig says where a user space's storage is. Which fields apply depends on Type.
type StorageConfig struct {
	Type      string // StorageLocal, StorageS3, ...
	Path      string // Local: an absolute directory
	Endpoint  string // S3 family
	Region    string
	Bucket    string
	ProjectID string
	PathStyle bool
}

// Credential holds the secrets that open a user space's storage. It is never logged, and its
// secret is sealed in the index.
type Credential struct {
	Type            string
	AccessKeyID     string
	SecretAccessKey string
}

// ShardStoreConfig enables and bounds the shard store of a user space.
type ShardStoreConfig struct {
	// MaxSize caps the bytes of shards the space may hold; 0 means no cap.
	MaxSize int64
}

// CreateUserSpaceInput describes a new user space.
type CreateUserSpaceInput struct {
	Name       string
	Storage    StorageConfig
	Credential Credential
	ShardStore *ShardStoreConfig
	WorkingDir string
}

// validate checks what can be checked without touching the storage.
func (in *CreateUserSpaceInput) validate() error {
	if err := validateName("user space", in.Name); err != nil {
		return err
	}
	st := &in.Storage
	if !isStorageType(st.Type) {
		return fmt.Errorf("storage type %q is not supported (supported: %s)", st.Type, strings.Join(storageTypes, ", "))
	}
	if c := in.Credential.Type; c != "" && c != st.Type {
		return fmt.Errorf("credential type %q does not match storage type %q", c, st.Type)
	}
	switch {
	case st.Type == StorageLocal && !filepath.IsAbs(st.Path):
		return fmt.Errorf("a Local user space needs an absolute path, not %q", st.Path)
	case st.Type != StorageLocal && st.Bucket == "":
		return fmt.Errorf("a %s user space needs a bucket", st.Type)
	case st.Type == StorageS3 && st.Endpoint == "":
		return errors.New("an S3 user space needs an endpoint")
	case in.ShardStore != nil && in.ShardStore.MaxSize < 0:
		return errors.New("shardStore.maxSize must not be negative")
	}
	if in.WorkingDir != "" {
		if err := space.ValidatePath(strings.Trim(in.WorkingDir, "/")); err != nil {
			return fmt.Errorf("workingDir: %w", err)
		}
	}
	return nil
}

func isStorageType(t string) bool {
	for _, s := range storageTypes {
		if s == t {
			return true
		}
	}
	return false
}

// CreateUserSpace registers a user space and opens its storage. It fails with KindInvalid if
// the configuration is bad or the storage cannot be opened, and KindAlreadyExists if the name
// or the storage location is taken.
func (e *Engine) CreateUserSpace(ctx context.Context, in CreateUserSpaceInput) (UserSpace, error) {
	const op = "engine.CreateUserSpace"
	in.WorkingDir = strings.Trim(in.WorkingDir, "/")
	if err := in.validate(); err != nil {
		return UserSpace{}, &Error{Op: op, Kind: KindInvalid, Err: err}
	}
	id, err := e.seqSpace.Next(ctx)
	if err != nil {
		return UserSpace{}, wrap(op, err)
	}
	us := UserSpace{
		ID: SpaceID(id), Name: in.Name, Storage: in.Storage, Credential: in.Credential,
		ShardStore: in.ShardStore, WorkingDir: in.WorkingDir, Revision: 1,
	}
	us.Credential.Type = us.Storage.Type
	sp, err := e.opts.OpenSpace(ctx, us)
	if err != nil {
		return UserSpace{}, &Error{Op: op, Kind: KindInvalid, Err: fmt.Errorf("opening storage: %w", err)}
	}
	err = e.kv.Update(ctx, func(tx kv.Tx) error {
		if err := e.checkUnique(tx, op, &us); err != nil {
			return err
		}
		return e.putSpace(tx, &us)
	})
	if err != nil {
		closeSpace(sp)
		return UserSpace{}, wrap(op, err)
	}
	e.spaces.add(us, sp, nil)
	e.log.Info("user space created", "space", us.ID, "name", us.Name, "type", us.Storage.Type)
	return us, nil
}

// checkUnique fails if another space has us's name or storage location.
func (e *Engine) checkUnique(tx kv.Tx, op string, us *UserSpace) error {
	loc := us.location()
	return e.scanSpaces(tx, func(s UserSpace) error {
		switch {
		case s.ID == us.ID:
			return nil
		case s.Name == us.Name:
			return errorf(op, KindAlreadyExists, "user space %q already exists", us.Name)
		case loc != "" && s.location() == loc:
			return errorf(op, KindAlreadyExists, "user space %q already uses this storage location", s.Name)
		}
		return nil
	})
}

// putSpace writes a space record with its secret sealed.
func (e *Engine) putSpace(tx kv.Tx, us *UserSpace) error {
	var sealed []byte
	if us.Credential.SecretAccessKey != "" {
		var err error
		if sealed, err = e.sealSecret(spaceSealID(us.ID), us.Credential.SecretAccessKey); err != nil {
			return err
		}
	}
	return tx.Set(spaceKey(us.ID), encodeSpace(us, sealed))
}

// spaceSealID is the associated data of a space's sealed secret: it binds the secret to the
// space, so that it cannot be moved to another record.
func spaceSealID(id SpaceID) string { return "userSpace/" + strconv.FormatUint(uint64(id), 10) }

// loadSpace decodes a space record and opens its secret.
func (e *Engine) loadSpace(v []byte) (UserSpace, error) {
	us, sealed, err := decodeSpace(v)
	if err != nil || len(sealed) == 0 {
		return us, err
	}
	us.Credential.SecretAccessKey, err = e.openSecret(spaceSealID(us.ID), sealed)
	return us, err
}

func (e *Engine) scanSpaces(r kv.Reader, fn func(UserSpace) error) error {
	return scanPrefix(r, kv.Key(kv.PrefixUserSpace), func(_, v []byte) error {
		us, err := e.loadSpace(v)
		if err != nil {
			return err
		}
		return fn(us)
	})
}

func (e *Engine) getSpace(r kv.Reader, id SpaceID) (UserSpace, error) {
	v, err := get(r, spaceKey(id), func() error { return notFound("user space %d not found", id) })
	if err != nil {
		return UserSpace{}, err
	}
	return e.loadSpace(v)
}

// GetUserSpace returns a user space, secret included: front ends must redact it.
func (e *Engine) GetUserSpace(ctx context.Context, id SpaceID) (UserSpace, error) {
	const op = "engine.GetUserSpace"
	var us UserSpace
	err := e.kv.View(ctx, func(r kv.Reader) (err error) {
		us, err = e.getSpace(r, id)
		return err
	})
	return us, wrap(op, err)
}

// ListUserSpaces returns every user space, by ID, secrets included.
func (e *Engine) ListUserSpaces(ctx context.Context) ([]UserSpace, error) {
	const op = "engine.ListUserSpaces"
	var out []UserSpace
	err := e.kv.View(ctx, func(r kv.Reader) error {
		return e.scanSpaces(r, func(us UserSpace) error {
			out = append(out, us)
			return nil
		})
	})
	return out, wrap(op, err)
}

// UpdateUserSpaceInput changes a user space; nil fields are left as they are.
type UpdateUserSpaceInput struct {
	ID         SpaceID
	Name       *string
	Credential *Credential
	ShardStore **ShardStoreConfig // a nil *ShardStoreConfig turns the shard store off
}

// UpdateUserSpace changes a space's name, credential or shard store and increments its
// revision. A new credential must open the storage. Its location (storage and working
// directory) cannot change: the shards there would be lost.
func (e *Engine) UpdateUserSpace(ctx context.Context, in UpdateUserSpaceInput) (UserSpace, error) {
	const op = "engine.UpdateUserSpace"
	cur, err := e.GetUserSpace(ctx, in.ID)
	if err != nil {
		return UserSpace{}, wrap(op, err)
	}
	next := cur
	if in.Name != nil {
		next.Name = *in.Name
	}
	if in.Credential != nil {
		next.Credential = *in.Credential
		next.Credential.Type = cur.Storage.Type
	}
	if in.ShardStore != nil {
		next.ShardStore = *in.ShardStore
	}
	check := CreateUserSpaceInput{Name: next.Name, Storage: next.Storage, Credential: next.Credential,
		ShardStore: next.ShardStore, WorkingDir: next.WorkingDir}
	if err := check.validate(); err != nil {
		return UserSpace{}, &Error{Op: op, Kind: KindInvalid, Err: err}
	}
	var sp space.Space
	if in.Credential != nil {
		if sp, err = e.opts.OpenSpace(ctx, next); err != nil {
			return UserSpace{}, &Error{Op: op, Kind: KindInvalid, Err: fmt.Errorf("opening storage with the new credential: %w", err)}
		}
	}
	err = e.kv.Update(ctx, func(tx kv.Tx) error {
		now, err := e.getSpace(tx, in.ID)
		if err != nil {
			return err
		}
		if now.Revision != cur.Revision {
			return errorf(op, KindPrecondition, "user space %d changed while updating; retry", in.ID)
		}
		if err := e.checkUnique(tx, op, &next); err != nil {
			return err
		}
		next.Revision = cur.Revision + 1
		return e.putSpace(tx, &next)
	})
	if err != nil {
		closeSpace(sp)
		return UserSpace{}, wrap(op, err)
	}
	e.spaces.update(next)
	if sp != nil {
		retireSpace(e.spaces.swap(next.ID, sp))
		e.spaces.setHealth(next.ID, e.probe(ctx, sp))
	}
	e.log.Info("user space updated", "space", next.ID, "revision", next.Revision)
	return next, nil
}

// DeleteUserSpace removes a user space. Deleting one that does not exist succeeds. A space
// whose storage still holds shards is refused with KindNotEmpty, unless drain is set: then it
// is marked draining and stays until repair has rebuilt every shard it holds elsewhere; the
// result reports whether it is gone (false: draining). Redundancy is never silently lost.
func (e *Engine) DeleteUserSpace(ctx context.Context, id SpaceID, drain bool) (gone bool, err error) {
	const op = "engine.DeleteUserSpace"
	held, err := e.shardsOn(ctx, id)
	if err != nil {
		return false, wrap(op, err)
	}
	if held > 0 && !drain {
		return false, errorf(op, KindNotEmpty, "user space %d holds %d shards; delete it with drain to move them to other spaces first", id, held)
	}
	var us UserSpace
	err = e.kv.Update(ctx, func(tx kv.Tx) error {
		var err error
		if us, err = e.getSpace(tx, id); err != nil {
			return err
		}
		if held > 0 {
			us.Draining = true
			us.Revision++
			return e.putSpace(tx, &us)
		}
		return tx.Delete(spaceKey(id))
	})
	switch {
	case KindOf(err) == KindNotFound:
		return true, nil
	case err != nil:
		return false, wrap(op, err)
	case held > 0:
		e.spaces.update(us)
		e.log.Info("user space draining", "space", id, "shards", held)
		e.wakeRepair()
		return false, nil
	}
	closeSpace(e.spaces.remove(id))
	e.log.Info("user space deleted", "space", id)
	return true, nil
}

// shardsOn counts the shards the index places on a space: of live blobs and of released
// blobs still queued for collection.
func (e *Engine) shardsOn(ctx context.Context, id SpaceID) (int, error) {
	n := 0
	err := e.kv.View(ctx, func(r kv.Reader) error {
		count := func(_, v []byte) error {
			b, err := decodeBlob(BlobID{}, v)
			if b.Deferred {
				return err // not there yet; the placer goes elsewhere once the space is gone
			}
			for _, s := range b.Spaces {
				if s == id {
					n++
				}
			}
			return err
		}
		return errors.Join(scanPrefix(r, kv.Key(kv.PrefixBlob), count), scanPrefix(r, kv.Key(kv.PrefixGC), count))
	})
	return n, err
}

// TestUserSpace opens the storage a configuration describes and proves it works: a blob is
// written under the working directory, read back and deleted. It returns KindInvalid with the
// reason when anything fails.
func (e *Engine) TestUserSpace(ctx context.Context, in CreateUserSpaceInput) error {
	const op = "engine.TestUserSpace"
	if in.Name == "" {
		in.Name = "test"
	}
	in.WorkingDir = strings.Trim(in.WorkingDir, "/")
	if err := in.validate(); err != nil {
		return &Error{Op: op, Kind: KindInvalid, Err: err}
	}
	us := UserSpace{Name: in.Name, Storage: in.Storage, Credential: in.Credential, ShardStore: in.ShardStore, WorkingDir: in.WorkingDir}
	sp, err := e.opts.OpenSpace(ctx, us)
	if err != nil {
		return &Error{Op: op, Kind: KindInvalid, Err: fmt.Errorf("opening storage: %w", err)}
	}
	defer closeSpace(sp)
	if err := e.probe(ctx, sp); err != nil {
		return &Error{Op: op, Kind: KindInvalid, Err: err}
	}
	return nil
}

// probePrefix is where probes write; no shard lives there.
const probePrefix = ".jcs-probe/"

// probeTimeout bounds one probe.
const probeTimeout = 10 * time.Second

// probe proves that a space works end to end: it writes a small blob, reads it back and
// deletes it, within probeTimeout.
//
// A space with a Probe method of its own (an S3 bucket checks the bucket first, for clearer
// errors) is probed with that instead.
func (e *Engine) probe(ctx context.Context, sp space.Space) error {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	if p, ok := sp.(interface{ Probe(context.Context) error }); ok {
		return p.Probe(ctx)
	}
	var data [32]byte
	rand.Read(data[:])
	name := probePrefix + fmt.Sprintf("%x", data[:8])
	if err := sp.Put(ctx, name, bytes.NewReader(data[:]), int64(len(data))); err != nil {
		return fmt.Errorf("writing a probe: %w", err)
	}
	defer sp.Delete(context.WithoutCancel(ctx), name)
	r, err := sp.Open(ctx, name)
	if err != nil {
		return fmt.Errorf("reading the probe back: %w", err)
	}
	defer r.Close()
	got := make([]byte, len(data))
	if n, err := r.ReadAt(got, 0); n != len(got) {
		return fmt.Errorf("reading the probe back: %w", errors.Join(err, io.ErrUnexpectedEOF))
	}
	if !bytes.Equal(got, data[:]) {
		return errors.New("the probe read back differs from what was written")
	}
	if err := sp.Delete(ctx, name); err != nil {
		return fmt.Errorf("deleting the probe: %w", err)
	}
	return nil
}

// closeSpace releases storage that holds resources (a directory handle), if it does.
func closeSpace(sp space.Space) {
	if c, ok := sp.(io.Closer); ok && sp != nil {
		c.Close()
	}
}

// location names where a space keeps what the engine writes, or "" if its configuration does
// not say. No two spaces may share one: each space's sweep would take the other's shards for
// orphans, and losing the storage would lose both "independent" copies.
func (us *UserSpace) location() string {
	st := &us.Storage
	wd := path.Clean("/" + us.WorkingDir)
	switch {
	case st.Type == StorageLocal && st.Path != "":
		return "local:" + path.Join(filepath.ToSlash(filepath.Clean(st.Path)), wd)
	case st.Type != StorageLocal && st.Bucket != "":
		return "bucket:" + strings.ToLower(strings.TrimRight(st.Endpoint, "/")) + "/" + st.Bucket + wd
	}
	return ""
}

// openSpaces opens the storage of every registered user space, all at once (opening a Local
// space reads its packs' record headers), and counts the shards the index places on each. A
// space that fails to open is logged and kept down: its shards are reconstructed from the
// others, and the probe keeps trying to open it.
func (e *Engine) openSpaces(ctx context.Context) error {
	spaces, err := e.ListUserSpaces(ctx)
	if err != nil {
		return err
	}
	type opened struct {
		sp  space.Space
		err error
	}
	results := make([]opened, len(spaces))
	var wg sync.WaitGroup
	for i, us := range spaces {
		wg.Go(func() {
			sp, err := e.opts.OpenSpace(ctx, us)
			results[i] = opened{sp, err}
		})
	}
	wg.Wait()
	for i, us := range spaces {
		sp, err := results[i].sp, results[i].err
		if err != nil {
			e.log.Warn("user space unavailable", "space", us.ID, "name", us.Name, "err", err)
			err = errors.Join(errSpaceUnavailable, err)
		}
		e.spaces.add(us, sp, err)
	}
	return e.countShards(ctx)
}

// countShards sets every space's shard count and bytes from the index.
func (e *Engine) countShards(ctx context.Context) error {
	return e.kv.View(ctx, func(r kv.Reader) error {
		count := func(_, v []byte) error {
			b, err := decodeBlob(BlobID{}, v)
			if err != nil || b.Deferred {
				return err // a deferred blob's shards count once placed
			}
			size, err := e.shardFileSize(&b)
			if err != nil {
				return err
			}
			for _, id := range b.Spaces {
				if id != 0 {
					e.spaces.account(id, size, 1)
				}
			}
			return nil
		}
		return errors.Join(scanPrefix(r, kv.Key(kv.PrefixBlob), count), scanPrefix(r, kv.Key(kv.PrefixGC), count))
	})
}

// shardFileSize is the size of each shard file of b.
func (e *Engine) shardFileSize(b *blobLayout) (int64, error) {
	c, err := e.codec(b.K, b.N-b.K, b.Chunk)
	if err != nil {
		return 0, err
	}
	return c.ShardFileSize(b.Size), nil
}

var errSpaceUnavailable = errors.New("engine: user space unavailable")
