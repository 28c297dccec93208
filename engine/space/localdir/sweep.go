package localdir

import (
	"context"
	"fmt"
	"time"
)

// SweepTemp implements space.TempSweeper: it removes the temporary files in TempDir last
// modified before before, and returns how many it removed. Pass a time well before the start
// of any Put still running: a Put whose temporary file is removed fails.
func (s *Space) SweepTemp(ctx context.Context, before time.Time) (int, error) {
	f, err := s.root.Open(TempDir)
	if isNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("localdir: sweep: %w", err)
	}
	entries, err := f.ReadDir(-1)
	f.Close()
	if err != nil {
		return 0, fmt.Errorf("localdir: sweep: %w", err)
	}
	removed := 0
	for _, d := range entries {
		if err := ctx.Err(); err != nil {
			return removed, fmt.Errorf("localdir: sweep: %w", err)
		}
		info, err := d.Info()
		if err != nil || d.IsDir() || !info.ModTime().Before(before) {
			continue
		}
		switch err := s.root.Remove(TempDir + "/" + d.Name()); {
		case err == nil:
			removed++
		case !isNotExist(err):
			return removed, fmt.Errorf("localdir: sweep: %w", err)
		}
	}
	return removed, nil
}
