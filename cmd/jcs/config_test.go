package main

import (
	"cmp"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestConfigPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "jcs.json")
	require.NoError(t, os.WriteFile(file, []byte(`{"data": "/from/file", "api-addr": "file:1", "default-spaces": 3, "no-auth": true}`), 0o600))
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want config
	}{
		{
			name: "defaults",
			want: config{Data: "./data", APIAddr: "127.0.0.1:7890", S3Addr: "127.0.0.1:7891", DefaultSpaces: 6, LogLevel: "info", LogFormat: "text", DataShards: 4, ParityShards: 2, ChunkSize: 1 << 20, SmallObjectSize: 256 << 10},
		},
		{
			name: "config file",
			args: []string{"--config", file},
			want: config{Data: "/from/file", APIAddr: "file:1", S3Addr: "127.0.0.1:7891", DefaultSpaces: 3, NoAuth: true, LogLevel: "info", LogFormat: "text", ConfigFile: file, DataShards: 4, ParityShards: 2, ChunkSize: 1 << 20, SmallObjectSize: 256 << 10},
		},
		{
			name: "env beats file",
			args: []string{"--config", file},
			env:  map[string]string{"JCS_DATA": "/from/env", "JCS_DEFAULT_SPACES": "4"},
			want: config{Data: "/from/env", APIAddr: "file:1", S3Addr: "127.0.0.1:7891", DefaultSpaces: 4, NoAuth: true, LogLevel: "info", LogFormat: "text", ConfigFile: file, DataShards: 4, ParityShards: 2, ChunkSize: 1 << 20, SmallObjectSize: 256 << 10},
		},
		{
			name: "flag beats env",
			args: []string{"--config", file, "--data", "/from/flag", "--no-auth=false"},
			env:  map[string]string{"JCS_DATA": "/from/env"},
			want: config{Data: "/from/flag", APIAddr: "file:1", S3Addr: "127.0.0.1:7891", DefaultSpaces: 3, LogLevel: "info", LogFormat: "text", ConfigFile: file, DataShards: 4, ParityShards: 2, ChunkSize: 1 << 20, SmallObjectSize: 256 << 10},
		},
		{
			name: "health flags",
			args: []string{"--repair-after", "90s", "--scrub-interval", "-1s"},
			env:  map[string]string{"JCS_PROBE_INTERVAL": "250ms", "JCS_SCRUB_RATE": "1048576", "JCS_UPLOAD_EXPIRY": "-1s"},
			want: config{Data: "./data", APIAddr: "127.0.0.1:7890", S3Addr: "127.0.0.1:7891", DefaultSpaces: 6, LogLevel: "info", LogFormat: "text", DataShards: 4, ParityShards: 2, ChunkSize: 1 << 20, SmallObjectSize: 256 << 10,
				ProbeInterval: 250 * time.Millisecond, RepairAfter: 90 * time.Second, ScrubInterval: -time.Second, ScrubRate: 1 << 20, UploadExpiry: -time.Second},
		},
		{
			name: "config file named by env",
			env:  map[string]string{"JCS_CONFIG": file, "JCS_API_ADDR": "env:2"},
			want: config{Data: "/from/file", APIAddr: "env:2", S3Addr: "127.0.0.1:7891", DefaultSpaces: 3, NoAuth: true, LogLevel: "info", LogFormat: "text", ConfigFile: file, DataShards: 4, ParityShards: 2, ChunkSize: 1 << 20, SmallObjectSize: 256 << 10},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseConfig(tc.args, env(tc.env), io.Discard)
			require.NoError(t, err)
			want := tc.want
			want.ProbeInterval = cmp.Or(want.ProbeInterval, engine.DefaultProbeInterval)
			want.RepairAfter = cmp.Or(want.RepairAfter, engine.DefaultRepairAfter)
			want.RepairInterval = cmp.Or(want.RepairInterval, engine.DefaultRepairInterval)
			want.ScrubInterval = cmp.Or(want.ScrubInterval, engine.DefaultScrubInterval)
			want.ScrubRate = cmp.Or(want.ScrubRate, engine.DefaultScrubRate)
			want.UploadExpiry = cmp.Or(want.UploadExpiry, engine.DefaultUploadExpiry)
			want.DeferMax = cmp.Or(want.DeferMax, engine.DefaultDeferMax)
			require.Equal(t, want, *got)
		})
	}
}

func TestConfigErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"data": ["x"]}`), 0o600))
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
	}{
		{"unknown flag", []string{"--nope"}, nil},
		{"stray argument", []string{"extra"}, nil},
		{"bad env value", nil, map[string]string{"JCS_DEFAULT_SPACES": "many"}},
		{"negative spaces", []string{"--default-spaces", "-1"}, nil},
		{"missing config file", []string{"--config", "/does/not/exist.json"}, nil},
		{"config value of wrong type", []string{"--config", bad}, nil},
		{"bad log format", []string{"--log-format", "xml"}, nil},
		{"zero upload expiry", []string{"--upload-expiry", "0s"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseConfig(tc.args, env(tc.env), io.Discard)
			require.Error(t, err)
		})
	}
}

func TestEnvName(t *testing.T) {
	require.Equal(t, "JCS_API_ADDR", envName("api-addr"))
	require.Equal(t, "JCS_NO_AUTH", envName("no-auth"))
}

// TestSetProcs: serve runs procsPerCPU Ps per CPU, unless GOMAXPROCS is set.
func TestSetProcs(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	t.Cleanup(func() { runtime.GOMAXPROCS(before) })
	setProcs(env(map[string]string{"GOMAXPROCS": "1"}))
	require.Equal(t, before, runtime.GOMAXPROCS(0), "GOMAXPROCS in the environment wins")
	setProcs(env(nil))
	require.Equal(t, procsPerCPU*before, runtime.GOMAXPROCS(0))
}
