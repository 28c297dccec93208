package localdir

import (
	"errors"
	"os"
	"sync"
	"syscall"
	"unsafe"
)

// Direct appends. A pack record of directRecordMin bytes or more (the shards of erasure-coded
// objects of 512 KiB to 4 MiB) is written with O_DIRECT, for the reason large blob files are
// (see direct.go): through the page cache, its copy, the writeback that the group commit's
// fsync then waits for, and the reclaim of a full cache cost more CPU than the rest of the
// write. O_DIRECT needs aligned offsets and lengths, and records are not aligned, so:
//
//   - The write starts at the pack's last directAlign boundary and carries again the bytes
//     already appended after it (the pack keeps them in tail), which are the same bytes, so a
//     torn write cannot damage them.
//   - It ends at a boundary past the record, the gap filled with a void record (name
//     padName, zero data), which replay skips like any void record: the format is unchanged,
//     and a pack written this way reads with any version of this package.
//
// The fsync of the group commit still makes the record durable (the pack's size, and the
// device's cache). Small records go through the page cache as before; on a file system that
// refuses O_DIRECT, every record does.

const (
	// directRecordMin is the smallest record appended with O_DIRECT: its padding, at most
	// directAlign + minPad bytes, is then at most about 3% of it.
	directRecordMin = 128 << 10
	// padName is the name of the void records that pad direct appends.
	padName = "~"
	// minPad is the smallest pad record: a header and its one-byte name.
	minPad = recordHeaderLen + len(padName)
)

// alignedBuffers pools directAlign-aligned buffers of varying capacity for direct appends.
var alignedBuffers sync.Pool

// alignedBuffer returns an aligned buffer of length n.
func alignedBuffer(n int) *[]byte {
	if b, ok := alignedBuffers.Get().(*[]byte); ok && cap(*b) >= n {
		*b = (*b)[:n]
		return b
	}
	b := alignedSlice(n, (n+64<<10-1)&^(64<<10-1))
	return &b
}

// aligned reports whether b starts at a directAlign boundary in memory.
func aligned(b []byte) bool {
	return len(b) > 0 && uintptr(unsafe.Pointer(&b[0]))%directAlign == 0
}

// openDirect opens pack p's file a second time with O_DIRECT, for direct appends; p.dio stays
// nil when direct I/O is off or the file system refuses it.
func (ps *packStore) openDirect(p *pack) {
	if !directIO {
		return
	}
	f, err := ps.root.OpenFile(packName(p.id), os.O_WRONLY|directFlag, 0)
	if err == nil {
		p.dio = f
	}
}

// closeDirect closes p's O_DIRECT handle, if it has one.
func (p *pack) closeDirect() {
	if p.dio != nil {
		p.dio.Close()
		p.dio = nil
	}
}

// noteTail records b, about to be appended at p.size, in p.tail: the bytes after the last
// directAlign boundary.
func (p *pack) noteTail(b []byte) {
	end := p.size + int64(len(b))
	boundary := end &^ (directAlign - 1)
	if boundary > p.size {
		p.tail = append(p.tail[:0], b[boundary-p.size:]...)
	} else {
		p.tail = append(p.tail, b...)
	}
}

// appendDirect writes rec at p.size through p.dio, followed by a pad record up to the next
// directAlign boundary, and returns the bytes the pack grew by. On error the pack's content
// past p.size is unknown. An EINVAL means the file system refuses direct writes after all.
func (ps *packStore) appendDirect(p *pack, rec []byte) (int64, error) {
	start := p.size &^ (directAlign - 1)
	end := p.size + int64(len(rec))
	padEnd := (end + directAlign - 1) &^ (directAlign - 1)
	if gap := padEnd - end; gap > 0 && gap < int64(minPad) {
		padEnd += directAlign
	}
	if int64(len(p.tail)) != p.size-start {
		return 0, errors.New("localdir: pack tail out of step") // a bug: never write a wrong head
	}
	var b []byte
	if start == p.size && aligned(rec) && int64(cap(rec)) >= padEnd-start {
		// The record starts at a boundary and lies in an aligned buffer with room for the
		// pad (packStore.buffer): write it from there.
		b = rec[:padEnd-start]
	} else {
		buf := alignedBuffer(int(padEnd - start))
		defer alignedBuffers.Put(buf)
		b = *buf
		copy(b, p.tail)
		copy(b[len(p.tail):], rec)
	}
	if pad := b[end-start:]; len(pad) > 0 {
		copy(pad[recordHeaderLen:], padName)
		clear(pad[minPad:])
		encodeRecord(pad, recordVoid, len(padName), 0, pos{})
	}
	n, err := p.dio.WriteAt(b, start)
	if err != nil {
		if n > 0 && errors.Is(err, syscall.EINVAL) {
			err = errors.New("localdir: direct append half done") // not a refusal: do not retry
		}
		return 0, err
	}
	p.tail = p.tail[:0]
	return padEnd - p.size, nil
}
