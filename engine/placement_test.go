package engine

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/stretchr/testify/require"
)

// TestPlacementDataDriven runs testdata/placement. Commands:
//
//	place blob=<hex> spaces=<id,id,...> n=<shards> [affinity=<id>]
//	  prints the chosen spaces, shard 0 first, or the error.
//	distribution spaces=<id,id,...> n=<shards> blobs=<count> [seed=<n>] [affinity=<id>]
//	  places count pseudo-random blobs and prints, per space, how many times it got each
//	  shard index; it fails the test if any count strays more than 10% from a fair share.
//
// Regenerate the expected output with -rewrite.
func TestPlacementDataDriven(t *testing.T) {
	datadriven.RunTest(t, "testdata/placement", func(t *testing.T, d *datadriven.TestData) string {
		spaces := scanSpaceIDs(t, d)
		var n int
		d.ScanArgs(t, "n", &n)
		var affinity uint64
		d.MaybeScanArgs(t, "affinity", &affinity)
		switch d.Cmd {
		case "place":
			var blobHex string
			d.ScanArgs(t, "blob", &blobHex)
			got, err := place(parseBlobID(t, blobHex), spaces, n, SpaceID(affinity))
			if err != nil {
				return "error: " + err.Error() + "\n"
			}
			if len(got) == 0 {
				return "(none)\n"
			}
			return joinIDs(got) + "\n"
		case "distribution":
			var blobs int
			seed := uint64(1)
			d.ScanArgs(t, "blobs", &blobs)
			d.MaybeScanArgs(t, "seed", &seed)
			return distribution(t, spaces, n, blobs, seed, SpaceID(affinity))
		}
		d.Fatalf(t, "unknown command %q", d.Cmd)
		return ""
	})
}

func scanSpaceIDs(t *testing.T, d *datadriven.TestData) []SpaceID {
	var raw string
	d.ScanArgs(t, "spaces", &raw)
	var out []SpaceID
	if raw == "" {
		return out
	}
	for _, f := range strings.Split(raw, ",") {
		id, err := strconv.ParseUint(f, 10, 64)
		require.NoError(t, err)
		out = append(out, SpaceID(id))
	}
	return out
}

// parseBlobID reads up to 32 hex digits, zero-padded on the right.
func parseBlobID(t *testing.T, s string) BlobID {
	var id BlobID
	s += strings.Repeat("0", 2*len(id)-len(s))
	_, err := hex.Decode(id[:], []byte(s))
	require.NoError(t, err, "blob %q", s)
	return id
}

func joinIDs(ids []SpaceID) string {
	var parts []string
	for _, id := range ids {
		parts = append(parts, strconv.FormatUint(uint64(id), 10))
	}
	return strings.Join(parts, " ")
}

// seededBlobs returns count pseudo-random blob IDs, the same for the same seed.
func seededBlobs(count int, seed uint64) []BlobID {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := make([]BlobID, count)
	for i := range out {
		for j := range out[i] {
			out[i][j] = byte(r.Uint32())
		}
	}
	return out
}

// distribution tabulates which space gets which shard index over many blobs and checks that
// every space gets a fair share of every index the affinity does not decide.
func distribution(t *testing.T, spaces []SpaceID, n, blobs int, seed uint64, affinity SpaceID) string {
	counts := map[SpaceID][]int{}
	for _, s := range spaces {
		counts[s] = make([]int, n)
	}
	for _, b := range seededBlobs(blobs, seed) {
		got, err := place(b, spaces, n, affinity)
		require.NoError(t, err)
		for i, s := range got {
			counts[s][i]++
		}
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "space")
	for i := range n {
		fmt.Fprintf(&sb, " %6s", fmt.Sprintf("#%d", i))
	}
	sb.WriteString("\n")
	others := len(spaces)
	if slices.Contains(spaces, affinity) {
		others--
	}
	worst := 0.0
	for _, s := range spaces {
		fmt.Fprintf(&sb, "%5d", s)
		for i, c := range counts[s] {
			fmt.Fprintf(&sb, " %6d", c)
			var fair float64
			switch {
			case others == len(spaces):
				fair = float64(blobs) / float64(len(spaces))
			case i == 0 && s == affinity:
				fair = float64(blobs)
			case i == 0 || s == affinity:
				fair = 0
			default:
				fair = float64(blobs) / float64(others)
			}
			dev := 0.0
			if fair > 0 {
				dev = (float64(c) - fair) / fair
			} else if c != 0 {
				dev = 1
			}
			worst = max(worst, dev, -dev)
		}
		sb.WriteString("\n")
	}
	fmt.Fprintf(&sb, "max deviation from a fair share: %.1f%%\n", 100*worst)
	require.Less(t, worst, 0.10, "placement is not fair:\n%s", sb.String())
	return sb.String()
}

// TestPlaceProperties checks, over many blobs, what placement promises: distinct spaces, the
// same answer for the same blob whatever the order of the candidates, the affinity space
// first, and rendezvous stability (removing a space moves only the shards it held).
func TestPlaceProperties(t *testing.T) {
	all := []SpaceID{1, 2, 3, 4, 5, 6, 7, 8, 9}
	for _, b := range seededBlobs(500, 7) {
		got, err := place(b, all, 6, 0)
		require.NoError(t, err)
		require.Len(t, got, 6)
		seen := map[SpaceID]bool{}
		for _, s := range got {
			require.False(t, seen[s], "space %d twice", s)
			seen[s] = true
		}

		shuffled := slices.Clone(all)
		rand.New(rand.NewPCG(uint64(b[0]), 1)).Shuffle(len(shuffled), func(i, j int) {
			shuffled[i], shuffled[j] = shuffled[j], shuffled[i]
		})
		again, err := place(b, append(shuffled, shuffled[:3]...), 6, 0)
		require.NoError(t, err)
		require.Equal(t, got, again, "candidate order and duplicates do not matter")

		full, err := place(b, all, len(all), 0)
		require.NoError(t, err)
		require.Equal(t, got, full[:6], "fewer shards take a prefix of the same ranking")

		removed := got[2]
		without := slices.DeleteFunc(slices.Clone(all), func(s SpaceID) bool { return s == removed })
		moved, err := place(b, without, 6, 0)
		require.NoError(t, err)
		require.Equal(t, slices.DeleteFunc(slices.Clone(full), func(s SpaceID) bool { return s == removed })[:6], moved,
			"removing a space keeps the others' order")

		aff := got[4]
		withAff, err := place(b, all, 6, aff)
		require.NoError(t, err)
		require.Equal(t, aff, withAff[0])
		rest := slices.DeleteFunc(slices.Clone(full), func(s SpaceID) bool { return s == aff })
		require.Equal(t, rest[:5], withAff[1:], "the affinity space moves to the front, the rest keep their order")

		notCandidate, err := place(b, all[:8], 6, 9)
		require.NoError(t, err)
		want, err := place(b, all[:8], 6, 0)
		require.NoError(t, err)
		require.Equal(t, want, notCandidate, "an affinity space that is not a candidate is ignored")
	}
}

func TestPlaceErrors(t *testing.T) {
	for _, tc := range []struct {
		name       string
		candidates []SpaceID
		n          int
	}{
		{"none", nil, 1},
		{"too few", []SpaceID{1, 2, 3, 4, 5}, 6},
		{"too few distinct", []SpaceID{1, 1, 2, 2, 3, 3}, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := place(BlobID{1}, tc.candidates, tc.n, 0)
			require.Error(t, err)
		})
	}
	got, err := place(BlobID{1}, nil, 0, 0)
	require.NoError(t, err)
	require.Empty(t, got)
}
