// Package e2e holds the end-to-end tests of jcs (STYLE.md §2.5, level 6): TestMain builds the
// real binary once, and each test runs it with `jcs serve` on loopback over a fresh data
// directory and drives the /v1 API with SigV4-signed requests, from aws-sdk-go-v2's signer and
// from the real curl binary, and the S3 API with the real aws cli and boto3 (a script in
// testdata), over HTTP and over HTTPS with a self-signed certificate, as users do.
//
// The tests treat the server as a black box: they know only the runtime contract of
// DESIGN.md §7 (flags, environment, data layout, /healthz, /metrics) and the /v1 contract of
// the seed document. They stop the server with SIGTERM and expect a clean exit, kill it with
// SIGKILL to test crash safety, and delete user space directories behind its back. Its log
// tells them what answers cannot: that a stop was clean, and how a client split its requests.
//
// The package has no code outside its tests.
package e2e
