package sigv4

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// What curl 7.88 sends with --aws-sigv4 "aws:amz:<region>:<service>", found
// by capturing its requests and recomputing their signatures:
//
//   - it signs host, x-amz-date and every header given with -H (not the
//     Content-Type it adds itself for -d or -F), and sends no
//     X-Amz-Content-Sha256, for "jcs" and for "s3" alike;
//   - the payload hash it signs is the real body hash for -d and
//     --data-binary, but the empty body's hash for -F (multipart) and -T
//     (upload), whose bodies are therefore not covered by the signature;
//   - its canonical URI and query are the URL's path and query exactly as
//     sent: no double encoding, no sorting, no re-encoding ("k" stays "k",
//     not "k=").
//
// These tests run the real curl binary against a server that calls Verify.
func TestCurl(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("!!! curl is not on PATH: the real-client SigV4 tests with curl DID NOT RUN !!!")
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "upload.bin")
	fileData := strings.Repeat("0123456789", 100_000)
	require.NoError(t, os.WriteFile(file, []byte(fileData), 0o600))
	bigBody := filepath.Join(dir, "big.json")
	bigData := `{"pad":"` + strings.Repeat("x", 300_000) + `"}`
	require.NoError(t, os.WriteFile(bigBody, []byte(bigData), 0o600))
	fileSum, bigSum := " "+sha256Hex(fileData)[:8], " "+sha256Hex(bigData)[:8]

	const okSigned, okUnsigned = "OK signed", "OK unsigned"
	tests := []struct {
		name     string
		service  string // verifier service; default "jcs"
		sigv4    string // --aws-sigv4 value; default "aws:amz:any:jcs"
		target   string
		args     []string
		unsigned bool   // run curl without --aws-sigv4
		want     string // prefix of the response body
	}{
		{name: "GET download route", target: downloadTarget, want: okSigned},
		{name: "GET query needing encoding, unsorted, repeated, bare key",
			target: "/v1/object/downloadByPath?path=a%2Fb%20c.txt&packageID=3&z=~x&a=2&a=1&e=&k", want: okSigned},
		{name: "GET path with %20 and %2F", target: "/v1/object/a%20b/c%2Fd.txt", want: okSigned},
		{name: "GET with signed headers", target: "/v1/bucket/list", args: []string{"-H", "X-Amz-Meta-Tag:   a   b  ", "-H", "X-Jcs-Trace: 7"}, want: okSigned},
		{name: "POST JSON -d", target: "/v1/bucket/create", args: []string{"-H", "Content-Type: application/json", "-d", `{"userID":1,"name":"b1"}`}, want: okSigned},
		{name: "POST large JSON --data-binary", target: "/v1/bucket/create", args: []string{"--data-binary", "@" + bigBody}, want: okSigned + bigSum},
		{name: "POST multipart -F", target: "/v1/object/upload", args: []string{"-F", `info={"packageID":1}`, "-F", "file=@" + file}, want: okUnsigned},
		{name: "PUT file -T", target: "/v1/object/upload?path=a%20b.bin", args: []string{"-T", file}, want: okUnsigned + fileSum},
		{name: "region us-east-1", sigv4: "aws:amz:us-east-1:jcs", target: "/v1/bucket/list", want: okSigned},
		{name: "s3 GET key with space", service: "s3", sigv4: "aws:amz:us-east-1:s3", target: "/bucket/dir/a%20b.txt?x-id=GetObject", want: okSigned},
		{name: "s3 PUT -T", service: "s3", sigv4: "aws:amz:us-east-1:s3", target: "/bucket/dir/key", args: []string{"-T", file}, want: okUnsigned + fileSum},

		{name: "wrong secret GET", target: downloadTarget, args: []string{"--user", testAK + ":wrong"}, want: "SignatureMismatch"},
		{name: "wrong secret POST -d", target: "/v1/bucket/create", args: []string{"--user", testAK + ":wrong", "-d", `{"name":"b1"}`}, want: "SignatureMismatch"},
		{name: "wrong secret multipart -F", target: "/v1/object/upload", args: []string{"--user", testAK + ":wrong", "-F", "file=@" + file}, want: "SignatureMismatch"},
		{name: "wrong secret PUT -T", target: "/v1/object/upload", args: []string{"--user", testAK + ":wrong", "-T", file}, want: "SignatureMismatch"},
		{name: "unknown key", target: "/v1/bucket/list", args: []string{"--user", "NOBODY:" + testSK}, want: "UnknownAccessKey"},
		{name: "wrong service", sigv4: "aws:amz:any:s3", target: "/v1/bucket/list", want: "Scope"},
		{name: "no signing", target: "/v1/bucket/list", unsigned: true, want: "MissingAuth"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := &Verifier{Service: orDefault(tc.service, "jcs"), Credentials: StaticCredentials{testAK: testSK}}
			srv, _ := startServer(t, v)
			args := []string{"-sS", "--max-time", "30"}
			if !tc.unsigned {
				args = append(args, "--aws-sigv4", orDefault(tc.sigv4, "aws:amz:any:jcs"), "--user", testAK+":"+testSK)
			}
			args = append(args, tc.args...)
			args = append(args, srv.URL+tc.target)
			out, err := exec.CommandContext(t.Context(), curl, args...).CombinedOutput()
			require.NoError(t, err, "curl: %s", out)
			require.True(t, strings.HasPrefix(string(out), tc.want), "curl %s\ngot %q, want prefix %q", strings.Join(args, " "), out, tc.want)
		})
	}
}
