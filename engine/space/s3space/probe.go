package s3space

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/jointcloud/jcs/engine/space"
)

// Probe checks that the bucket is usable, with real requests: HeadBucket, then a PutObject of
// a small object under Prefix+ProbeDir, a GetObject that must return the same bytes, and a
// DeleteObject. It returns an error that names the failed step and, where the answer tells,
// why: the endpoint is unreachable, the bucket does not exist, the credentials are refused,
// the region is wrong. A Probe cancelled between its PUT and DELETE may leave the probe
// object behind, invisible to List.
//
// A failure of the connection or the server is temporary (see space.Temporary), so callers
// can tell "try again later" from "fix the configuration".
func (s *Space) Probe(ctx context.Context) error {
	if _, err := s.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(s.bucket)}); err != nil {
		return s.probeError("head bucket", requestError(ctx, "probe", "", err))
	}
	var token [16]byte
	rand.Read(token[:])
	key := s.prefix + ProbeDir + "/" + hex.EncodeToString(token[:])
	want := []byte("jcs probe " + hex.EncodeToString(token[:]) + "\n")
	if err := s.upload(ctx, "probe", key, bytes.NewReader(want), int64(len(want))); err != nil {
		return s.probeError("put object", err)
	}
	got, err := s.getAll(ctx, key)
	if err == nil && !bytes.Equal(got, want) {
		err = errors.New("s3space: probe: object read back differs from what was written")
	}
	if err != nil {
		s.client.DeleteObject(context.WithoutCancel(ctx), &s3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
		return s.probeError("get object", err)
	}
	if _, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)}); err != nil {
		return s.probeError("delete object", requestError(ctx, "probe", key, err))
	}
	return nil
}

// getAll reads the whole object key.
func (s *Space) getAll(ctx context.Context, key string) ([]byte, error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)})
	if err != nil {
		return nil, requestError(ctx, "probe", key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, requestError(ctx, "probe", key, err)
	}
	return b, nil
}

// probeError wraps the failure of a probe step with a diagnosis.
func (s *Space) probeError(step string, err error) error {
	if why := diagnose(step, err); why != "" {
		return fmt.Errorf("s3space: probe of %s: %s: %s: %w", s.where, step, why, err)
	}
	return fmt.Errorf("s3space: probe of %s: %s: %w", s.where, step, err)
}

// diagnose names the likely cause of a failed probe step, or returns "" if it cannot tell.
func diagnose(step string, err error) string {
	code, status := errorCode(err), httpStatus(err)
	switch {
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return ""
	case code == "NoSuchBucket" || (step == "head bucket" && errors.Is(err, space.ErrNotExist)):
		return "the bucket does not exist"
	case code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch":
		return "the credentials are wrong: check the access key ID and the secret access key"
	case code == "AccessDenied" || status == http.StatusForbidden || status == http.StatusUnauthorized:
		return "access denied: wrong credentials, or they lack permission on the bucket"
	case code == "PermanentRedirect" || code == "AuthorizationHeaderMalformed" ||
		status == http.StatusMovedPermanently || status == http.StatusTemporaryRedirect:
		return "wrong region or endpoint for the bucket"
	case status >= 500:
		return "the server failed"
	case isConnectionError(err):
		return "the endpoint is unreachable"
	}
	return ""
}
