package engine

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"slices"
)

// place chooses the user spaces for the n shards of a blob: n distinct spaces out of
// candidates, shard i going to the i-th space returned.
//
// The affinity space, when it is a candidate, gets shard 0: the first data shard, or the
// replica read first, so reads that can be served by one shard stay where the user asked. The
// rest are ranked by rendezvous (highest random weight) hashing of the blob ID with each space
// ID, which spreads shards evenly over any set of spaces, needs no shared state, and moves the
// fewest shards when a space is added or removed. Candidates must already exclude spaces that
// are unhealthy or full.
//
// place is a pure function: the same arguments always give the same answer.
func place(blob BlobID, candidates []SpaceID, n int, affinity SpaceID) ([]SpaceID, error) {
	if len(candidates) < n {
		return nil, fmt.Errorf("need %d usable user spaces for %d shards, have %d", n, n, len(candidates))
	}
	type ranked struct {
		id    SpaceID
		score uint64
	}
	rs := make([]ranked, 0, len(candidates))
	seen := make(map[SpaceID]bool, len(candidates))
	for _, id := range candidates {
		if seen[id] {
			continue
		}
		seen[id] = true
		rs = append(rs, ranked{id, rendezvous(blob, id)})
	}
	if len(rs) < n {
		return nil, fmt.Errorf("need %d distinct user spaces for %d shards, have %d", n, n, len(rs))
	}
	slices.SortFunc(rs, func(a, b ranked) int {
		switch {
		case a.id == affinity:
			return -1
		case b.id == affinity:
			return 1
		}
		return cmp.Or(cmp.Compare(b.score, a.score), cmp.Compare(a.id, b.id))
	})
	out := make([]SpaceID, n)
	for i := range out {
		out[i] = rs[i].id
	}
	return out, nil
}

// rendezvous is the weight of space id for blob: FNV-1a of both, finished with the
// splitmix64 mixer so that nearby IDs get unrelated weights.
func rendezvous(blob BlobID, id SpaceID) uint64 {
	h := fnv.New64a()
	h.Write(blob[:])
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(id))
	h.Write(b[:])
	x := h.Sum64()
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
