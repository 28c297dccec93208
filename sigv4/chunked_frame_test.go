package sigv4

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseChunkHeader(t *testing.T) {
	sig := strings.Repeat("ab", 32)
	tests := []struct {
		line     string
		signed   bool
		wantSize int64
		wantErr  bool
	}{
		{line: "0", wantSize: 0},
		{line: "10000", wantSize: 65536},
		{line: "FfFf", wantSize: 65535},
		{line: "7fffffffffffffff", wantSize: 1<<63 - 1},
		{line: "000000000000000a", wantSize: 10},
		{line: "0000000000000000a", wantErr: true},
		{line: "8000000000000000", wantErr: true},
		{line: "", wantErr: true},
		{line: "-1", wantErr: true},
		{line: "+1", wantErr: true},
		{line: "0x10", wantErr: true},
		{line: " 10", wantErr: true},
		{line: "10 ", wantErr: true},
		{line: "10;chunk-signature=" + sig, wantErr: true},
		{line: "400;chunk-signature=" + sig, signed: true, wantSize: 1024},
		{line: "400", signed: true, wantErr: true},
		{line: "400;", signed: true, wantErr: true},
		{line: "400;chunk-signature=", signed: true, wantErr: true},
		{line: "400;chunk-signature=" + strings.ToUpper(sig), signed: true, wantErr: true},
		{line: "400;chunk-signature=" + sig + "0", signed: true, wantErr: true},
		{line: "400;chunk-signature=" + sig + ";x=y", signed: true, wantErr: true},
		{line: "400;Chunk-Signature=" + sig, signed: true, wantErr: true},
		{line: "400 ;chunk-signature=" + sig, signed: true, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.line, func(t *testing.T) {
			size, claimed, err := parseChunkHeader(tc.line, tc.signed)
			if tc.wantErr {
				require.ErrorIs(t, err, ErrMalformed)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.wantSize, size)
			require.Equal(t, tc.signed, claimed != nil)
		})
	}
}

func TestParseTrailerLine(t *testing.T) {
	tests := []struct {
		line, wantName, wantValue string
		wantErr                   bool
	}{
		{line: "x-amz-checksum-crc32:sOO8/Q==", wantName: "x-amz-checksum-crc32", wantValue: "sOO8/Q=="},
		{line: "X-Amz-Checksum-CRC32: sOO8/Q==\t", wantName: "x-amz-checksum-crc32", wantValue: "sOO8/Q=="},
		{line: "x-amz-checksum-crc32:", wantName: "x-amz-checksum-crc32", wantValue: ""},
		{line: "x-amz-checksum-crc32 :v", wantErr: true},
		{line: ":v", wantErr: true},
		{line: "no colon", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.line, func(t *testing.T) {
			name, value, err := parseTrailerLine(tc.line)
			if tc.wantErr {
				require.ErrorIs(t, err, ErrMalformed)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.wantName, name)
			require.Equal(t, tc.wantValue, value)
		})
	}
}
