package loadgen

import (
	"bytes"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDiskWritesOneAndAHalfTimesAndReadsBack(t *testing.T) {
	tests := []struct {
		name string
		size int64
	}{
		{"empty", 0},
		{"one byte", 1},
		{"just under a chunk", MiB - 1},
		{"one chunk", MiB},
		{"one chunk and a byte", MiB + 1},
		{"two chunks", 2 * MiB},
		{"three chunks and a bit", 3*MiB + 5},
		{"one stripe", 4 * MiB},
		{"two stripes and a chunk", 9 * MiB},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDisk(t.TempDir())
			require.NoError(t, d.Setup(t.Context()))
			want := randomBytes(uint64(tc.size), int(tc.size))
			require.NoError(t, d.Put(t.Context(), "a/b c", bytes.NewReader(want), tc.size))

			// Parity is half the data, rounded up: exactly 1.5x for an even size.
			require.Equal(t, tc.size+(tc.size+1)/2, dirBytes(t, d.dir))
			if tc.size%(4*MiB) == 0 {
				for i := range diskFiles {
					st, err := os.Stat(d.name("a/b c", i))
					require.NoError(t, err)
					require.Equal(t, tc.size/4, st.Size(), "file %d of a whole number of stripes", i)
				}
			}

			var got bytes.Buffer
			require.NoError(t, d.Get(t.Context(), "a/b c", &got))
			require.True(t, bytes.Equal(want, got.Bytes()), "read back %d bytes, want the %d written", got.Len(), tc.size)

			require.NoError(t, d.Close())
			_, err := os.Stat(d.dir)
			require.ErrorIs(t, err, fs.ErrNotExist, "Close removes the run's directory")
		})
	}
}

func TestDiskPutRejectsWrongSize(t *testing.T) {
	d := NewDisk(t.TempDir())
	require.NoError(t, d.Setup(t.Context()))
	t.Cleanup(func() { d.Close() })
	err := d.Put(t.Context(), "k", bytes.NewReader(make([]byte, 10)), 11)
	require.ErrorContains(t, err, "held 10 bytes, want 11")
}

func TestDiskGetMissing(t *testing.T) {
	d := NewDisk(t.TempDir())
	require.NoError(t, d.Setup(t.Context()))
	t.Cleanup(func() { d.Close() })
	require.ErrorIs(t, d.Get(t.Context(), "nope", &bytes.Buffer{}), fs.ErrNotExist)
}

// dirBytes sums the sizes of the files under dir.
func dirBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	require.NoError(t, filepath.WalkDir(dir, func(_ string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		info, err := e.Info()
		n += info.Size()
		return err
	}))
	return n
}

func randomBytes(seed uint64, n int) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16)}).Read(b)
	return b
}
