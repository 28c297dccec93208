package localdir

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// DumpPacks describes every record of the packs under root whose name has the given prefix,
// in replay order, for failure messages.
func DumpPacks(root, prefix string) string {
	var b strings.Builder
	names, _ := filepath.Glob(filepath.Join(root, PackDir, "*"+packSuffix))
	for _, n := range names {
		f, err := os.Open(n)
		if err != nil {
			continue
		}
		fi, _ := f.Stat()
		var id uint32
		fmt.Sscanf(filepath.Base(n), "%08x", &id)
		scanPack(f, id, fi.Size(), false, func(r record) error {
			if strings.HasPrefix(r.name, prefix) {
				fmt.Fprintf(&b, "%v kind=%d %s size=%d ref=%v\n", r.at, r.kind, r.name, r.size, r.ref)
			}
			return nil
		})
		f.Close()
	}
	return b.String()
}

// Tombstones counts the tombstone records in the packs under root.
func Tombstones(root string) int {
	n := 0
	names, _ := filepath.Glob(filepath.Join(root, PackDir, "*"+packSuffix))
	for _, name := range names {
		f, err := os.Open(name)
		if err != nil {
			continue
		}
		fi, _ := f.Stat()
		var id uint32
		fmt.Sscanf(filepath.Base(name), "%08x", &id)
		scanPack(f, id, fi.Size(), false, func(r record) error {
			if r.kind == recordTombstone {
				n++
			}
			return nil
		})
		f.Close()
	}
	return n
}
