package localdir

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
)

// Compact implements space.Compactor: it rewrites the sealed packs that are at most half live,
// or smaller than an eighth of Options.PackFileSize (the leftovers of restarts), into the
// active pack, and removes them. It returns the bytes of pack files removed, less the bytes
// it copied.
//
// Each live record is copied as a move record, which replay applies only over the record it
// copied or older data; a copy is appended only while the blob is still that record, and a
// deletion names the newest copy. So a blob replaced or deleted while Compact runs stays
// replaced or deleted, now and after any restart. Copies and the tombstones that must outlive
// the pack are fsynced before the pack is removed.
func (s *Space) Compact(ctx context.Context) (freed int64, err error) {
	ps := s.packs
	ps.compactMu.Lock()
	defer ps.compactMu.Unlock()
	ps.mu.Lock()
	var cands []*pack
	for _, p := range ps.packs {
		if p != ps.active && p.inflight == 0 && (p.live*2 <= p.size || p.size < ps.fileSize/8) {
			cands = append(cands, p)
		}
	}
	ps.mu.Unlock()
	slices.SortFunc(cands, func(a, b *pack) int { return int(a.id) - int(b.id) })
	for _, p := range cands {
		n, err := ps.compactPack(ctx, p)
		freed += n
		if err != nil {
			return freed, fmt.Errorf("localdir: compact %s: %w", packName(p.id), err)
		}
	}
	return freed, nil
}

// move is a live record copied by compaction, not yet indexed.
type move struct {
	name     string
	from, to pos
	p        *pack // holding to
	end      int64 // of the copy in p
}

// compactPack copies the live records and needed tombstones of the sealed pack p to the
// active pack, indexes the copies and removes p.
func (ps *packStore) compactPack(ctx context.Context, p *pack) (freed int64, err error) {
	ps.mu.Lock()
	if p.removed || ps.closed {
		ps.mu.Unlock()
		return 0, nil
	}
	p.refs++ // keep the file open while reading it
	size := p.size
	ps.mu.Unlock()
	defer ps.release(p)

	var moves []move
	var copied int64
	syncs := make(map[*pack]int64) // what must be durable before p goes: pack → end
	defer func() {
		// Moves not indexed (on error) are abandoned. Replay may still take a copy, which
		// holds the same data as the record it copied.
		ps.mu.Lock()
		for _, m := range moves {
			ps.doneCopyLocked(m)
		}
		ps.mu.Unlock()
	}()
	_, err = scanPack(p.f, p.id, size, false, func(r record) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if r.kind == recordTombstone {
			return ps.keepTombstone(p, r, syncs)
		}
		cur, ok := ps.get(r.name)
		if !ok || cur.at != r.at {
			return nil // dead
		}
		m, ok, err := ps.copyRecord(p, cur)
		if err != nil || !ok {
			return err
		}
		moves = append(moves, m)
		syncs[m.p] = max(syncs[m.p], m.end)
		copied += cur.recordLen()
		return nil
	})
	if err != nil {
		return 0, err
	}
	for q, end := range syncs {
		if err := ps.waitSync(q, end); err != nil {
			return 0, err
		}
	}

	ps.mu.Lock()
	for _, m := range moves {
		// A blob replaced or deleted since its copy was appended stays so: replay agrees,
		// because the replacement's Put record is newer than the record copied, and the
		// deletion's tombstone names the copy.
		if cur, ok := ps.index.Get(packEntry{name: m.name}); ok && cur.at == m.from {
			e := cur
			e.at = m.to
			ps.setLocked(e, cur, true)
		}
		ps.doneCopyLocked(m)
	}
	moves = nil
	live := p.live
	if live == 0 {
		delete(ps.packs, p.id)
		p.removed = true
		ps.releaseLocked(p)
	}
	ps.mu.Unlock()
	if live != 0 {
		return 0, fmt.Errorf("%d live bytes left after copying", live)
	}
	if err := ps.root.Remove(packName(p.id)); err != nil {
		return 0, err
	}
	if err := syncDirOf(ps.root, PackDir); err != nil {
		return 0, err
	}
	return size - copied, nil
}

// doneCopyLocked ends the bookkeeping of copy m.
func (ps *packStore) doneCopyLocked(m move) {
	if ps.copying[m.name] == m.to {
		delete(ps.copying, m.name)
	}
	m.p.inflight--
}

// keepTombstone copies tombstone r of pack p to the active pack while a pack other than p
// that may hold a record it kills exists: replay would otherwise bring that record back. The
// records it must keep dead are those of its data and of the data that data replaced: they
// lie from r.first (see packEntry.first) to the record it names, which is the newest copy
// (see lastRecordLocked), so only packs in that range can hold them. Older data deleted
// before has tombstones of its own.
func (ps *packStore) keepTombstone(p *pack, r record, syncs map[*pack]int64) error {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	needed := false
	for id := range ps.packs {
		if id != p.id && r.first.pack <= id && id <= r.ref.pack {
			needed = true
			break
		}
	}
	if !needed {
		return nil
	}
	q, at, err := ps.appendTombstoneLocked(r.name, r.ref, r.first)
	if err != nil {
		return err
	}
	syncs[q] = max(syncs[q], at.off+tombstoneLen(r.name))
	return nil
}

// copyRecord appends a move record with the data of e, which lies in pack p, unless e is no
// longer the blob's record by then (ok false). The data and its checksum are copied as they
// are, so a bad block stays detectable.
func (ps *packStore) copyRecord(p *pack, e packEntry) (m move, ok bool, err error) {
	n := int(e.recordLen())
	buf := ps.buffer(n)
	defer ps.bufs.Put(buf)
	rec := *buf
	if _, err := p.f.ReadAt(rec, e.at.off); err != nil {
		return move{}, false, err
	}
	rec[8] = recordMove
	binary.LittleEndian.PutUint32(rec[24:], e.at.pack)
	binary.LittleEndian.PutUint64(rec[28:], uint64(e.at.off))
	sealHeader(rec, e.nameLen)

	// Check and append in one critical section: a copy of data that is already deleted
	// would come back in replay once p is gone.
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if cur, ok := ps.index.Get(e); !ok || cur.at != e.at {
		return move{}, false, nil
	}
	q, at, err := ps.appendLocked(rec)
	if err != nil {
		return move{}, false, err
	}
	q.inflight++
	ps.copying[e.name] = at
	return move{name: e.name, from: e.at, to: at, p: q, end: at.off + int64(n)}, true, nil
}
