package e2e

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"hash/crc32"
	"hash/crc64"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// boto3Report is what testdata/s3_boto3.py prints. A step that raised in the script holds
// Error (and Trace) instead of its results.
type boto3Report struct {
	Botocore string `json:"botocore"`
	Presign  struct {
		boto3Error
		DefaultGet string `json:"defaultGet"` // boto3's default config: SigV2
		V4Get      string `json:"v4Get"`
		V4Put      string `json:"v4Put"`
		V4GetPut   string `json:"v4GetPut"` // GET of what V4Put uploads
	} `json:"presign"`
	Checksums []struct {
		Algorithm string `json:"algorithm"`
		Native    bool   `json:"native"` // botocore computes it itself; else the script's pure-Python CRC
		Size      int64  `json:"size"`   // bytes of the data file uploaded
		Put       struct {
			boto3Error
			Value   string            `json:"value"`
			Type    string            `json:"type"`
			Headers map[string]string `json:"headers"` // the request's x-amz-* and encoding headers
		} `json:"put"`
		Get struct {
			boto3Error
			Value     string `json:"value"`
			Type      string `json:"type"`
			SameBytes bool   `json:"sameBytes"`
		} `json:"get"`
		Ranged struct {
			boto3Error
			Value        *string `json:"value"`
			ContentRange string  `json:"contentRange"`
			SameBytes    bool    `json:"sameBytes"`
		} `json:"ranged"`
	} `json:"checksums"`
	Transfer struct {
		boto3Error
		Size      int64  `json:"size"`
		SHA256    string `json:"sha256"`
		ETag      string `json:"etag"`
		GetSHA256 string `json:"getSha256"`
	} `json:"transfer"`
}

// boto3Error is a failed step of the script.
type boto3Error struct {
	Error string `json:"error"`
	Trace string `json:"trace"`
}

// failed reports a failed step as a test error and returns whether it failed.
func (e boto3Error) failed(t *testing.T, step string) bool {
	t.Helper()
	if e.Error != "" {
		t.Errorf("boto3 %s: %s\n%s", step, e.Error, e.Trace)
		return true
	}
	return false
}

// findBoto3 returns the python3 on PATH after checking that it has boto3. Missing ones fail
// the test: the machines have them, and a silent skip would hide that the walk did not run.
func findBoto3(t *testing.T) string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("python3 is not installed (%v): the end-to-end walk with boto3 cannot run without it", err)
	}
	out, err := command(t, py, "-c", "import boto3, botocore; print(botocore.__version__)").CombinedOutput()
	if err != nil {
		t.Fatalf("boto3 is not installed for %s (%v): install it (pip install boto3); "+
			"the end-to-end walk with boto3 cannot run without it:\n%s", py, err, out)
	}
	return py
}

// TestS3Boto3 drives the S3 API with boto3 over HTTP and over HTTPS with a self-signed
// certificate (verify=): presigned URLs of boto3's default config (SigV2) and of SigV4, GET and
// PUT; put_object with each flexible checksum, sent as a header over HTTP and as an
// aws-chunked trailer over HTTPS, read back with ChecksumMode ENABLED, whole and ranged; and a
// 12 MiB upload_fileobj and download_fileobj, which go multipart and ranged.
func TestS3Boto3(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		tls  bool
	}{{"HTTP", false}, {"HTTPS", true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			py := findBoto3(t)
			s := startS3Server(t, tc.tls)
			dir := t.TempDir()
			data := object{size: 1<<20 + 1000, seed: 501} // two aws-chunks of botocore's 1 MiB
			big := object{size: 12 << 20, seed: 502}
			script, err := filepath.Abs(filepath.Join("testdata", "s3_boto3.py"))
			require.NoError(t, err)
			cmd := command(t, py, script, s.s3URL(""), s.caFile, "boto3-"+strings.ToLower(tc.name),
				writeObject(t, dir, data), writeObject(t, dir, big))
			cmd.Env = awsEnv(t, *s.creds)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			require.NoError(t, err, "s3_boto3.py: %s", stderr.String())
			var rep boto3Report
			require.NoError(t, json.Unmarshal(out, &rep), "s3_boto3.py printed %.2000s", out)
			t.Logf("botocore %s", rep.Botocore)

			checkBoto3Presign(t, s, &rep, data)
			checkBoto3Checksums(t, tc.tls, &rep, data)
			if !rep.Transfer.failed(t, "upload_fileobj/download_fileobj") {
				require.Equal(t, big.size, rep.Transfer.Size)
				sum := big.sum()
				require.Equal(t, hex.EncodeToString(sum[:]), rep.Transfer.SHA256, "download_fileobj content")
				require.Equal(t, hex.EncodeToString(sum[:]), rep.Transfer.GetSHA256, "get_object with ChecksumMode content")
				require.Regexp(t, `^"[0-9a-f]{32}-2"$`, rep.Transfer.ETag, "12 MiB goes up in two parts of 8 MiB")
				waitLogCount(t, s, rangedGet8MiB, 2)
			}
		})
	}
}

// checkBoto3Presign fetches the presigned URLs the script made with Go's client.
func checkBoto3Presign(t *testing.T, s *server, rep *boto3Report, data object) {
	t.Helper()
	p := rep.Presign
	if p.failed(t, "generate_presigned_url") {
		return
	}
	want := data.bytesAt(0, 1000)
	u, err := url.Parse(p.DefaultGet)
	require.NoError(t, err)
	q := u.Query()
	for _, k := range []string{"AWSAccessKeyId", "Signature", "Expires"} {
		require.True(t, q.Has(k), "boto3's default presigned URL should be SigV2 (with %s): %s", k, p.DefaultGet)
	}
	if status, body := presignedDo(t, s, "GET", p.DefaultGet, nil); status != http.StatusOK {
		t.Errorf("BUG: the server refuses the SigV2 presigned GET that boto3 makes by default: %d %.500s\nURL: %s",
			status, body, p.DefaultGet)
	} else {
		requireBytes(t, want, body, "SigV2 presigned GET")
	}

	require.Contains(t, p.V4Get, "X-Amz-Signature=")
	status, body := presignedDo(t, s, "GET", p.V4Get, nil)
	require.Equal(t, http.StatusOK, status, "SigV4 presigned GET: %.500s", body)
	requireBytes(t, want, body, "SigV4 presigned GET")

	put := data.bytesAt(0, 2000)
	status, body = presignedDo(t, s, "PUT", p.V4Put, put)
	require.Equal(t, http.StatusOK, status, "SigV4 presigned PUT: %.500s", body)
	status, body = presignedDo(t, s, "GET", p.V4GetPut, nil)
	require.Equal(t, http.StatusOK, status, "GET of the presigned PUT: %.500s", body)
	requireBytes(t, put, body, "GET of the presigned PUT")
}

// presignedDo sends a request to a presigned URL, with body for a PUT, and returns the status
// and the response body.
func presignedDo(t *testing.T, s *server, method, u string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, u, bytes.NewReader(body))
	require.NoError(t, err)
	resp, err := s.httpClient().Do(req)
	require.NoError(t, err, "%s %s", method, u)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, b
}

// checkBoto3Checksums checks each algorithm's put, get and ranged get against the checksum Go
// computes over the same bytes.
func checkBoto3Checksums(t *testing.T, tls bool, rep *boto3Report, data object) {
	t.Helper()
	var algs []string
	for _, c := range rep.Checksums {
		algs = append(algs, c.Algorithm)
		if !c.Native {
			t.Logf("botocore %s computes %s only with awscrt, which is not installed: the script supplies a pure-Python CRC",
				rep.Botocore, c.Algorithm)
		}
	}
	for _, a := range []string{"CRC32", "CRC32C", "SHA1", "SHA256"} {
		require.Contains(t, algs, a, "botocore %s", rep.Botocore)
	}
	for _, c := range rep.Checksums {
		t.Run(c.Algorithm, func(t *testing.T) {
			want := flexibleChecksum(t, c.Algorithm, data.bytesAt(0, c.Size))
			header := "x-amz-checksum-" + strings.ToLower(c.Algorithm)
			if !c.Put.failed(t, "put_object") {
				if tls {
					require.Equal(t, header, c.Put.Headers["x-amz-trailer"], "over HTTPS botocore sends the checksum as a trailer: %v", c.Put.Headers)
					require.Equal(t, "STREAMING-UNSIGNED-PAYLOAD-TRAILER", c.Put.Headers["x-amz-content-sha256"])
				} else {
					require.Equal(t, want, c.Put.Headers[header], "over HTTP botocore sends the checksum as a header: %v", c.Put.Headers)
				}
				require.Equal(t, want, c.Put.Value, "put_object's answer")
				require.Equal(t, "FULL_OBJECT", c.Put.Type)
			}
			if !c.Get.failed(t, "get_object with ChecksumMode ENABLED") {
				require.True(t, c.Get.SameBytes)
				require.Equal(t, want, c.Get.Value, "get_object's checksum")
				require.Equal(t, "FULL_OBJECT", c.Get.Type)
			}
			if !c.Ranged.failed(t, "ranged get_object with ChecksumMode ENABLED") {
				require.True(t, c.Ranged.SameBytes)
				require.Equal(t, "bytes 10-99/"+itoa(c.Size), c.Ranged.ContentRange)
				require.Nil(t, c.Ranged.Value, "a range carries no whole-object checksum")
			}
		})
	}
}

// crc64NVME is the CRC-64/NVME table, in hash/crc64's reversed-polynomial form.
var crc64NVME = crc64.MakeTable(0x9a6c9329ac4bc9b5)

// flexibleChecksum is S3's base64 checksum of b with alg.
func flexibleChecksum(t *testing.T, alg string, b []byte) string {
	t.Helper()
	var sum []byte
	switch alg {
	case "CRC32":
		sum = binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(b))
	case "CRC32C":
		sum = binary.BigEndian.AppendUint32(nil, crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)))
	case "CRC64NVME":
		sum = binary.BigEndian.AppendUint64(nil, crc64.Checksum(b, crc64NVME))
	case "SHA1":
		s := sha1.Sum(b)
		sum = s[:]
	case "SHA256":
		s := sha256.Sum256(b)
		sum = s[:]
	default:
		t.Fatalf("unknown checksum algorithm %q", alg)
	}
	return base64.StdEncoding.EncodeToString(sum)
}
