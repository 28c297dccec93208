package loadgen

import (
	"fmt"
	"strconv"
	"strings"
)

// Binary size units.
const (
	KiB = 1 << 10
	MiB = 1 << 20
	GiB = 1 << 30
	TiB = 1 << 40
)

// ParseSize parses a byte count: a non-negative integer with an optional binary unit, as in
// "4096", "4KiB", "64MiB" or "1GiB". Units are case-insensitive; K, M, G and T are accepted as
// KiB, MiB, GiB and TiB (as dd and fio read them). The SI-looking KB, MB, GB and TB are
// rejected as ambiguous rather than guessed.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, fmt.Errorf("loadgen: size %q: want a number of bytes with an optional unit (KiB, MiB, GiB, TiB)", s)
	}
	n, err := strconv.ParseInt(t[:i], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("loadgen: size %q: %w", s, err)
	}
	var mult int64
	switch unit := strings.ToLower(strings.TrimSpace(t[i:])); unit {
	case "", "b":
		mult = 1
	case "k", "kib":
		mult = KiB
	case "m", "mib":
		mult = MiB
	case "g", "gib":
		mult = GiB
	case "t", "tib":
		mult = TiB
	case "kb", "mb", "gb", "tb":
		return 0, fmt.Errorf("loadgen: size %q: %s is ambiguous; write %siB (binary) or the number of bytes", s, t[i:], strings.ToUpper(unit[:1]))
	default:
		return 0, fmt.Errorf("loadgen: size %q: unknown unit %q (use KiB, MiB, GiB or TiB)", s, t[i:])
	}
	if n > (1<<63-1)/mult {
		return 0, fmt.Errorf("loadgen: size %q is too large", s)
	}
	return n * mult, nil
}

// FormatSize renders n bytes in the largest binary unit that divides it exactly ("64 MiB",
// "1 GiB"), or as a decimal fraction of the unit below it otherwise ("1.5 KiB", "100 B").
func FormatSize(n int64) string {
	units := []struct {
		size int64
		name string
	}{{TiB, "TiB"}, {GiB, "GiB"}, {MiB, "MiB"}, {KiB, "KiB"}}
	for _, u := range units {
		if n >= u.size && n%u.size == 0 {
			return fmt.Sprintf("%d %s", n/u.size, u.name)
		}
	}
	for _, u := range units {
		if n >= u.size {
			return fmt.Sprintf("%.4g %s", float64(n)/float64(u.size), u.name)
		}
	}
	return fmt.Sprintf("%d B", n)
}
