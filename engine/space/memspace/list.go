package memspace

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jointcloud/jcs/engine/space"
)

// List implements space.Space. It binary-searches the sorted names, so a page costs
// O(log n + limit) however far into the space it starts.
func (s *Space) List(ctx context.Context, prefix, after string, limit int) ([]space.Info, string, error) {
	if err := ctx.Err(); err != nil {
		return nil, "", fmt.Errorf("memspace: list %q: %w", prefix, err)
	}
	if limit <= 0 {
		limit = defaultLimit
	}
	s.mu.RLock()
	defer s.mu.RUnlock()

	i, _ := slices.BinarySearch(s.names, max(prefix, after))
	if i < len(s.names) && s.names[i] == after {
		i++ // after itself is excluded
	}
	var infos []space.Info
	for ; i < len(s.names) && strings.HasPrefix(s.names[i], prefix); i++ {
		if len(infos) == limit {
			return infos, infos[limit-1].Name, nil
		}
		name := s.names[i]
		b := s.blobs[name]
		infos = append(infos, space.Info{Name: name, Size: int64(len(b.data)), ModTime: b.modTime})
	}
	return infos, "", nil
}
