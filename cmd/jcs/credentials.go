package main

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// credentials are the root user's access key pair.
type credentials struct {
	AccessKeyID     string `json:"accessKeyID"`
	SecretAccessKey string `json:"secretAccessKey"`
}

const credentialsFile = "credentials.json"

// rootCredentials returns the root key pair: from JCS_ACCESS_KEY and JCS_SECRET_KEY if set,
// else from DATA/credentials.json, else newly generated, saved there with mode 0600 and printed
// once to out. The secret never goes to the log.
func rootCredentials(dataDir string, getenv func(string) string, out io.Writer) (credentials, error) {
	c, err := loadCredentials(dataDir, getenv)
	if !errors.Is(err, errNoCredentials) {
		return c, err
	}
	path := filepath.Join(dataDir, credentialsFile)
	c = credentials{AccessKeyID: "JCS" + randomString(17, upperAlnum), SecretAccessKey: randomString(40, base62)}
	if err := writeFileAtomic(path, c, 0o600); err != nil {
		return credentials{}, fmt.Errorf("saving root credentials: %w", err)
	}
	fmt.Fprintf(out, "jcs: generated root credentials, saved to %s (shown only this once):\n", path)
	fmt.Fprintf(out, "  JCS_ACCESS_KEY=%s\n  JCS_SECRET_KEY=%s\n", c.AccessKeyID, c.SecretAccessKey)
	return c, nil
}

// errNoCredentials means neither the environment nor the data directory holds root
// credentials.
var errNoCredentials = errors.New("no root credentials")

// loadCredentials returns the root key pair from JCS_ACCESS_KEY and JCS_SECRET_KEY, or from
// DATA/credentials.json, and errNoCredentials if there is neither. It never creates any.
func loadCredentials(dataDir string, getenv func(string) string) (credentials, error) {
	ak, sk := getenv("JCS_ACCESS_KEY"), getenv("JCS_SECRET_KEY")
	switch {
	case ak != "" && sk != "":
		return credentials{ak, sk}, nil
	case ak != "" || sk != "":
		return credentials{}, errors.New("set both JCS_ACCESS_KEY and JCS_SECRET_KEY, or neither")
	}
	path := filepath.Join(dataDir, credentialsFile)
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return credentials{}, fmt.Errorf("%w in the environment or in %s", errNoCredentials, path)
	case err != nil:
		return credentials{}, err
	}
	var c credentials
	if err := json.Unmarshal(b, &c); err != nil || c.AccessKeyID == "" || c.SecretAccessKey == "" {
		return credentials{}, fmt.Errorf("%s is damaged; remove it to generate new root credentials", path)
	}
	return c, nil
}

const (
	upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	base62     = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

// randomString returns n characters drawn uniformly from alphabet with crypto/rand.
func randomString(n int, alphabet string) string {
	out := make([]byte, n)
	for i := range out {
		for {
			var b [1]byte
			rand.Read(b[:])
			// Reject values that would bias the modulo.
			if limit := 256 - 256%len(alphabet); int(b[0]) < limit {
				out[i] = alphabet[int(b[0])%len(alphabet)]
				break
			}
		}
	}
	return string(out)
}

// writeFileAtomic writes v as JSON to path with the given mode, durably: temp file, fsync,
// rename, directory fsync.
func writeFileAtomic(path string, v any, mode os.FileMode) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return writeBytesAtomic(path, append(b, '\n'), mode)
}

// writeBytesAtomic writes b to path with mode through a synced temporary file and a rename.
func writeBytesAtomic(path string, b []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(path))
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

const sealKeyFile = "seal.key"

// sealKey returns the 32-byte key that seals secrets in the index, from DATA/seal.key, creating
// it (mode 0600) on first start. It lives beside the index, not in it, so that a copy of the
// index alone reveals no secret; back it up with the data directory.
func sealKey(dataDir string) ([]byte, error) {
	path := filepath.Join(dataDir, sealKeyFile)
	b, err := os.ReadFile(path)
	switch {
	case err == nil && len(b) == 32:
		return b, nil
	case err == nil:
		return nil, fmt.Errorf("%s holds %d bytes, want 32: it is damaged", path, len(b))
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	key := make([]byte, 32)
	rand.Read(key)
	if err := writeBytesAtomic(path, key, 0o600); err != nil {
		return nil, fmt.Errorf("saving the seal key: %w", err)
	}
	return key, nil
}
