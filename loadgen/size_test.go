package loadgen

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr string
	}{
		{in: "0", want: 0},
		{in: "4096", want: 4096},
		{in: "100B", want: 100},
		{in: "4KiB", want: 4 << 10},
		{in: "4kib", want: 4 << 10},
		{in: "4K", want: 4 << 10},
		{in: "1MiB", want: 1 << 20},
		{in: "64MiB", want: 64 << 20},
		{in: "64M", want: 64 << 20},
		{in: "1GiB", want: 1 << 30},
		{in: "1g", want: 1 << 30},
		{in: "2TiB", want: 2 << 40},
		{in: " 8 MiB ", want: 8 << 20},
		{in: "64MB", wantErr: "ambiguous"},
		{in: "1GB", wantErr: "write GiB"},
		{in: "", wantErr: "want a number"},
		{in: "MiB", wantErr: "want a number"},
		{in: "-1MiB", wantErr: "want a number"},
		{in: "1.5GiB", wantErr: "unknown unit"},
		{in: "3 parsecs", wantErr: "unknown unit"},
		{in: "99999999999999999999", wantErr: "out of range"},
		{in: "9000000TiB", wantErr: "too large"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseSize(tc.in)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestFormatSize(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{0, "0 B"},
		{100, "100 B"},
		{4 << 10, "4 KiB"},
		{1536, "1.5 KiB"},
		{64 << 20, "64 MiB"},
		{1 << 30, "1 GiB"},
		{3 << 40, "3 TiB"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			got := FormatSize(tc.in)
			require.Equal(t, tc.want, got)
			if back, err := ParseSize(got); err == nil {
				require.Equal(t, tc.in, back, "FormatSize output parses back")
			}
		})
	}
}
