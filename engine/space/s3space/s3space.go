// Package s3space is a space.Space over a bucket of any S3-compatible service: AWS S3, MinIO,
// Ceph RGW, gofakes3, or jcs's own S3 front end.
//
// A blob named "a/b" is the object Prefix+"/a/b" of the bucket, or "a/b" when Prefix is empty.
// Names are checked with space.ValidateName plus two rules of this package: the first segment
// may not be ProbeDir, which Probe writes to, and the whole key may not exceed MaxKeyLen bytes,
// the limit of S3. With a Prefix the longest names of space.ValidateName therefore do not fit.
//
// The space leans on S3's own guarantees rather than on temporary objects:
//   - Put is one PutObject, which S3 applies atomically, or for blobs of unknown or very large
//     size a multipart upload, which publishes nothing until it is completed and is aborted on
//     failure. A multipart upload that a crash leaves behind is invisible to readers and List,
//     and SweepTemp aborts it.
//   - Open records the blob's size and ETag with a HeadObject. Every ReadAt is then a ranged
//     GetObject conditional on that ETag, so a reader never returns bytes of a blob that
//     replaced the one it opened: it fails with space.ErrNotExist instead, as the contract
//     allows remote stores to.
//   - List is ListObjectsV2, whose byte order of keys is the order the contract asks for.
//
// A Space is also the space.Files view of the whole bucket, rooted at the bucket's root rather
// than at Prefix, for importing and exporting user files.
//
// Errors of S3 requests are *RequestError. A missing object wraps space.ErrNotExist; timeouts,
// dropped connections, throttling and 5xx responses report Temporary() == true, after the
// client has already retried a few times with a short backoff. Neither errors nor String ever
// show the secret access key.
package s3space

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/jointcloud/jcs/engine/space"
)

const (
	// MaxKeyLen is the longest object key, in bytes, that S3 accepts. Prefix counts towards it.
	MaxKeyLen = 1024

	// ProbeDir is the directory under Prefix where Probe writes its test objects. Names whose
	// first segment is ProbeDir are invalid, and List never shows its content, so that a probe
	// object left by a crash is never taken for a blob.
	ProbeDir = ".jcs-probe"

	// defaultRegion is the signing region when Config.Region is empty: the region that S3
	// servers other than AWS accept by default.
	defaultRegion = "us-east-1"
)

var (
	_ space.Space       = (*Space)(nil)
	_ space.TempSweeper = (*Space)(nil)
	_ space.Files       = (*Space)(nil)
)

// Config describes the bucket behind a Space.
type Config struct {
	// Endpoint is the base URL of the S3 service, e.g. "https://minio.example.com:9000". Empty
	// means AWS S3's endpoint for Region.
	Endpoint string
	// Region is the signing region; empty means "us-east-1".
	Region string
	// Bucket is the bucket's name. Required.
	Bucket string
	// PathStyle addresses objects as ENDPOINT/BUCKET/KEY instead of BUCKET.ENDPOINT/KEY. Most
	// servers other than AWS need it.
	PathStyle bool
	// AccessKeyID and SecretAccessKey sign requests with SigV4. Both empty means anonymous,
	// unsigned requests; setting only one is an error.
	AccessKeyID, SecretAccessKey string
	// Prefix is the working directory inside the bucket that holds the blobs, e.g.
	// "jcs/shards". Leading and trailing slashes are ignored; empty means the bucket's root.
	// The rest must be a path that space.ValidatePath accepts.
	Prefix string
	// HTTPClient sends the requests. Nil means a client with short connect and response
	// header timeouts (see New); a client given here is used as is.
	HTTPClient *http.Client
}

// String describes c without the secret access key, so that a Config can be logged or printed
// with %v safely.
func (c Config) String() string {
	secret := ""
	if c.SecretAccessKey != "" {
		secret = "REDACTED"
	}
	return fmt.Sprintf("s3space.Config{Endpoint: %q, Region: %q, Bucket: %q, PathStyle: %t, AccessKeyID: %q, SecretAccessKey: %q, Prefix: %q}",
		redactURL(c.Endpoint), c.Region, c.Bucket, c.PathStyle, c.AccessKeyID, secret, c.Prefix)
}

// GoString is String, so that %#v does not show the secret access key either.
func (c Config) GoString() string { return c.String() }

// LogValue describes c to log/slog without the secret access key.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("endpoint", redactURL(c.Endpoint)),
		slog.String("region", c.Region),
		slog.String("bucket", c.Bucket),
		slog.Bool("pathStyle", c.PathStyle),
		slog.String("accessKeyID", c.AccessKeyID),
		slog.String("prefix", c.Prefix),
	)
}

// Space is a space.Space, space.Files and space.TempSweeper over one S3 bucket. It is safe for
// concurrent use and holds nothing that needs closing beyond the HTTP client's idle
// connections.
type Space struct {
	client *s3.Client
	bucket string
	prefix string // "" or Config.Prefix with exactly one trailing '/'
	where  string // endpoint and bucket for messages, without credentials
	tune   tuning
}

// New returns a Space over the bucket c describes. It checks c but does no network I/O, so it
// succeeds for a bucket that does not exist or an endpoint that is down; call Probe to find out
// whether the bucket is usable.
//
// Unless c.HTTPClient is set, connections time out after 5 s, and a request whose response
// headers take longer than 30 s fails. Each request is tried at most 3 times, with backoffs
// of at most a second, so that an unreachable endpoint fails within a few seconds.
func New(ctx context.Context, c Config) (*Space, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("s3space: new: %w", err)
	}
	if err := checkConfig(c); err != nil {
		return nil, err
	}
	prefix, err := normalizePrefix(c.Prefix)
	if err != nil {
		return nil, err
	}
	return &Space{
		client: newClient(c),
		bucket: c.Bucket,
		prefix: prefix,
		where:  describe(c),
		tune:   defaultTuning,
	}, nil
}

// checkConfig rejects configurations that cannot work, before any request is sent.
func checkConfig(c Config) error {
	if c.Bucket == "" || strings.ContainsAny(c.Bucket, "/?#") {
		return fmt.Errorf("s3space: bucket name %q is empty or holds '/', '?' or '#'", c.Bucket)
	}
	if c.Endpoint != "" {
		u, err := url.Parse(c.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("s3space: endpoint %q is not an http(s) URL", redactURL(c.Endpoint))
		}
	}
	if (c.AccessKeyID == "") != (c.SecretAccessKey == "") {
		return errors.New("s3space: set both the access key ID and the secret access key, or neither")
	}
	return nil
}

// normalizePrefix turns Config.Prefix into the string that precedes every blob's key.
func normalizePrefix(p string) (string, error) {
	p = strings.Trim(p, "/")
	if p == "" {
		return "", nil
	}
	if err := space.ValidatePath(p); err != nil {
		return "", fmt.Errorf("s3space: prefix: %w", err)
	}
	return p + "/", nil
}

// describe names the bucket for error messages.
func describe(c Config) string {
	if c.Endpoint == "" {
		return fmt.Sprintf("bucket %q in AWS region %s", c.Bucket, orDefault(c.Region, defaultRegion))
	}
	return fmt.Sprintf("bucket %q at %s", c.Bucket, redactURL(c.Endpoint))
}

// redactURL removes the user information from a URL, in case someone put credentials there.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	u.User = nil
	return u.String()
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// key returns the object key of the blob name.
func (s *Space) key(name string) string { return s.prefix + name }

// validateName applies space.ValidateName and the rules of this package.
func (s *Space) validateName(name string) error {
	if err := space.ValidateName(name); err != nil {
		return err
	}
	if first, _, _ := strings.Cut(name, "/"); first == ProbeDir {
		return &space.NameError{Name: name, Reason: "first segment is reserved for probes"}
	}
	if len(s.prefix)+len(name) > MaxKeyLen {
		return &space.NameError{Name: name, Reason: "object key with prefix longer than 1024 bytes"}
	}
	return nil
}

// check validates name and ctx, the preamble of every method that takes a name.
func (s *Space) check(ctx context.Context, op, name string) error {
	if err := s.validateName(name); err != nil {
		return fmt.Errorf("s3space: %s: %w", op, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("s3space: %s %q: %w", op, name, err)
	}
	return nil
}
