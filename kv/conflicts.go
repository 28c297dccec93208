package kv

import (
	"bytes"
	"sort"
	"sync"
)

// Conflict detection (the model is in doc.go). A write transaction that
// passes validation gets a commit number; its write set is logged under that
// number before its batch is applied, and the number is published (declared
// visible) after. A transaction's start is the published number when it
// began: commits numbered <= start were visible before its first read, and
// every later one, even one still being applied, is in the log for it to
// check. Write sets numbered <= the smallest running start are pruned.

// keyRange is a half-open range [lower, upper); a nil bound is unbounded.
type keyRange struct {
	lower, upper []byte
}

// contains reports whether key lies in r.
func (r keyRange) contains(key []byte) bool {
	return (r.lower == nil || bytes.Compare(key, r.lower) >= 0) &&
		(r.upper == nil || bytes.Compare(key, r.upper) < 0)
}

// readSet is what a transaction read: the keys passed to Get (found or not)
// and the bounds passed to Iter, conservatively whole.
type readSet struct {
	keys   map[string]struct{}
	ranges []keyRange
}

// addKey records a point read.
func (rs *readSet) addKey(key []byte) {
	if rs.keys == nil {
		rs.keys = make(map[string]struct{})
	}
	rs.keys[string(key)] = struct{}{}
}

// addRange records a range read; the bounds must not be modified later.
func (rs *readSet) addRange(lower, upper []byte) {
	rs.ranges = append(rs.ranges, keyRange{lower: lower, upper: upper})
}

// empty reports whether nothing was read: such a transaction never conflicts.
func (rs *readSet) empty() bool {
	return len(rs.keys) == 0 && len(rs.ranges) == 0
}

// covers reports whether a write to key would invalidate what was read.
func (rs *readSet) covers(key []byte) bool {
	if _, ok := rs.keys[string(key)]; ok {
		return true
	}
	for _, r := range rs.ranges {
		if r.contains(key) {
			return true
		}
	}
	return false
}

// writeSet is the keys one commit wrote (set or deleted), tagged with its
// commit sequence number.
type writeSet struct {
	seq  uint64
	keys [][]byte
}

// conflictLog is the shared state of conflict detection. It is safe for
// concurrent use; callers that reserve must also hold Store.commitMu, so that
// validation and the append that follows it are atomic with respect to other
// commits.
type conflictLog struct {
	mu        sync.Mutex
	published uint64         // commits numbered <= published are visible
	last      uint64         // highest number handed out by reserve
	active    map[uint64]int // start -> number of running transactions
	entries   []writeSet     // ascending seq, each > the smallest start
}

// begin registers a starting transaction and returns its start.
func (l *conflictLog) begin() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.active == nil {
		l.active = make(map[uint64]int)
	}
	l.active[l.published]++
	return l.published
}

// end unregisters a transaction begun at start and prunes write sets no
// running transaction needs.
func (l *conflictLog) end(start uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.active[start]--; l.active[start] == 0 {
		delete(l.active, start)
	}
	l.prune()
}

// prune drops the write sets numbered at most the smallest running start
// (all of them when nothing runs). l.mu must be held.
func (l *conflictLog) prune() {
	oldest := l.last
	for start := range l.active {
		oldest = min(oldest, start)
	}
	n := sort.Search(len(l.entries), func(i int) bool { return l.entries[i].seq > oldest })
	if n == 0 {
		return
	}
	clear(l.entries[:n]) // let the dropped keys be collected
	l.entries = l.entries[n:]
	if len(l.entries) == 0 {
		l.entries = nil
	}
}

// validLocked reports whether no commit after start wrote into rs. l.mu must be
// held.
func (l *conflictLog) validLocked(start uint64, rs *readSet) bool {
	if rs.empty() {
		return true
	}
	i := sort.Search(len(l.entries), func(i int) bool { return l.entries[i].seq > start })
	for _, ws := range l.entries[i:] {
		for _, k := range ws.keys {
			if rs.covers(k) {
				return false
			}
		}
	}
	return true
}

// valid is validLocked for transactions that commit nothing: they need no
// commit number, so they do not take Store.commitMu.
func (l *conflictLog) valid(start uint64, rs *readSet) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.validLocked(start, rs)
}

// reserve validates a write transaction and, if it is valid, appends its
// write set under a new commit number, which it returns. The caller must hold
// Store.commitMu, apply the batch, then publish the number.
func (l *conflictLog) reserve(start uint64, rs *readSet, writes [][]byte) (seq uint64, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.validLocked(start, rs) {
		return 0, false
	}
	l.last++
	l.entries = append(l.entries, writeSet{seq: l.last, keys: writes})
	return l.last, true
}

// publish records that commit seq is visible in Pebble, so transactions that
// start from now on need not check it.
func (l *conflictLog) publish(seq uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.published = seq
}

// size returns the number of running transactions and of retained write sets.
func (l *conflictLog) size() (active, entries int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, n := range l.active {
		active += n
	}
	return active, len(l.entries)
}
