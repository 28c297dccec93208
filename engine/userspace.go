package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jointcloud/jcs/engine/space"
	"github.com/jointcloud/jcs/kv"
)

// Storage types a user space can have.
const (
	StorageLocal = "Local"
	StorageS3    = "S3"
)

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

// Credential holds the secrets that open a user space's storage. It is never logged.
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

// CreateUserSpace registers a user space and opens its storage. It fails with KindInvalid if
// the name is bad or the storage cannot be opened, and KindAlreadyExists if the name is taken.
func (e *Engine) CreateUserSpace(ctx context.Context, in CreateUserSpaceInput) (UserSpace, error) {
	const op = "engine.CreateUserSpace"
	if err := validateName("user space", in.Name); err != nil {
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
	sp, err := e.opts.OpenSpace(ctx, us)
	if err != nil {
		return UserSpace{}, &Error{Op: op, Kind: KindInvalid, Err: fmt.Errorf("opening storage: %w", err)}
	}
	err = e.kv.Update(ctx, func(tx kv.Tx) error {
		exists := false
		err := scanPrefix(tx, kv.Key(kv.PrefixUserSpace), func(_, v []byte) error {
			s, err := decodeSpace(v)
			exists = exists || s.Name == us.Name
			return err
		})
		if err != nil {
			return err
		}
		if exists {
			return errorf(op, KindAlreadyExists, "user space %q already exists", us.Name)
		}
		if loc := us.location(); loc != "" {
			var clash string
			err := scanPrefix(tx, kv.Key(kv.PrefixUserSpace), func(_, v []byte) error {
				s, err := decodeSpace(v)
				if err == nil && clash == "" && s.location() == loc {
					clash = s.Name
				}
				return err
			})
			if err != nil {
				return err
			}
			if clash != "" {
				return errorf(op, KindAlreadyExists, "user space %q already uses this storage location", clash)
			}
		}
		return tx.Set(spaceKey(us.ID), encodeSpace(&us))
	})
	if err != nil {
		return UserSpace{}, wrap(op, err)
	}
	e.spaces.add(us, sp, nil)
	return us, nil
}

// ListUserSpaces returns every user space, by ID.
func (e *Engine) ListUserSpaces(ctx context.Context) ([]UserSpace, error) {
	const op = "engine.ListUserSpaces"
	var out []UserSpace
	err := e.kv.View(ctx, func(r kv.Reader) error {
		return scanPrefix(r, kv.Key(kv.PrefixUserSpace), func(_, v []byte) error {
			s, err := decodeSpace(v)
			out = append(out, s)
			return err
		})
	})
	return out, wrap(op, err)
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

// spaceSet holds the opened storage of every user space.
type spaceSet struct {
	mu   sync.RWMutex
	byID map[SpaceID]*spaceEntry
}

type spaceEntry struct {
	info UserSpace
	sp   space.Space
	err  error // why the storage could not be opened, if it could not
	// failedUntil is when a space that failed a write may take new shards again. Reads still
	// try it: a failed write says little about the shards it already holds.
	failedUntil time.Time
}

// writeFailureCooldown is how long a space that failed a shard write gets no new shards. It
// is the simplest health signal that keeps one failing space from failing every upload; a
// proper health state with probes replaces it (issue #4).
const writeFailureCooldown = 30 * time.Second

// markFailed keeps a space from new shards until until.
func (s *spaceSet) markFailed(id SpaceID, until time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ent, ok := s.byID[id]; ok && until.After(ent.failedUntil) {
		ent.failedUntil = until
	}
}

func (s *spaceSet) add(us UserSpace, sp space.Space, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byID == nil {
		s.byID = make(map[SpaceID]*spaceEntry)
	}
	s.byID[us.ID] = &spaceEntry{info: us, sp: sp, err: err}
}

// get returns the opened storage of a user space, or an error saying why there is none.
func (s *spaceSet) get(id SpaceID) (space.Space, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ent, ok := s.byID[id]
	switch {
	case !ok:
		return nil, fmt.Errorf("user space %d is not registered", id)
	case ent.err != nil:
		return nil, fmt.Errorf("user space %d is unavailable: %w", id, ent.err)
	}
	return ent.sp, nil
}

// registered reports whether a user space with this ID exists, available or not.
func (s *spaceSet) registered(id SpaceID) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, ok := s.byID[id]
	return ok
}

// writable returns the IDs of the spaces that may receive new shards now, in ID order.
func (s *spaceSet) writable(now time.Time) []SpaceID {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var ids []SpaceID
	for id, ent := range s.byID {
		if ent.err == nil && ent.info.ShardStore != nil && !ent.failedUntil.After(now) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// all returns every opened space, in ID order.
func (s *spaceSet) all() []*spaceEntry {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*spaceEntry, 0, len(s.byID))
	for _, ent := range s.byID {
		if ent.err == nil {
			out = append(out, ent)
		}
	}
	slices.SortFunc(out, func(a, b *spaceEntry) int { return cmp.Compare(a.info.ID, b.info.ID) })
	return out
}

// openSpaces opens the storage of every registered user space. A space that fails to open is
// logged and kept unavailable: its shards are reconstructed from the others.
func (e *Engine) openSpaces(ctx context.Context) error {
	spaces, err := e.ListUserSpaces(ctx)
	if err != nil {
		return err
	}
	for _, us := range spaces {
		sp, err := e.opts.OpenSpace(ctx, us)
		if err != nil {
			e.log.Warn("user space unavailable", "space", us.ID, "name", us.Name, "err", err)
			err = errors.Join(errSpaceUnavailable, err)
		}
		e.spaces.add(us, sp, err)
	}
	return nil
}

var errSpaceUnavailable = errors.New("engine: user space unavailable")
