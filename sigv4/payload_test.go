package sigv4

import (
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// A body declared as hashed keeps failing after EOF, and a nil body is
// treated as empty.
func TestCheckedBody(t *testing.T) {
	c := newCheckedBody(io.NopCloser(strings.NewReader("abc")), declaredHashCheck(sha256Hex("abd")))
	_, err := io.ReadAll(c)
	require.ErrorIs(t, err, ErrPayloadMismatch)
	n, err := c.Read(make([]byte, 8))
	require.Zero(t, n)
	require.ErrorIs(t, err, ErrPayloadMismatch)
	require.NoError(t, c.Close())

	c = newCheckedBody(nil, declaredHashCheck(emptySHA256))
	got, err := io.ReadAll(c)
	require.NoError(t, err)
	require.Empty(t, got)
	n, err = c.Read(make([]byte, 8))
	require.Zero(t, n)
	require.Equal(t, io.EOF, err)
}
