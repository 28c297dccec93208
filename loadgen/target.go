package loadgen

import (
	"context"
	"io"
)

// Target is an endpoint under load: a store of whole objects by key.
//
// The runner calls Setup once, then Put and Get from Concurrency goroutines at once, so Put and
// Get must be safe for concurrent use. If a Target also implements io.Closer, the runner closes
// it when the run ends, successful or not.
type Target interface {
	// Setup prepares the target for a run (creates a bucket, a directory) before any Put or Get.
	Setup(ctx context.Context) error
	// Put stores size bytes read from body under key, replacing any object of that name. It
	// returns nil only once the object is stored. It must read body to its end; the runner
	// fails a Put that returns nil having read fewer than size bytes.
	Put(ctx context.Context, key string, body io.Reader, size int64) error
	// Get writes the whole object stored under key to w. The runner counts what is written and
	// fails a Get that returns nil having written a different number of bytes than were put.
	Get(ctx context.Context, key string, w io.Writer) error
}
