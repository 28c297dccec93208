package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// presignCommand prints a presigned URL for a /v1 URL, signed with the root credentials for
// service "jcs", valid for --expires: a download for anyone to GET, or with --method POST an
// upload anyone can send a multipart body to (the body itself is not signed).
func presignCommand(args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("jcs presign", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "./data", "data directory holding credentials.json, if JCS_ACCESS_KEY/JCS_SECRET_KEY are unset")
	expires := fs.Duration("expires", 15*time.Minute, "how long the URL stays valid (at most 168h)")
	method := fs.String("method", http.MethodGet, "the method the URL is for: GET, HEAD or POST")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("usage: jcs presign [--expires 15m] [--method GET] URL")
	}
	switch *method {
	case http.MethodGet, http.MethodHead, http.MethodPost:
	default:
		return fmt.Errorf("--method %q: want GET, HEAD or POST", *method)
	}
	if *expires < time.Second || *expires > 7*24*time.Hour {
		return fmt.Errorf("--expires must be between 1s and 168h")
	}
	c, err := loadCredentials(*data, getenv)
	if err != nil {
		return fmt.Errorf("%w; set JCS_ACCESS_KEY and JCS_SECRET_KEY or point --data at the server's data directory", err)
	}
	u, err := presign(context.Background(), *method, fs.Arg(0), c, *expires, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, u)
	return nil
}

// presign returns rawURL with SigV4 query authentication for method.
func presign(ctx context.Context, method, rawURL string, c credentials, expires time.Duration, now time.Time) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("%q is not an absolute URL", rawURL)
	}
	q := u.Query()
	q.Set("X-Amz-Expires", strconv.Itoa(int(expires.Seconds())))
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), nil)
	if err != nil {
		return "", err
	}
	creds := aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey}
	signed, _, err := v4.NewSigner().PresignHTTP(ctx, creds, req, "UNSIGNED-PAYLOAD", "jcs", "any", now)
	return signed, err
}
