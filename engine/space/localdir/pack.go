package localdir

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/btree"

	"github.com/jointcloud/jcs/engine/space"
)

// Packs. A file per blob costs a create, an fsync, a rename and a directory fsync, which on a
// virtio disk is milliseconds of journal commits for a 4 KiB shard. Blobs of up to
// Options.PackMax bytes are instead appended as records to a pack file, the log-structured
// layout of Haystack and Bitcask:
//
//   - Pack files live in PackDir, named by a hexadecimal ID that only grows. One pack at a time
//     is active and takes appends; it is sealed when it reaches Options.PackFileSize, or when a
//     write to it fails.
//   - Concurrent Puts share fsyncs (group commit): each appends its record under the lock and
//     waits until a sync covers it; the first waiter syncs everything appended so far while the
//     others wait. A Put returns only once its record is durable and in the index.
//   - The index (name → record) is a B-tree in memory, rebuilt at Open by reading the
//     record headers of every pack in order. Every Put, move and deletion is a record, and the
//     rules of apply make replaying them in order reproduce the index, whatever compaction
//     was doing when the process stopped.
//   - Delete appends a tombstone naming the newest record of the data it kills, and does not
//     wait for a sync: the space contract lets a deleted blob reappear after a crash.
//   - Compact rewrites the live records of packs that are mostly dead (or small) as move records
//     in the active pack and then removes the old pack.
//
// A record is a 36-byte header, the name and the data:
//
//	0  crc32c of bytes 4..36 and the name
//	4  crc32c of the data
//	8  kind (recordPut, recordTombstone, recordMove, recordVoid)
//	9  reserved, zero
//	10 name length, uint16
//	12 data length, uint32
//	16 modification time, Unix nanoseconds, int64
//	24 a record position: the record a tombstone kills, or the record a move copies
//	   (pack ID uint32, offset int64)
//
// A tombstone's data is the position of the oldest record of the data it kills (see
// packEntry.first), 12 bytes, or empty (then: any older record).
//
// All integers are little-endian. A crash can leave torn records only at the end of the pack
// that was active, since a pack is synced whole before the next one is created. Open checks
// the data checksums of the newest pack, and a record whose data fails is buried under a
// durable tombstone; every replay stops at the first header that fails, whose lengths cannot
// be trusted. Nothing is ever appended to a pack after a restart.

// PackDir is the directory under the root that holds pack files. Names whose first segment is
// PackDir are invalid in this package, and List never shows its content.
const PackDir = ".packs"

const (
	// DefaultPackMax is the Options.PackMax used when it is 0: 1 MiB, which packs every shard of
	// an object of up to 4 MiB under 4+2 erasure coding and every replica of a small object.
	DefaultPackMax = 1 << 20
	// DefaultPackFileSize is the Options.PackFileSize used when it is 0.
	DefaultPackFileSize = 64 << 20

	packSuffix      = ".pack"
	recordHeaderLen = 36
	// maxRecordData bounds the data length read from a header, so that a corrupt header cannot
	// make New allocate gigabytes.
	maxRecordData = 1 << 30
)

// Record kinds.
const (
	recordPut       = 1
	recordTombstone = 2
	recordMove      = 3
	// recordVoid marks, in place, a record whose data failed its checksum at open: replay
	// skips it. Only records of the newest pack, never acknowledged, are voided.
	recordVoid = 4
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Options tune a Space. The zero value gives the defaults.
type Options struct {
	// PackMax is the largest blob, in bytes, that Put appends to a pack rather than writing to
	// a file of its own. Only Puts that announce their size are packed. 0 means DefaultPackMax;
	// a negative value turns packing off for new Puts (packs already written stay readable).
	PackMax int64
	// PackFileSize is the size at which the active pack is sealed and a new one started. 0
	// means DefaultPackFileSize.
	PackFileSize int64
}

// pos is the position of a record: its pack and its offset in the pack. Positions order
// records the way New replays them.
type pos struct {
	pack uint32
	off  int64
}

func (p pos) less(q pos) bool {
	return p.pack < q.pack || (p.pack == q.pack && p.off < q.off)
}

// packEntry is an index entry: where a blob's record is, and what Stat reports about it.
type packEntry struct {
	name string
	at   pos // the record holding the data now
	born pos // the Put record the data came from (or a later bound): moves keep it
	// first is the oldest record of this name that this data replaced or copied, directly or
	// not: every record a tombstone for it must keep dead lies from first to the record the
	// tombstone names, so once no pack in that range is left the tombstone can go.
	first   pos
	nameLen int   // length of the record's name, which locates the data
	size    int64 // data length
	mtime   int64 // Unix nanoseconds
}

func (e packEntry) recordLen() int64 { return recordHeaderLen + int64(e.nameLen) + e.size }
func (e packEntry) dataOff() int64   { return e.at.off + recordHeaderLen + int64(e.nameLen) }

// pack is one pack file. Fields other than id and f are guarded by packStore.mu.
type pack struct {
	id uint32
	f  *os.File

	size    int64 // bytes appended
	live    int64 // bytes of the records the index points at
	synced  int64 // bytes known durable
	syncing bool  // a sync of this pack is running
	syncErr error // a failed sync: nothing after synced can be trusted
	full    bool  // takes no more appends: sealed, or a write failed
	// inflight counts Put and move records appended but not yet indexed or abandoned. Only
	// a sealed pack with none is compacted, so the index never points at a removed pack.
	inflight int
	refs     int // the store's reference while listed in packs, plus one per open reader
	removed  bool
	// dio is an O_DIRECT handle on the file while the pack is active, nil without direct
	// I/O; tail holds the bytes appended after the last directAlign boundary. See
	// pack_direct.go.
	dio  *os.File
	tail []byte
}

// packStore is the packed part of a Space.
type packStore struct {
	root     *os.Root
	max      int64
	fileSize int64
	bufs     sync.Pool // *[]byte record buffers

	compactMu sync.Mutex // one Compact at a time

	mu     sync.Mutex
	synced *sync.Cond // broadcast when a sync finishes
	index  *btree.BTreeG[packEntry]
	// copying holds the position of each copy that compaction has appended and not yet
	// indexed, by name.
	copying map[string]pos
	packs   map[uint32]*pack
	active  *pack // nil until the first append
	nextID  uint32
	closed  bool
}

func byName(a, b packEntry) bool { return a.name < b.name }

// openPacks creates PackDir if needed and replays every pack in it. With readOnly it writes
// nothing: a missing PackDir means no packs, and bad records are only skipped, not buried.
func openPacks(root *os.Root, opts Options, syncDir func(string) error, readOnly bool) (*packStore, error) {
	ps := &packStore{
		root:     root,
		max:      opts.PackMax,
		fileSize: opts.PackFileSize,
		index:    btree.NewG(32, byName),
		packs:    make(map[uint32]*pack),
		copying:  make(map[string]pos),
		nextID:   1,
	}
	ps.synced = sync.NewCond(&ps.mu)
	if ps.max == 0 {
		ps.max = DefaultPackMax
	}
	if ps.fileSize <= 0 {
		ps.fileSize = DefaultPackFileSize
	}
	if readOnly {
		if _, err := root.Stat(PackDir); errors.Is(err, fs.ErrNotExist) {
			return ps, nil
		}
	}
	switch err := root.Mkdir(PackDir, dirPerm); {
	case readOnly:
	case err == nil:
		if err := syncDir("."); err != nil {
			return nil, fmt.Errorf("localdir: create %s: %w", PackDir, err)
		}
	case !errors.Is(err, fs.ErrExist):
		return nil, fmt.Errorf("localdir: create %s: %w", PackDir, err)
	}
	ids, err := ps.packIDs()
	if err != nil {
		return nil, err
	}
	var bad []record
	for i, id := range ids {
		if bad, err = ps.replay(id, i == len(ids)-1); err != nil {
			ps.close()
			return nil, err
		}
		ps.nextID = id + 1
	}
	// A record of the newest pack whose data is bad was torn by a crash and never
	// acknowledged. Once another pack follows, replay no longer checks it: void it for good,
	// in place, so that it is as if it had never been written (a tombstone would also kill
	// the older data it failed to replace).
	for _, r := range bad {
		if readOnly {
			break
		}
		if err := voidRecord(ps.root, r); err != nil {
			ps.close()
			return nil, fmt.Errorf("localdir: void a torn record of %s: %w", packName(r.at.pack), err)
		}
	}
	return ps, nil
}

// voidRecord rewrites the header of r, in its pack under root, as a recordVoid, durably.
func voidRecord(root *os.Root, r record) error {
	f, err := root.OpenFile(packName(r.at.pack), os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	h := make([]byte, recordHeaderLen+len(r.name))
	if _, err := f.ReadAt(h, r.at.off); err != nil {
		return err
	}
	h[8] = recordVoid
	sealHeader(h, len(r.name))
	if _, err := f.WriteAt(h[:recordHeaderLen], r.at.off); err != nil {
		return err
	}
	return fdatasync(f)
}

// packIDs returns the IDs of the pack files in PackDir, in ascending order.
func (ps *packStore) packIDs() ([]uint32, error) {
	d, err := ps.root.Open(PackDir)
	if err != nil {
		return nil, fmt.Errorf("localdir: open %s: %w", PackDir, err)
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, fmt.Errorf("localdir: read %s: %w", PackDir, err)
	}
	var ids []uint32
	for _, n := range names {
		hex, ok := strings.CutSuffix(n, packSuffix)
		if !ok || len(hex) != 8 {
			continue
		}
		id, err := strconv.ParseUint(hex, 16, 32)
		if err == nil && id > 0 && packName(uint32(id)) == PackDir+"/"+n {
			ids = append(ids, uint32(id))
		}
	}
	slices.Sort(ids)
	return ids, nil
}

func packName(id uint32) string { return fmt.Sprintf("%s/%08x%s", PackDir, id, packSuffix) }

// replay opens pack id and applies its records to the index. last says it is the newest pack,
// the only one a crash can have left with a torn tail: replay checks its data checksums,
// returning the records that fail them instead of applying them.
func (ps *packStore) replay(id uint32, last bool) (bad []record, err error) {
	f, err := ps.root.Open(packName(id))
	if err != nil {
		return nil, fmt.Errorf("localdir: open pack: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("localdir: open pack: %w", err)
	}
	p := &pack{id: id, f: f, size: fi.Size(), synced: fi.Size(), full: true, refs: 1}
	ps.packs[id] = p
	_, err = scanPack(f, id, p.size, last, func(r record) error {
		if r.bad {
			bad = append(bad, r)
		} else {
			ps.apply(r)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("localdir: replay %s: %w", packName(id), err)
	}
	// A torn tail, past where the scan stopped, stays: nothing in it was acknowledged, no
	// record is ever appended after it, and every later replay stops at the same header.
	// Cutting it off would race a handle still writing to the pack.
	return bad, nil
}

// record is a record read back from a pack.
type record struct {
	bad   bool // verified, and the data fails its checksum
	at    pos
	kind  byte
	name  string
	size  int64
	mtime int64
	ref   pos // the record a tombstone kills or a move copies
	first pos // a tombstone's: the oldest record of the data it kills
}

// apply updates the index with a record, in replay order.
func (ps *packStore) apply(r record) {
	cur, ok := ps.index.Get(packEntry{name: r.name})
	e := packEntry{name: r.name, at: r.at, born: r.at, first: r.at, nameLen: len(r.name), size: r.size, mtime: r.mtime}
	if ok {
		e.first = cur.first
	}
	switch r.kind {
	case recordPut:
		ps.setLocked(e, cur, ok)
	case recordMove:
		// A move applies over the record it copied, over data older than that (the copied
		// record's pack is gone), or over nothing. Data born after the copied record was put
		// after the copy was made, and stays.
		if ok && r.ref.less(cur.born) {
			return
		}
		e.born = r.ref // an upper bound of the copied data's birth, exact for a Put
		if ok && cur.at == r.ref {
			e.born = cur.born
		}
		if !ok {
			e.first = r.ref // copies of the data lie at or after the record copied
		}
		ps.setLocked(e, cur, ok)
	case recordTombstone:
		// A tombstone kills the data of the record it names and any older data, which
		// matters once the record it names has been compacted away, or copied.
		if ok && !r.ref.less(cur.born) {
			ps.deleteLocked(cur)
		}
	}
}

// setLocked points the index at e, replacing cur if had.
func (ps *packStore) setLocked(e, cur packEntry, had bool) {
	if had {
		ps.packs[cur.at.pack].live -= cur.recordLen()
	}
	ps.index.ReplaceOrInsert(e)
	ps.packs[e.at.pack].live += e.recordLen()
}

func (ps *packStore) deleteLocked(cur packEntry) {
	ps.index.Delete(cur)
	ps.packs[cur.at.pack].live -= cur.recordLen()
}

// scanPack reads the records of f, whose length is size, in order, calling fn for each. With
// verify it also checks data checksums and marks the records that fail as bad. It stops at the
// first record whose header is torn or fails its checksum, returning its offset: nothing from
// there on can be trusted, not even the lengths that would lead to the next record.
func scanPack(f *os.File, id uint32, size int64, verify bool, fn func(record) error) (end int64, err error) {
	var hdr [recordHeaderLen + space.MaxNameLen]byte
	var data []byte
	off := int64(0)
	for off+recordHeaderLen <= size {
		h := hdr[:recordHeaderLen]
		if _, err := f.ReadAt(h, off); err != nil {
			return off, err
		}
		nameLen := int64(binary.LittleEndian.Uint16(h[10:]))
		dataLen := int64(binary.LittleEndian.Uint32(h[12:]))
		kind := h[8]
		if nameLen == 0 || nameLen > space.MaxNameLen || dataLen > maxRecordData ||
			kind < recordPut || kind > recordVoid || off+recordHeaderLen+nameLen+dataLen > size {
			return off, nil
		}
		h = hdr[:recordHeaderLen+nameLen]
		if _, err := f.ReadAt(h[recordHeaderLen:], off+recordHeaderLen); err != nil {
			return off, err
		}
		if crc32.Checksum(h[4:], castagnoli) != binary.LittleEndian.Uint32(h) {
			return off, nil
		}
		bad := false
		if verify || kind == recordTombstone {
			data = slices.Grow(data[:0], int(dataLen))[:dataLen]
			if _, err := f.ReadAt(data, off+recordHeaderLen+nameLen); err != nil {
				return off, err
			}
			bad = crc32.Checksum(data, castagnoli) != binary.LittleEndian.Uint32(h[4:])
		}
		var first pos
		if kind == recordTombstone && len(data) == 12 && !bad {
			first = pos{pack: binary.LittleEndian.Uint32(data), off: int64(binary.LittleEndian.Uint64(data[4:]))}
		}
		r := record{
			bad:   bad,
			at:    pos{pack: id, off: off},
			kind:  kind,
			name:  string(h[recordHeaderLen:]),
			size:  dataLen,
			mtime: int64(binary.LittleEndian.Uint64(h[16:])),
			ref:   pos{pack: binary.LittleEndian.Uint32(h[24:]), off: int64(binary.LittleEndian.Uint64(h[28:]))},
			first: first,
		}
		if err := fn(r); err != nil {
			return off, err
		}
		off += recordHeaderLen + nameLen + dataLen
	}
	return off, nil
}

// takes reports whether a Put of size bytes goes to a pack.
func (ps *packStore) takes(size int64) bool { return size >= 0 && size <= ps.max }

// encodeRecord fills the header of rec, whose name and data are already in place.
func encodeRecord(rec []byte, kind byte, nameLen int, mtime int64, ref pos) {
	encodeRecordSum(rec, kind, nameLen, mtime, ref, crc32.Checksum(rec[recordHeaderLen+nameLen:], castagnoli))
}

// encodeRecordSum is encodeRecord for data whose CRC-32C, sum, is known.
func encodeRecordSum(rec []byte, kind byte, nameLen int, mtime int64, ref pos, sum uint32) {
	h := rec[:recordHeaderLen]
	data := rec[recordHeaderLen+nameLen:]
	binary.LittleEndian.PutUint32(h[4:], sum)
	h[8] = kind
	h[9] = 0
	binary.LittleEndian.PutUint16(h[10:], uint16(nameLen))
	binary.LittleEndian.PutUint32(h[12:], uint32(len(data)))
	binary.LittleEndian.PutUint64(h[16:], uint64(mtime))
	binary.LittleEndian.PutUint32(h[24:], ref.pack)
	binary.LittleEndian.PutUint64(h[28:], uint64(ref.off))
	sealHeader(rec, nameLen)
}

// sealHeader sets the header checksum of rec, which covers the rest of the header and the name.
func sealHeader(rec []byte, nameLen int) {
	crc := crc32.Checksum(rec[4:recordHeaderLen+nameLen], castagnoli)
	binary.LittleEndian.PutUint32(rec, crc)
}

// buffer returns a pooled buffer of length n.
func (ps *packStore) buffer(n int) *[]byte {
	// Aligned, with room after n for a pad record: a large record is then written with
	// O_DIRECT from where it lies (see appendDirect).
	need := n + directAlign + minPad
	if b, ok := ps.bufs.Get().(*[]byte); ok && cap(*b) >= need {
		*b = (*b)[:n]
		return b
	}
	b := alignedBuffer(max(need, 64<<10))
	*b = (*b)[:n]
	return b
}

// put appends r, which must yield exactly size bytes, as a record for name, and returns once
// the record is durable and indexed.
func (ps *packStore) put(ctx context.Context, name string, r io.Reader, size int64) error {
	n := recordHeaderLen + len(name) + int(size)
	buf := ps.buffer(n)
	defer ps.bufs.Put(buf)
	rec := *buf
	copy(rec[recordHeaderLen:], name)
	sum, err := readExactly(r, rec[recordHeaderLen+len(name):])
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	mtime := time.Now().UnixNano()
	encodeRecordSum(rec, recordPut, len(name), mtime, pos{}, sum)
	return ps.commit(rec, []packEntry{{name: name, nameLen: len(name), size: size, mtime: mtime}})
}

// putBatch appends a put record for each blob, all with one write, and returns once they are
// durable and indexed. The caller has checked the names and that the pack takes the sizes.
func (ps *packStore) putBatch(blobs []space.Blob) error {
	n := 0
	for _, b := range blobs {
		n += recordHeaderLen + len(b.Name) + len(b.Data)
	}
	buf := ps.buffer(n)
	defer ps.bufs.Put(buf)
	rec := *buf
	mtime := time.Now().UnixNano()
	entries := make([]packEntry, len(blobs))
	off := 0
	for i, b := range blobs {
		r := rec[off : off+recordHeaderLen+len(b.Name)+len(b.Data)]
		copy(r[recordHeaderLen:], b.Name)
		copy(r[recordHeaderLen+len(b.Name):], b.Data)
		encodeRecord(r, recordPut, len(b.Name), mtime, pos{})
		entries[i] = packEntry{name: b.Name, at: pos{off: int64(off)}, nameLen: len(b.Name), size: int64(len(b.Data)), mtime: mtime}
		off += len(r)
	}
	return ps.commit(rec, entries)
}

// commit appends rec, put records one after another, waits until they are durable and
// indexes them: entries describe the records, their positions relative to rec's start.
func (ps *packStore) commit(rec []byte, entries []packEntry) error {
	p, at, err := ps.append(rec, true)
	if err != nil {
		return err
	}
	err = ps.waitSync(p, at.off+int64(len(rec)))
	ps.mu.Lock()
	defer ps.mu.Unlock()
	p.inflight--
	if err != nil {
		return err
	}
	for _, e := range entries {
		e.at = pos{pack: at.pack, off: at.off + e.at.off}
		e.born, e.first = e.at, e.at
		cur, had := ps.index.Get(e)
		if had && e.at.less(cur.born) {
			// A later Put of the same name installed first; replay would also end with it.
			continue
		}
		if had {
			e.first = cur.first
		}
		ps.setLocked(e, cur, had)
	}
	return nil
}

// readExactly fills p from r, checks that r ends there, and returns the CRC-32C of p. It sums
// each piece as it arrives, while the piece is still in the CPU's cache: summing a 256 KiB
// shard afterwards, from memory, costs several times more.
func readExactly(r io.Reader, p []byte) (uint32, error) {
	var sum uint32
	for n := 0; n < len(p); {
		m, err := r.Read(p[n:])
		sum = crc32.Update(sum, castagnoli, p[n:n+m])
		n += m
		switch {
		case err == nil || (n == len(p) && errors.Is(err, io.EOF)):
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			return 0, fmt.Errorf("%w: got %d bytes, want %d", space.ErrSizeMismatch, n, len(p))
		default:
			return 0, err
		}
	}
	var one [1]byte
	for {
		m, err := r.Read(one[:])
		if m > 0 {
			return 0, fmt.Errorf("%w: more than %d bytes", space.ErrSizeMismatch, len(p))
		}
		if errors.Is(err, io.EOF) {
			return sum, nil
		}
		if err != nil {
			return 0, err
		}
	}
}

// append writes rec at the end of the active pack, starting a new pack when needed. With
// inflight, the record counts in the pack's inflight until the caller indexes or abandons it.
func (ps *packStore) append(rec []byte, inflight bool) (*pack, pos, error) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	p, at, err := ps.appendLocked(rec)
	if err == nil && inflight {
		p.inflight++
	}
	return p, at, err
}

func (ps *packStore) appendLocked(rec []byte) (*pack, pos, error) {
	if ps.closed {
		return nil, pos{}, errors.New("localdir: space is closed")
	}
	p := ps.active
	if p == nil || p.full || p.syncErr != nil || (p.size > 0 && p.size+int64(len(rec)) > ps.fileSize) {
		var err error
		if p, err = ps.startPackLocked(); err != nil {
			return nil, pos{}, err
		}
	}
	at := pos{pack: p.id, off: p.size}
	if p.dio != nil && len(rec) >= directRecordMin {
		n, err := ps.appendDirect(p, rec)
		if err == nil {
			p.size += n
			return p, at, nil
		}
		p.closeDirect()
		if !errors.Is(err, syscall.EINVAL) {
			p.full = true
			return nil, pos{}, fmt.Errorf("localdir: append to pack: %w", err)
		}
		// The file system refuses direct writes: go on through the page cache.
	}
	n, err := p.f.WriteAt(rec, p.size)
	p.noteTail(rec[:n])
	p.size += int64(n)
	if err != nil {
		p.full = true
		return nil, pos{}, fmt.Errorf("localdir: append to pack: %w", err)
	}
	return p, at, nil
}

// startPackLocked seals the active pack and creates the next one, making its directory entry
// durable before any record in it can be acknowledged. The sealed pack is synced first, so
// that only the newest pack can end in a record a power loss tore (which replay checks for);
// its waiters find their records durable. This costs one sync under the lock per PackFileSize.
func (ps *packStore) startPackLocked() (*pack, error) {
	if old := ps.active; old != nil && old.syncErr == nil && old.synced < old.size {
		if err := syncPack(old.f); err != nil {
			old.syncErr = err
		} else {
			old.synced = old.size
		}
		ps.synced.Broadcast()
	}
	f, err := ps.root.OpenFile(packName(ps.nextID), os.O_RDWR|os.O_CREATE|os.O_EXCL, filePerm)
	if err == nil {
		if err = syncDirOf(ps.root, PackDir); err != nil {
			f.Close()
			ps.root.Remove(packName(ps.nextID))
		}
	}
	if err != nil {
		return nil, fmt.Errorf("localdir: create pack: %w", err)
	}
	if ps.active != nil {
		ps.active.full = true
		ps.active.closeDirect()
	}
	p := &pack{id: ps.nextID, f: f, refs: 1}
	ps.openDirect(p)
	ps.nextID++
	ps.packs[p.id] = p
	ps.active = p
	return p, nil
}

// waitSync returns once bytes [0, end) of p are durable. The first waiter to find no sync
// running syncs everything appended so far; the rest wait for it (group commit).
func (ps *packStore) waitSync(p *pack, end int64) error {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	for p.synced < end {
		if p.syncErr != nil {
			return fmt.Errorf("localdir: sync pack: %w", p.syncErr)
		}
		if p.syncing {
			ps.synced.Wait()
			continue
		}
		p.syncing = true
		target := p.size
		ps.mu.Unlock()
		err := syncPack(p.f)
		ps.mu.Lock()
		p.syncing = false
		if err != nil {
			p.syncErr = err
		} else {
			p.synced = max(p.synced, target)
		}
		ps.synced.Broadcast()
	}
	return nil
}

// syncPack makes f durable and checks that it is still linked: appends to a pack whose
// directory was removed from under the space would succeed and be lost.
func syncPack(f *os.File) error {
	if err := fdatasync(f); err != nil {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !linked(fi) {
		return errors.New("pack file was removed")
	}
	return nil
}

// checkActive reports an error if the active pack has lost its name (its directory was
// removed), so that a probe notices before the next Put does.
func (ps *packStore) checkActive() error {
	ps.mu.Lock()
	p := ps.active
	if p != nil {
		p.refs++
	}
	ps.mu.Unlock()
	if p == nil {
		return nil
	}
	defer ps.release(p)
	fi, err := p.f.Stat()
	if err == nil && !linked(fi) {
		err = errors.New("pack file was removed")
	}
	return err
}

// get returns the index entry for name.
func (ps *packStore) get(name string) (packEntry, bool) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return ps.index.Get(packEntry{name: name})
}

// open returns a reader over the packed blob name, if there is one.
func (ps *packStore) open(name string) (space.Reader, bool) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	e, ok := ps.index.Get(packEntry{name: name})
	if !ok {
		return nil, false
	}
	p := ps.packs[e.at.pack]
	p.refs++
	return &packReader{ps: ps, p: p, off: e.dataOff(), size: e.size}, true
}

// release drops a reference to p, closing its file after the last one.
func (ps *packStore) release(p *pack) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.releaseLocked(p)
}

func (ps *packStore) releaseLocked(p *pack) {
	p.refs--
	if p.refs == 0 {
		p.closeDirect()
		p.f.Close()
	}
}

// remove deletes the packed blob name, reporting whether there was one. The tombstone is not
// waited for: a Delete need not be durable.
func (ps *packStore) remove(name string) (bool, error) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	cur, ok := ps.index.Get(packEntry{name: name})
	if !ok {
		return false, nil
	}
	ps.deleteLocked(cur)
	_, _, err := ps.appendTombstoneLocked(name, ps.lastRecordLocked(cur), cur.first)
	return true, err
}

// lastRecordLocked returns the position of the newest record holding cur's data: cur's own,
// or that of a copy compaction has appended but not indexed yet. A tombstone must name it,
// so that keepTombstone keeps the tombstone while the copy's pack exists.
func (ps *packStore) lastRecordLocked(cur packEntry) pos {
	if c, ok := ps.copying[cur.name]; ok && cur.at.less(c) {
		return c
	}
	return cur.at
}

// unshadow removes the packed blob name, if there is one, and waits until its tombstone is
// durable: a file Put of the same name has just replaced it.
func (ps *packStore) unshadow(name string) error {
	ps.mu.Lock()
	cur, ok := ps.index.Get(packEntry{name: name})
	if !ok {
		ps.mu.Unlock()
		return nil
	}
	ps.deleteLocked(cur)
	p, at, err := ps.appendTombstoneLocked(name, ps.lastRecordLocked(cur), cur.first)
	ps.mu.Unlock()
	if err != nil {
		return err
	}
	return ps.waitSync(p, at.off+tombstoneLen(name))
}

// appendTombstoneLocked appends a tombstone for the record at target, whose data's oldest
// record is at first.
func (ps *packStore) appendTombstoneLocked(name string, target, first pos) (*pack, pos, error) {
	rec := make([]byte, tombstoneLen(name))
	copy(rec[recordHeaderLen:], name)
	data := rec[recordHeaderLen+len(name):]
	binary.LittleEndian.PutUint32(data, first.pack)
	binary.LittleEndian.PutUint64(data[4:], uint64(first.off))
	encodeRecord(rec, recordTombstone, len(name), time.Now().UnixNano(), target)
	return ps.appendLocked(rec)
}

// tombstoneLen is the length of a tombstone record for name.
func tombstoneLen(name string) int64 { return int64(recordHeaderLen + len(name) + 12) }

// list returns up to want packed blobs whose names start with prefix and sort after after.
func (ps *packStore) list(prefix, after string, want int) []space.Info {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	var infos []space.Info
	ps.index.AscendGreaterOrEqual(packEntry{name: max(prefix, after)}, func(e packEntry) bool {
		if !strings.HasPrefix(e.name, prefix) {
			return false
		}
		if e.name > after {
			infos = append(infos, space.Info{Name: e.name, Size: e.size, ModTime: time.Unix(0, e.mtime)})
		}
		return len(infos) < want
	})
	return infos
}

// close syncs the active pack and closes every pack no reader holds.
func (ps *packStore) close() error {
	ps.mu.Lock()
	if ps.closed {
		ps.mu.Unlock()
		return nil
	}
	ps.closed = true
	active := ps.active
	ps.mu.Unlock()
	var err error
	if active != nil {
		// Flush tombstones, which no Put waited for.
		err = ps.waitSync(active, active.size)
	}
	ps.mu.Lock()
	defer ps.mu.Unlock()
	for id, p := range ps.packs {
		delete(ps.packs, id)
		ps.releaseLocked(p)
	}
	return err
}

// closeReadOnly closes the files of a store that never appended.
func (ps *packStore) closeReadOnly() {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.closed = true
	for id, p := range ps.packs {
		delete(ps.packs, id)
		ps.releaseLocked(p)
	}
}

// packReader is the space.Reader of a packed blob: a window on its pack file, which stays
// open while the reader is, even if the blob is deleted and its pack compacted away.
type packReader struct {
	ps   *packStore
	p    *pack
	off  int64 // of the data in the pack
	size int64
	once sync.Once
}

func (r *packReader) ReadAt(b []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("localdir: negative offset")
	}
	if off >= r.size {
		return 0, io.EOF
	}
	want := len(b)
	if rest := r.size - off; int64(want) > rest {
		b = b[:rest]
	}
	n, err := r.p.f.ReadAt(b, r.off+off)
	if err == nil && n < want {
		err = io.EOF
	}
	return n, err
}

func (r *packReader) Size() int64 { return r.size }

func (r *packReader) Close() error {
	r.once.Do(func() { r.ps.release(r.p) })
	return nil
}
