package main

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/sigv4"
)

func TestRootCredentialsGeneratedOnceAndPrivate(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	c, err := rootCredentials(dir, env(nil), &out)
	require.NoError(t, err)
	require.Len(t, c.AccessKeyID, 20)
	require.Len(t, c.SecretAccessKey, 40)
	require.Contains(t, out.String(), c.SecretAccessKey, "printed once on first start")

	info, err := os.Stat(filepath.Join(dir, credentialsFile))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	out.Reset()
	again, err := rootCredentials(dir, env(nil), &out)
	require.NoError(t, err)
	require.Equal(t, c, again, "a second start reuses the saved pair")
	require.Empty(t, out.String(), "and does not print the secret again")
}

func TestRootCredentialsFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	c, err := rootCredentials(dir, env(map[string]string{"JCS_ACCESS_KEY": "AK", "JCS_SECRET_KEY": "SK"}), &out)
	require.NoError(t, err)
	require.Equal(t, credentials{"AK", "SK"}, c)
	require.Empty(t, out.String())
	_, err = os.Stat(filepath.Join(dir, credentialsFile))
	require.True(t, os.IsNotExist(err), "environment credentials are not written to disk")

	_, err = rootCredentials(dir, env(map[string]string{"JCS_ACCESS_KEY": "AK"}), &out)
	require.ErrorContains(t, err, "both")
}

func TestRootCredentialsDamagedFile(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, credentialsFile), []byte("{"), 0o600))
	_, err := rootCredentials(dir, env(nil), &bytes.Buffer{})
	require.ErrorContains(t, err, "damaged")
}

func TestRandomStringAlphabet(t *testing.T) {
	s := randomString(1000, upperAlnum)
	for _, r := range s {
		require.True(t, strings.ContainsRune(upperAlnum, r))
	}
}

func TestPresignVerifies(t *testing.T) {
	c := credentials{"AKID", "SECRET"}
	now := time.Now()
	u, err := presign(t.Context(), http.MethodGet, "http://127.0.0.1:7890/v1/object/download?objectID=7", c, time.Hour, now)
	require.NoError(t, err)
	require.Contains(t, u, "X-Amz-Signature=")
	require.Contains(t, u, "objectID=7")

	verify := func(at time.Time, rawURL string) error {
		return verifyMethod(t, http.MethodGet, at, rawURL)
	}
	require.NoError(t, verify(now, u))
	require.ErrorIs(t, verify(now.Add(2*time.Hour), u), sigv4.ErrExpired)
	require.Error(t, verify(now, strings.Replace(u, "objectID=7", "objectID=8", 1)))

	// An upload URL is good for POST only.
	up, err := presign(t.Context(), http.MethodPost, "http://127.0.0.1:7890/v1/object/upload", c, time.Hour, now)
	require.NoError(t, err)
	require.NoError(t, verifyMethod(t, http.MethodPost, now, up))
	require.ErrorIs(t, verifyMethod(t, http.MethodGet, now, up), sigv4.ErrSignatureMismatch)

	_, err = presign(t.Context(), http.MethodGet, "not a url", c, time.Hour, now)
	require.Error(t, err)
}

// verifyMethod checks a presigned URL as the server would for a request with method at time at.
func verifyMethod(t *testing.T, method string, at time.Time, rawURL string) error {
	req, err := http.NewRequest(method, rawURL, nil)
	require.NoError(t, err)
	v := &sigv4.Verifier{Service: "jcs", Credentials: sigv4.StaticCredentials{"AKID": "SECRET"}, Now: func() time.Time { return at }}
	_, err = v.Verify(req)
	return err
}

// TestLoadCredentialsNeverCreates pins that presign and bench, which only read the root
// credentials, never leave a new key pair behind that the server does not know.
func TestLoadCredentialsNeverCreates(t *testing.T) {
	dir := t.TempDir()
	_, err := loadCredentials(dir, env(nil))
	require.ErrorIs(t, err, errNoCredentials)
	_, err = os.Stat(filepath.Join(dir, credentialsFile))
	require.True(t, os.IsNotExist(err))

	var out bytes.Buffer
	code := run([]string{"presign", "--data", dir, "http://127.0.0.1:7890/v1/object/download?objectID=1"}, &out, &out, env(nil))
	require.Equal(t, 1, code)
	require.Contains(t, out.String(), "no root credentials")
	_, err = os.Stat(filepath.Join(dir, credentialsFile))
	require.True(t, os.IsNotExist(err), "presign must not generate credentials")
}
