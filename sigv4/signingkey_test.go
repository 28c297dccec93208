package sigv4

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestKeyCacheIsBounded(t *testing.T) {
	var c keyCache
	for i := range 3 * keyCacheSize {
		date := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i).Format(scopeDateFmt)
		require.Equal(t, deriveKey("secret", date, "any", "jcs"), c.get("secret", date, "any", "jcs"))
		require.LessOrEqual(t, len(c.keys), keyCacheSize)
	}
	require.Equal(t, c.get("s", "20261121", "any", "jcs"), c.get("s", "20261121", "any", "jcs"))
	require.NotEqual(t, c.get("s", "20261121", "any", "jcs"), c.get("s2", "20261121", "any", "jcs"))
}
