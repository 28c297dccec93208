package kv

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestIterBounds(t *testing.T) {
	s := newTestStore(t, nil)
	for _, k := range []string{"a", "b", "b\x00", "c", "d"} {
		put(t, s, k, "v"+k)
	}
	tests := []struct {
		name         string
		lower, upper []byte
		want         []string
	}{
		{"closed", []byte("b"), []byte("d"), []string{"b=vb", "b\x00=vb\x00", "c=vc"}},
		{"open upper", []byte("c"), nil, []string{"c=vc", "d=vd"}},
		{"empty", []byte("bb"), []byte("c"), nil},
		{"prefix", []byte("b"), []byte("c"), []string{"b=vb", "b\x00=vb\x00"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, s.View(t.Context(), func(r Reader) error {
				require.Equal(t, tc.want, scan(t, r, tc.lower, tc.upper))
				return nil
			}))
		})
	}
}

func TestIterSeekAndReuseOfBounds(t *testing.T) {
	s := newTestStore(t, nil)
	for _, k := range []string{"k1", "k2", "k3", "k4"} {
		put(t, s, k, k)
	}
	require.NoError(t, s.View(t.Context(), func(r Reader) error {
		lower, upper := []byte("k2"), []byte("k4")
		it := r.Iter(lower, upper)
		copy(lower, "k0") // the iterator copied its bounds
		copy(upper, "k9")
		require.False(t, it.Valid(), "unpositioned")
		require.True(t, it.SeekGE([]byte("k3")))
		require.Equal(t, "k3", string(it.Key()))
		require.Equal(t, "k3", string(it.Value()))
		require.False(t, it.Next(), "k4 is the exclusive upper bound")
		require.True(t, it.First())
		require.Equal(t, "k2", string(it.Key()))
		require.NoError(t, it.Close())
		require.NoError(t, it.Close(), "a second Close is harmless")
		return nil
	}))
}

func TestLeakedIteratorsAreClosed(t *testing.T) {
	s := newTestStore(t, nil)
	put(t, s, "k", "v")
	require.NoError(t, s.View(t.Context(), func(r Reader) error {
		r.Iter(nil, nil).First()
		return nil
	}))
	require.NoError(t, s.Update(t.Context(), func(tx Tx) error {
		tx.Iter(nil, nil).First()
		return tx.Set([]byte("k2"), nil)
	}))
	// Pebble's Close reports leaked iterators; there are none.
	require.NoError(t, s.Close())
}

func TestPrefixRange(t *testing.T) {
	tests := []struct {
		name      string
		prefix    []byte
		wantUpper []byte
	}{
		{"simple", []byte("ab"), []byte("ac")},
		{"trailing ff", []byte{0x30, 0x01, 0xff, 0xff}, []byte{0x30, 0x02}},
		{"all ff", []byte{0xff, 0xff}, nil},
		{"empty", nil, nil},
		{"registry prefix", Key(PrefixObject), []byte{byte(PrefixObject) + 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lower, upper := PrefixRange(tc.prefix)
			require.Equal(t, tc.prefix, lower)
			require.Equal(t, tc.wantUpper, upper)
		})
	}
}

// A prefix scan over a string component returns exactly the keys whose
// string starts with it, in order, and not the keys of a neighbouring ID.
func TestPrefixScanOfStringComponent(t *testing.T) {
	s := newTestStore(t, nil)
	for _, p := range []string{"dir", "dir/a", "dir/b/c", "dir0", "dis"} {
		require.NoError(t, s.Update(t.Context(), func(tx Tx) error {
			return tx.Set(Key(PrefixObject).Uint64(7).String(p), []byte(p))
		}))
	}
	require.NoError(t, s.Update(t.Context(), func(tx Tx) error {
		return tx.Set(Key(PrefixObject).Uint64(8).String("dir/x"), nil)
	}))
	require.NoError(t, s.View(t.Context(), func(r Reader) error {
		var got []string
		it := r.Iter(PrefixRange(Key(PrefixObject).Uint64(7).String("dir/")))
		for ok := it.First(); ok; ok = it.Next() {
			got = append(got, string(it.Value()))
		}
		require.Equal(t, []string{"dir/a", "dir/b/c"}, got)
		return it.Close()
	}))
}
