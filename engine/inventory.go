package engine

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/jointcloud/jcs/engine/space"
	"github.com/jointcloud/jcs/erasure"
	"github.com/jointcloud/jcs/kv"
)

// The inventory compares the index with what the spaces really hold, for repair passes and
// fsck, in bounded memory: blob records are read in ID order a page at a time, and every
// space's shard files are listed in name order alongside. Shard names sort as their blob IDs
// do (the fan-out directory is the ID's first byte), so one forward pass over each listing
// meets every file exactly once, next to the records of its page.

// shardState is what the inventory found of one shard.
type shardState uint8

const (
	shardOK shardState = iota
	// shardMissing: the space answered, and the file is absent or has the wrong size.
	shardMissing
	// shardCorrupt: the file is there but fails its checksums.
	shardCorrupt
	// shardUnreachable: the space is down or could not be listed; nothing is known.
	shardUnreachable
	// shardUnplaced: the space is draining or no longer registered: the shard must move.
	shardUnplaced
)

func (s shardState) String() string {
	return [...]string{"ok", "missing", "corrupt", "unreachable", "unplaced"}[s]
}

// inventoryPage is how many blob records one page holds.
var inventoryPage = 1000

// shardLister walks one space's shard files in name order.
type shardLister struct {
	id    SpaceID
	sp    space.Space
	buf   []space.Info
	after string
	done  bool
	err   error
}

// upTo calls fn for every listed file whose name sorts before bound ("" means no bound),
// fetching pages as needed. A listing error stops the lister for good.
func (l *shardLister) upTo(ctx context.Context, bound string, fn func(space.Info)) {
	for l.err == nil {
		for len(l.buf) > 0 && (bound == "" || l.buf[0].Name < bound) {
			fn(l.buf[0])
			l.buf = l.buf[1:]
		}
		if len(l.buf) > 0 || l.done {
			return
		}
		infos, next, err := l.sp.List(ctx, shardPrefix, l.after, 1000)
		if err != nil {
			l.err = err
			return
		}
		l.buf, l.after, l.done = infos, next, next == ""
	}
}

// inventoryVisit is what the inventory reports for one blob.
type inventoryVisit struct {
	blob   blobLayout
	states []shardState
}

// inventory walks every live blob and reports the state of each of its shards to visit, and
// every shard file no live blob places where it lies to stray (nil: not reported). A space
// that is down, or whose listing fails, reports its shards unreachable.
func (e *Engine) inventory(ctx context.Context, visit func(inventoryVisit) error, stray func(SpaceID, space.Info)) error {
	views := e.spaces.views(e.now())
	listers := make(map[SpaceID]*shardLister)
	placeable := make(map[SpaceID]bool)
	for _, v := range views {
		if !v.info.Draining {
			placeable[v.info.ID] = true
		}
		if v.sp != nil && v.health != HealthDown {
			sp, err := e.spaces.get(v.info.ID)
			if err == nil {
				listers[v.info.ID] = &shardLister{id: v.info.ID, sp: sp}
			}
		}
	}
	var after []byte
	for {
		page, err := e.blobPage(ctx, after)
		if err != nil {
			return err
		}
		// Files of this page's blobs, by name; a bound past the last blob's names.
		bound := ""
		if len(page) == inventoryPage {
			bound = shardName(page[len(page)-1].ID, 0)
			bound = bound[:len(bound)-2] + "/" // '/' sorts after '.', before nothing that matters
		}
		files := make(map[SpaceID]map[string]int64, len(listers))
		for id, l := range listers {
			m := make(map[string]int64)
			l.upTo(ctx, bound, func(info space.Info) { m[info.Name] = info.Size })
			files[id] = m
		}
		for _, b := range page {
			size, err := e.shardFileSize(&b)
			if err != nil {
				return err
			}
			states := make([]shardState, len(b.Spaces))
			for i, id := range b.Spaces {
				l := listers[id]
				name := shardName(b.ID, i)
				switch {
				case b.Deferred:
					// No shards yet (see deferred.go); any file there is the placer's.
				case !placeable[id]:
					states[i] = shardUnplaced
				case l == nil || l.err != nil:
					states[i] = shardUnreachable
				default:
					got, ok := files[id][name]
					delete(files[id], name)
					if !ok || got != size {
						states[i] = shardMissing
					}
				}
				// A draining space still holds its file: take it off the strays.
				if l != nil {
					delete(files[id], name)
				}
			}
			if err := visit(inventoryVisit{blob: b, states: states}); err != nil {
				return err
			}
		}
		if stray != nil {
			for id, m := range files {
				for name, size := range m {
					stray(id, space.Info{Name: name, Size: size})
				}
			}
		}
		if len(page) < inventoryPage {
			var errs []error
			for _, l := range listers {
				errs = append(errs, l.err)
			}
			return errors.Join(errs...)
		}
		after = append(blobKey(page[len(page)-1].ID), 0)
	}
}

// blobPage reads up to inventoryPage blob records from key after on (nil: the start).
func (e *Engine) blobPage(ctx context.Context, after []byte) ([]blobLayout, error) {
	return e.layoutPage(ctx, kv.PrefixBlob, after, inventoryPage)
}

// layoutPage reads up to n layouts (blob or queue records, which share their format) under
// prefix, from key after on (nil: the start).
func (e *Engine) layoutPage(ctx context.Context, prefix kv.Prefix, after []byte, n int) ([]blobLayout, error) {
	var page []blobLayout
	err := e.kv.View(ctx, func(r kv.Reader) error {
		lower, upper := kv.PrefixRange(kv.Key(prefix))
		if after != nil {
			lower = after
		}
		it := r.Iter(lower, upper)
		for ok := it.First(); ok && len(page) < n; ok = it.Next() {
			kr := kv.NewKeyReader(it.Key())
			kr.Prefix()
			var id BlobID
			copy(id[:], kr.Bytes(len(id)))
			b, err := decodeBlob(id, it.Value())
			if err := errors.Join(err, kr.Err()); err != nil {
				it.Close()
				return err
			}
			page = append(page, b)
		}
		return it.Close()
	})
	return page, err
}

// checkBlob finds the state of each shard of b by asking its space, reading and verifying
// every shard when verify is set. limit, if not nil, is called with the bytes of each shard
// verified, so that a scrub can pace itself.
func (e *Engine) checkBlob(ctx context.Context, b *blobLayout, verify bool, limit func(int64)) ([]shardState, error) {
	codec, err := e.codec(b.K, b.N-b.K, b.Chunk)
	if err != nil {
		return nil, err
	}
	size := codec.ShardFileSize(b.Size)
	states := make([]shardState, len(b.Spaces))
	if b.Deferred {
		return states, nil // no shards yet: nothing to check (see deferred.go)
	}
	for i, id := range b.Spaces {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		v, ok := e.spaces.view(id)
		switch {
		case !ok || v.info.Draining:
			states[i] = shardUnplaced
			continue
		case v.sp == nil || v.health == HealthDown:
			states[i] = shardUnreachable
			continue
		}
		sp, err := e.spaces.get(id)
		if err != nil {
			states[i] = shardUnreachable
			continue
		}
		name := shardName(b.ID, i)
		if !verify {
			info, err := sp.Stat(ctx, name)
			switch {
			case errors.Is(err, space.ErrNotExist) || (err == nil && info.Size != size):
				states[i] = shardMissing
			case err != nil:
				states[i] = shardUnreachable
			}
			continue
		}
		states[i] = e.verifyShard(ctx, sp, codec, b, i)
		if limit != nil {
			limit(size)
		}
	}
	return states, nil
}

// verifyShard reads one shard whole and checks every block.
func (e *Engine) verifyShard(ctx context.Context, sp space.Space, codec *erasure.Codec, b *blobLayout, i int) shardState {
	r, err := sp.Open(ctx, shardName(b.ID, i))
	switch {
	case errors.Is(err, space.ErrNotExist):
		return shardMissing
	case err != nil:
		return shardUnreachable
	}
	defer r.Close()
	err = codec.VerifyShard(ctx, r, i, erasure.Tag(b.ID), b.Size)
	switch {
	case err == nil:
		return shardOK
	case errors.Is(err, erasure.ErrChecksum) || errors.Is(err, erasure.ErrHeader):
		return shardCorrupt
	case errors.Is(err, space.ErrNotExist):
		return shardMissing
	case errors.Is(err, erasure.ErrShortShard) && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)):
		return shardCorrupt
	}
	return shardUnreachable
}

// view returns a copy of one space's state.
func (s *spaceSet) view(id SpaceID) (spaceView, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ent, ok := s.byID[id]
	if !ok {
		return spaceView{}, false
	}
	return spaceView{info: ent.info, sp: ent.sp, openErr: ent.openErr, health: ent.health, downAt: ent.downAt, status: ent.status(time.Now())}, true
}
