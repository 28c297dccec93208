// Package loadgen is the load generator behind `jcs bench`: the one tool every throughput figure
// we publish comes from.
//
// # What it measures
//
// A run drives one Target (an endpoint such as the /v1 API of a jcs server, or the raw-disk
// baseline) with a workload of fixed-size objects from Concurrency workers, for a Duration or a
// Count of operations, and reports:
//
//   - Ops and Bytes: operations that succeeded and the object bytes they moved;
//   - Elapsed: from the first operation's start to the last one's end, so a run that stops at
//     its deadline still counts every byte it moved and every second it took to move them;
//   - MiB/s and ops/s over Elapsed;
//   - latency p50, p90, p99 and max per operation, exact (nearest rank) from every sample;
//   - Errors: failed operations, never counted as successes, with the first few messages.
//
// A Put succeeds only if the target returns nil and consumed exactly Size bytes of the body; a
// Get succeeds only if the target returns nil and wrote exactly Size bytes, and, with
// Config.Verify, only if every byte is the one that was put. A workload of reads
// ("get", or "mixed" with a read fraction) first uploads the objects it reads (Concurrency of
// them, one per worker) in a preparation phase that is not measured.
//
// # How
//
// Bodies are pseudo-random bytes streamed from a buffer of a few MiB generated once per run, at
// an offset that differs per object, so objects are incompressible and distinct while costing the
// client no memory beyond the buffer and no CPU beyond a copy: a 1 GiB object costs no more client
// memory than a 4 KiB one. Downloads stream into a byte counter (which, with Verify, compares
// them with the same buffer) and are discarded.
//
// The client shares the machine with the server under test, so it keeps its own CPU cost low:
// the /v1 and S3 targets sign requests with SigV4 UNSIGNED-PAYLOAD (no body hashing) and send
// bodies as one stream with a known Content-Length, over keep-alive connections.
//
// While a run is going, a progress line (elapsed, ops, MiB/s so far) is rewritten once a second
// on Config.Progress.
//
// # Targets
//
//   - V1 ("v1"): the JCS /v1 API. Setup creates a bucket and a package; Put uploads one file per
//     operation; Get downloads it by path.
//   - S3 ("s3"): any S3-compatible server (jcs's S3 API, MinIO, gofakes3). Setup creates the
//     bucket if it is missing; Put is one PutObject, Get one GetObject, path-style, signed with
//     aws-sdk-go-v2's SigV4 signer on plain net/http requests, with nothing specific to jcs on
//     the wire. `jcs bench baseline-s3mem` serves the in-memory S3 baseline it is compared with.
//   - Disk ("disk"): the baseline. Put writes the object's bytes ×1.5 to six files the way 4+2
//     erasure coding lays them out, then fsyncs the files and their directory; Get reads the
//     four data files back. It is "the same bytes straight to local files", without coding,
//     hashing, HTTP or an index.
//
// New targets implement the three-method Target interface.
package loadgen
