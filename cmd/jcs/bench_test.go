package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestS3Credentials(t *testing.T) {
	withFile := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(withFile, credentialsFile), []byte(`{"accessKeyID":"FILEAK","secretAccessKey":"FILESK"}`), 0o600))
	all := map[string]string{
		"AWS_ACCESS_KEY_ID": "AWSAK", "AWS_SECRET_ACCESS_KEY": "AWSSK", "AWS_SESSION_TOKEN": "TOKEN",
		"JCS_ACCESS_KEY": "JCSAK", "JCS_SECRET_KEY": "JCSSK",
	}
	tests := []struct {
		name      string
		flags     benchFlags
		env       map[string]string
		want      s3Creds
		wantError string
	}{
		{
			name:  "flags first",
			flags: benchFlags{accessKey: "FLAGAK", secretKey: "FLAGSK", data: withFile}, env: all,
			want: s3Creds{accessKey: "FLAGAK", secretKey: "FLAGSK", source: "--access-key"},
		},
		{
			name:  "then AWS_*",
			flags: benchFlags{data: withFile}, env: all,
			want: s3Creds{accessKey: "AWSAK", secretKey: "AWSSK", sessionToken: "TOKEN", source: "AWS_ACCESS_KEY_ID"},
		},
		{
			name:  "then JCS_*",
			flags: benchFlags{data: withFile}, env: map[string]string{"JCS_ACCESS_KEY": "JCSAK", "JCS_SECRET_KEY": "JCSSK"},
			want: s3Creds{accessKey: "JCSAK", secretKey: "JCSSK", source: "JCS_ACCESS_KEY"},
		},
		{
			name:  "then the data directory",
			flags: benchFlags{data: withFile},
			want:  s3Creds{accessKey: "FILEAK", secretKey: "FILESK", source: filepath.Join(withFile, credentialsFile)},
		},
		{
			name:  "else unsigned",
			flags: benchFlags{data: t.TempDir()},
			want:  s3Creds{},
		},
		{
			name:      "half a pair of flags",
			flags:     benchFlags{accessKey: "FLAGAK", data: withFile},
			env:       all,
			wantError: "both --access-key and --secret-key",
		},
		{
			name:      "half a pair of AWS_*",
			flags:     benchFlags{data: withFile},
			env:       map[string]string{"AWS_SECRET_ACCESS_KEY": "AWSSK", "JCS_ACCESS_KEY": "JCSAK", "JCS_SECRET_KEY": "JCSSK"},
			wantError: "both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
		},
		{
			name:      "half a pair of JCS_*",
			flags:     benchFlags{data: withFile},
			env:       map[string]string{"JCS_ACCESS_KEY": "JCSAK"},
			wantError: "both JCS_ACCESS_KEY and JCS_SECRET_KEY",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s3Credentials(&tc.flags, env(tc.env))
			if tc.wantError != "" {
				require.ErrorContains(t, err, tc.wantError)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

// startBaseline runs serveBaseline until the test ends and returns its URL.
func startBaseline(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- serveBaseline(ctx, "127.0.0.1:0", pw, io.Discard)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	line, err := bufio.NewReader(pr).ReadString('\n')
	require.NoError(t, err)
	m := regexp.MustCompile(`^jcs: serving the s3mem baseline on (http://127\.0\.0\.1:\d+)\n$`).FindStringSubmatch(line)
	require.NotNil(t, m, "%q", line)
	go io.Copy(io.Discard, pr) // nothing more is printed, but never block the server on it
	return m[1]
}

func TestBenchS3AgainstTheBaseline(t *testing.T) {
	url := startBaseline(t)
	noCreds := env(nil)
	dataless := []string{"--data", t.TempDir()} // no credentials.json: unsigned

	var stdout, stderr bytes.Buffer
	err := benchCommand(append([]string{"--target", "s3", "--endpoint", url, "--bucket", "bench-1", "--op", "put",
		"--size", "4KiB", "--concurrency", "2", "--count", "10"}, dataless...), &stdout, &stderr, noCreds)
	require.NoError(t, err, stderr.String())
	require.Regexp(t, `^s3 `+regexp.QuoteMeta(url)+`/bench-1 put of 4 KiB objects, concurrency 2, 10 ops in `, stdout.String())
	require.Regexp(t, `(?m)^  throughput +[0-9.]+ MiB/s  [0-9.]+ ops/s  \(10 ops\)$`, stdout.String())
	require.Regexp(t, `(?m)^  latency +p50 [0-9.]+ms  p90 [0-9.]+ms  p99 [0-9.]+ms  max [0-9.]+ms$`, stdout.String())
	require.Contains(t, stderr.String(), "sending unsigned requests")

	// Signed (the baseline accepts any signature), verified, as JSON.
	stdout.Reset()
	stderr.Reset()
	err = benchCommand(append([]string{"--target", "s3", "--endpoint", url, "--bucket", "bench-1", "--op", "get",
		"--size", "1MiB", "--concurrency", "3", "--count", "12", "--verify", "--json"}, dataless...), &stdout, &stderr,
		env(map[string]string{"AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "SK"}))
	require.NoError(t, err, stderr.String())
	require.Contains(t, stderr.String(), "signing as AK (from AWS_ACCESS_KEY_ID)")
	var res struct {
		Op       string
		Verified bool
		Errors   int64
		Total    struct {
			Ops, Bytes int64
			MiBPerSec  float64
			P50Ms      float64
		}
	}
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &res), stdout.String())
	require.Equal(t, "get", res.Op)
	require.True(t, res.Verified)
	require.Zero(t, res.Errors)
	require.EqualValues(t, 12, res.Total.Ops)
	require.EqualValues(t, 12<<20, res.Total.Bytes)
	require.Positive(t, res.Total.MiBPerSec)
	require.Positive(t, res.Total.P50Ms)
}

func TestBenchS3Errors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := "http://" + ln.Addr().String()
	ln.Close()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"nothing listening", []string{"--endpoint", closed}, "connection refused"},
		{"bad endpoint", []string{"--endpoint", "127.0.0.1:7891"}, "not an http(s) URL"},
		{"bad bucket", []string{"--endpoint", closed, "--bucket", "a/b"}, "bucket name"},
		{"half a key pair", []string{"--endpoint", closed, "--access-key", "AK"}, "both --access-key and --secret-key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"--target", "s3", "--data", t.TempDir(), "--count", "1"}, tc.args...)
			err := benchCommand(args, io.Discard, io.Discard, env(nil))
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestBaselineCommandErrors(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"extra argument", []string{"now"}, "unexpected arguments"},
		{"port taken", []string{"--addr", ln.Addr().String()}, "address already in use"},
		{"unknown flag", []string{"--bucket", "b"}, "flag provided but not defined"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := benchCommand(append([]string{baselineName}, tc.args...), io.Discard, io.Discard, env(nil))
			require.ErrorContains(t, err, tc.want)
		})
	}
}
