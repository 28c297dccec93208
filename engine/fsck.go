package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/jointcloud/jcs/engine/space"
	"github.com/jointcloud/jcs/kv"
)

// FsckOptions says how deep Fsck looks.
type FsckOptions struct {
	// Verify reads every shard and checks its checksums; without it Fsck trusts the sizes.
	Verify bool
}

// FsckReport is what Fsck found. Counts are complete; Problems lists the first
// MaxFsckProblems of them.
type FsckReport struct {
	Blobs, Shards int64
	// Missing: shards the index places on a working space that are absent or of the wrong
	// size. Corrupt: shards that fail their checksums (Verify only). Unreachable: shards on
	// spaces that are down. Unplaced: shards on draining or deleted spaces.
	Missing, Corrupt, Unreachable, Unplaced int64
	// Deferred: blobs whose content waits in the index for the placer; a content record that
	// is missing, of the wrong size or fails its checksum counts as a missing shard.
	Deferred int64
	// Orphans: shard files on a space that no record places there.
	Orphans int64
	// BadRefs: blobs whose reference count differs from the objects and parts naming them,
	// and references to blobs that do not exist.
	BadRefs  int64
	Problems []FsckProblem
}

// Clean reports whether nothing is missing, corrupt, orphaned or miscounted. Unreachable and
// unplaced shards are not damage: they wait for their space, or for repair.
func (r FsckReport) Clean() bool {
	return r.Missing+r.Corrupt+r.Orphans+r.BadRefs == 0
}

// FsckProblem is one finding.
type FsckProblem struct {
	Kind  string // "missing", "corrupt", "unreachable", "unplaced", "orphan", "refs"
	Space SpaceID
	Blob  string
	Shard int
	Name  string // orphans: the file's name in its space
	Info  string
}

// MaxFsckProblems bounds FsckReport.Problems.
const MaxFsckProblems = 1000

func (r *FsckReport) add(p FsckProblem) {
	if len(r.Problems) < MaxFsckProblems {
		r.Problems = append(r.Problems, p)
	}
}

// Fsck checks the index against the shard files of every space: every shard a blob record
// places must exist with the right size (and, with Verify, checksums), every shard file must be
// placed by a record, and every blob's reference count must equal the objects and parts that
// name it. It changes nothing. Blobs being written are skipped.
func (e *Engine) Fsck(ctx context.Context, o FsckOptions) (FsckReport, error) {
	const op = "engine.Fsck"
	var rep FsckReport
	refs, err := e.countRefs(ctx)
	if err != nil {
		return rep, wrap(op, err)
	}
	var strays []struct {
		id   SpaceID
		info space.Info
	}
	err = e.inventory(ctx, func(v inventoryVisit) error {
		b := &v.blob
		rep.Blobs++
		if n := refs[b.ID]; uint64(n) != b.Refs {
			rep.BadRefs++
			rep.add(FsckProblem{Kind: "refs", Blob: b.ID.String(), Info: refsInfo(b.Refs, n)})
		}
		delete(refs, b.ID)
		if b.Deferred {
			rep.Deferred++
			if err := e.checkDeferred(ctx, b); err != nil {
				rep.Missing++
				rep.add(FsckProblem{Kind: "missing", Blob: b.ID.String(), Info: err.Error()})
			}
			return ctx.Err()
		}
		rep.Shards += int64(len(b.Spaces))
		if o.Verify {
			codec, err := e.codec(b.K, b.N-b.K, b.Chunk)
			if err != nil {
				return err
			}
			for i, st := range v.states {
				if st != shardOK {
					continue
				}
				if sp, err := e.spaces.get(b.Spaces[i]); err == nil {
					v.states[i] = e.verifyShard(ctx, sp, codec, b, i)
				}
			}
		}
		for i, st := range v.states {
			p := FsckProblem{Kind: st.String(), Space: b.Spaces[i], Blob: b.ID.String(), Shard: i}
			switch st {
			case shardOK:
				continue
			case shardMissing:
				rep.Missing++
			case shardCorrupt:
				rep.Corrupt++
			case shardUnreachable:
				rep.Unreachable++
			case shardUnplaced:
				rep.Unplaced++
			}
			rep.add(p)
		}
		return ctx.Err()
	}, func(id SpaceID, info space.Info) {
		strays = append(strays, struct {
			id   SpaceID
			info space.Info
		}{id, info})
	})
	if err != nil {
		return rep, wrap(op, err)
	}
	for id, n := range refs {
		if e.blobs.busy(id) {
			continue
		}
		rep.BadRefs++
		rep.add(FsckProblem{Kind: "refs", Blob: id.String(), Info: refsInfo(0, n) + " (no blob record)"})
	}
	// A stray is an orphan unless a queued blob still places it there (collection will take
	// it) or it belongs to a write in flight.
	err = e.kv.View(ctx, func(r kv.Reader) error {
		for _, s := range strays {
			blob, index, ok := parseShardName(s.info.Name)
			if ok && e.blobs.busy(blob) {
				continue
			}
			if ok {
				v, err := r.Get(gcKey(blob))
				if err == nil {
					if q, err := decodeBlob(blob, v); err == nil && index < len(q.Spaces) && q.Spaces[index] == s.id {
						continue
					}
				} else if !errors.Is(err, kv.ErrNotFound) {
					return err
				}
			}
			rep.Orphans++
			rep.add(FsckProblem{Kind: "orphan", Space: s.id, Name: s.info.Name})
		}
		return nil
	})
	return rep, wrap(op, err)
}

func refsInfo(recorded uint64, counted int) string {
	return fmt.Sprintf("recorded %d references, counted %d", recorded, counted)
}

// countRefs counts, per blob, the object segments and parts that name it.
func (e *Engine) countRefs(ctx context.Context) (map[BlobID]int, error) {
	refs := make(map[BlobID]int)
	err := e.kv.View(ctx, func(r kv.Reader) error {
		objects := scanPrefix(r, kv.Key(kv.PrefixObject), func(_, v []byte) error {
			o, err := decodeObject(0, "", v)
			for _, s := range o.Segments {
				refs[s.Blob]++
			}
			return err
		})
		parts := func(_, v []byte) error {
			p, err := decodePart(0, v)
			if p.Blob != (BlobID{}) {
				refs[p.Blob]++
			}
			return err
		}
		return errors.Join(objects,
			scanPrefix(r, kv.Key(kv.PrefixPart), parts),
			scanPrefix(r, kv.Key(kv.PrefixUploadPart), parts))
	})
	return refs, err
}

// checkDeferred checks the content record of deferred blob b. A blob placed since the
// inventory read it passes.
func (e *Engine) checkDeferred(ctx context.Context, b *blobLayout) error {
	return e.kv.View(ctx, func(r kv.Reader) error {
		v, err := r.Get(blobDataKey(b.ID))
		if errors.Is(err, kv.ErrNotFound) {
			if cur, err := getBlob(r, b.ID); err != nil || !cur.Deferred {
				return nil // placed or released since
			}
			return errors.New("deferred content record missing")
		}
		if err != nil {
			return err
		}
		data, err := decodeBlobData(v)
		if err == nil && int64(len(data)) != b.Size {
			err = fmt.Errorf("deferred content of %d bytes, record says %d", len(data), b.Size)
		}
		return err
	})
}
