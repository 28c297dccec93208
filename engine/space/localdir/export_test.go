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
