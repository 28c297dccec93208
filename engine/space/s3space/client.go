package s3space

import (
	"context"
	"math/rand/v2"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

const (
	// dialTimeout bounds a TCP connect, so that a dead endpoint fails fast.
	dialTimeout = 5 * time.Second
	// responseHeaderTimeout bounds the wait for response headers once a request is sent. It
	// does not bound the transfer of a body, which may legitimately take minutes.
	responseHeaderTimeout = 30 * time.Second
	// maxAttempts is how many times the client tries one request. The engine retries whole
	// operations on temporary errors, so retrying long here would only delay its decision.
	maxAttempts = 3
	// baseBackoff and maxBackoff bound the wait between attempts; see backoff.
	baseBackoff = 200 * time.Millisecond
	maxBackoff  = time.Second
)

// newClient builds the S3 client for c. It sends no request.
//
// Checksums are computed and validated only when an operation requires them: the SDK's
// default would add CRC32 trailers in aws-chunked encoding, which several S3 imitations do not
// understand. The engine checksums its shards itself.
func newClient(c Config) *s3.Client {
	o := s3.Options{
		Region:                     orDefault(c.Region, defaultRegion),
		UsePathStyle:               c.PathStyle,
		Credentials:                credentials(c),
		Retryer:                    newRetryer(),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
		// Without this the SDK logs a line per GET of an object stored without a checksum.
		DisableLogOutputChecksumValidationSkipped: true,
	}
	if c.Endpoint != "" {
		o.BaseEndpoint = aws.String(c.Endpoint)
	}
	if c.HTTPClient != nil {
		o.HTTPClient = c.HTTPClient
	} else {
		o.HTTPClient = newHTTPClient()
	}
	return s3.New(o)
}

// credentials returns static credentials, or anonymous ones (no signing) when both keys are
// empty.
func credentials(c Config) aws.CredentialsProvider {
	if c.AccessKeyID == "" && c.SecretAccessKey == "" {
		return aws.AnonymousCredentials{}
	}
	creds := aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, Source: "s3space.Config"}
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return creds, nil })
}

// newHTTPClient returns a client whose connections fail fast but whose transfers may run as
// long as they need: there is no overall timeout, only one on connecting and one on waiting
// for response headers.
func newHTTPClient() *http.Client {
	dialer := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: responseHeaderTimeout,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   64,
	}}
}

// newRetryer returns the SDK's standard retryer with few attempts, short backoffs and no
// client-side retry quota: an exhausted quota would fail requests with an error that hides
// the real one.
func newRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = maxAttempts
		o.MaxBackoff = maxBackoff
		o.Backoff = retry.BackoffDelayerFunc(backoff)
		o.RateLimiter = ratelimit.None
	})
}

// backoff waits a random time of up to baseBackoff before the first retry (attempt 1),
// doubling per retry and capped at maxBackoff ("full jitter"), so that many clients retrying
// at once spread out.
func backoff(attempt int, _ error) (time.Duration, error) {
	ceiling := min(baseBackoff<<min(max(attempt-1, 0), 10), maxBackoff)
	return time.Duration(rand.Int64N(int64(ceiling) + 1)), nil
}

// streamingUpload are the options of a request whose body is the caller's reader, read once:
// the payload is not hashed for the signature (that would need a second pass), and the
// request is not retried (the body cannot be rewound).
func streamingUpload(o *s3.Options) {
	o.APIOptions = append(o.APIOptions, v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)
	o.RetryMaxAttempts = 1
}

// bufferedUpload are the options of a request whose body is a buffer in memory. It is not
// hashed either, which would cost a pass over the buffer per attempt, but it is retried.
func bufferedUpload(o *s3.Options) {
	o.APIOptions = append(o.APIOptions, v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)
}
