package kv

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReadSetCovers(t *testing.T) {
	rs := &readSet{}
	rs.addKey([]byte("point"))
	rs.addRange([]byte("b"), []byte("d"))
	rs.addRange([]byte("x"), nil)
	rs.addRange(nil, []byte("0"))

	tests := []struct {
		key  string
		want bool
	}{
		{"point", true},
		{"pointer", false},
		{"b", true},
		{"c", true},
		{"cz", true},
		{"d", false},
		{"a", false},
		{"x", true},
		{"zzz", true},
		{"", true},
		{"/", true},
		{"0", false},
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			require.Equal(t, tc.want, rs.covers([]byte(tc.key)))
		})
	}
	require.True(t, (&readSet{}).empty())
	require.False(t, rs.empty())
}

// TestConflictLogLifecycle walks the log through begin, reserve, publish and
// end, checking what each transaction is validated against and what is
// pruned.
func TestConflictLogLifecycle(t *testing.T) {
	var l conflictLog
	readsK := &readSet{}
	readsK.addKey([]byte("k"))
	keys := func(ks ...string) [][]byte {
		var out [][]byte
		for _, k := range ks {
			out = append(out, []byte(k))
		}
		return out
	}

	a := l.begin() // A starts before anything commits.
	b := l.begin()
	require.Equal(t, uint64(0), a)

	// B commits a write to k; it is reserved before and published after
	// its apply.
	seq, ok := l.reserve(b, &readSet{}, keys("k"))
	require.True(t, ok)
	require.Equal(t, uint64(1), seq)
	c := l.begin() // C starts while B is being applied: it must check B.
	require.Equal(t, uint64(0), c)
	l.publish(seq)
	l.end(b)
	d := l.begin() // D starts after B is visible: it need not check B.
	require.Equal(t, uint64(1), d)

	require.False(t, l.valid(a, readsK), "A read k before B wrote it")
	require.False(t, l.valid(c, readsK), "C may have seen B half-applied")
	require.True(t, l.valid(d, readsK))
	_, ok = l.reserve(a, readsK, keys("x"))
	require.False(t, ok, "a failed validation reserves nothing")

	active, entries := l.size()
	require.Equal(t, 3, active)
	require.Equal(t, 1, entries)
	l.end(a)
	l.end(c)
	_, entries = l.size()
	require.Equal(t, 0, entries, "only D runs and it started after B")
	l.end(d)
	active, _ = l.size()
	require.Zero(t, active)
}
