package localdir

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// eachRecord calls fn for every record of the packs under root, pack by pack in file name
// order, as replay would read them without checking data.
func eachRecord(root string, fn func(record)) {
	names, _ := filepath.Glob(filepath.Join(root, PackDir, "*"+packSuffix))
	for _, name := range names {
		f, err := os.Open(name)
		if err != nil {
			continue
		}
		fi, _ := f.Stat()
		var id uint32
		fmt.Sscanf(filepath.Base(name), "%08x", &id)
		scanPack(f, id, fi.Size(), false, func(r record) error { fn(r); return nil })
		f.Close()
	}
}

// DumpPacks describes every record of the packs under root whose name has the given prefix,
// in replay order, for failure messages.
func DumpPacks(root, prefix string) string {
	var b strings.Builder
	eachRecord(root, func(r record) {
		if strings.HasPrefix(r.name, prefix) {
			fmt.Fprintf(&b, "%v kind=%d %s size=%d ref=%v first=%v\n", r.at, r.kind, r.name, r.size, r.ref, r.first)
		}
	})
	return b.String()
}

// Tombstones counts the tombstone records in the packs under root.
func Tombstones(root string) int {
	n := 0
	eachRecord(root, func(r record) {
		if r.kind == recordTombstone {
			n++
		}
	})
	return n
}

// PadRecords counts the void records that pad direct appends in the packs under root.
func PadRecords(root string) int {
	n := 0
	eachRecord(root, func(r record) {
		if r.kind == recordVoid && r.name == padName {
			n++
		}
	})
	return n
}

// DirectRecordMin is directRecordMin, for tests.
const DirectRecordMin = directRecordMin
