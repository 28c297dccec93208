package loadgen

import (
	"bytes"
	"io"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBodyReadAndWriteToAgree(t *testing.T) {
	src := newSource(1)
	for _, size := range []int64{0, 1, 4096, sourceSize - 1, sourceSize + 12345, 3*sourceSize + 7} {
		var live atomic.Int64
		viaRead, err := io.ReadAll(struct{ io.Reader }{src.body(42, size, &live)}) // hide WriteTo
		require.NoError(t, err)
		var viaWriteTo bytes.Buffer
		n, err := src.body(42, size, &live).WriteTo(&viaWriteTo)
		require.NoError(t, err)
		require.Equal(t, size, n)
		require.EqualValues(t, size, len(viaRead))
		require.True(t, bytes.Equal(viaRead, viaWriteTo.Bytes()), "size %d", size)
		require.Equal(t, 2*size, live.Load(), "every byte counted once per body")
	}
}

func TestBodiesDiffer(t *testing.T) {
	src := newSource(1)
	var live atomic.Int64
	a, err := io.ReadAll(src.body(splitmix(1), 64<<10, &live))
	require.NoError(t, err)
	b, err := io.ReadAll(src.body(splitmix(2), 64<<10, &live))
	require.NoError(t, err)
	require.False(t, bytes.Equal(a, b))
	require.False(t, bytes.Equal(newSource(1).buf[:64], newSource(2).buf[:64]), "seeds vary the source")
}
