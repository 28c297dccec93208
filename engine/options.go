package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jointcloud/jcs/engine/space"
	"github.com/jointcloud/jcs/erasure"
	"github.com/jointcloud/jcs/kv"
)

// Defaults applied by Options.EnsureDefaults. The chunk size and the small-object threshold
// were chosen by measurement; see docs/PERFORMANCE.md.
const (
	DefaultDataShards      = 4
	DefaultParityShards    = 2
	DefaultChunkSize       = 1 << 20
	DefaultSmallObjectSize = 256 << 10
	DefaultGCInterval      = time.Minute
	DefaultOrphanGrace     = time.Hour
	DefaultEncodeDepth     = 4
	DefaultDecodeDepth     = 2
	DefaultProbeInterval   = 10 * time.Second
	DefaultRepairAfter     = 15 * time.Minute
	DefaultRepairInterval  = time.Hour
	DefaultScrubInterval   = 24 * time.Hour
	DefaultScrubRate       = 32 << 20
	DefaultUploadExpiry    = 7 * 24 * time.Hour
	DefaultDeferMax        = 32 << 10
	DefaultDeferLimit      = 64 << 20
)

// SpaceOpener opens the storage behind a user space. It is injected by the caller so that the
// engine imports no storage SDK: cmd wires local directories and S3-compatible buckets.
type SpaceOpener func(ctx context.Context, us UserSpace) (space.Space, error)

// Options configures an Engine. The zero value of every field but Store and OpenSpace means
// "the default"; call EnsureDefaults then Validate, or let New do it.
type Options struct {
	// Store is the index. Required. The engine does not close it.
	Store *kv.Store
	// OpenSpace opens a user space's storage. Required.
	OpenSpace SpaceOpener
	// OpenFiles opens the plain-file view of a user space, for imports and exports; nil
	// means this engine cannot do either.
	OpenFiles FilesOpener

	// DataShards (k) and ParityShards (m) are the erasure coding of new objects larger than
	// SmallObjectSize: up to m of the k+m spaces an object is spread over may be lost.
	DataShards, ParityShards int
	// ChunkSize is the block size of erasure-coded stripes, in bytes.
	ChunkSize int
	// SmallObjectSize is the size up to which new objects are stored as ParityShards+1
	// replicas instead of erasure-coded: the same fault tolerance, fewer files. 0 means the
	// default; a negative value turns replication off.
	SmallObjectSize int64
	// DeferMax is the size up to which a new small object's content is committed with its
	// record, in the index, and written to the user spaces by the placer shortly after (see
	// deferred.go): one index fsync per upload instead of one per replica plus the index's.
	// 0 means the default; a negative value writes every object to the spaces before its
	// commit. Only replicated objects (up to SmallObjectSize) are ever deferred.
	DeferMax int64
	// DeferLimit bounds the content waiting in the index for the placer, in bytes; uploads
	// past it go to the spaces directly. 0 means the default.
	DeferLimit int64

	// Logger receives the engine's logs; nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	// GCInterval is how often garbage collection runs without being prompted.
	GCInterval time.Duration
	// OrphanGrace is how old an unreferenced shard or temporary file must be before a periodic
	// sweep collects it. The sweep at startup collects anything older than the start.
	OrphanGrace time.Duration
	// SealKey is the 32-byte key that seals secrets (access keys' secret keys) in the index,
	// so that a copy of the index alone does not reveal them. Keep it outside the index. nil
	// means a random key for this process only: sealed secrets do not survive a restart.
	SealKey []byte

	// EncodeDepth and DecodeDepth are how many stripes an upload or a download keeps in
	// flight; memory per transfer is about depth * n * ChunkSize.
	EncodeDepth, DecodeDepth int

	// ProbeInterval is how often every user space is probed (a small blob written, read back
	// and deleted) and a space that is down reopened.
	ProbeInterval time.Duration
	// RepairAfter is how long a space must stay down before repair rebuilds the shards it
	// holds on other spaces. Missing and corrupt shards on working spaces are rebuilt at once,
	// as are the shards of draining or deleted spaces.
	RepairAfter time.Duration
	// RepairInterval is how often a full repair pass runs unprompted; passes also run when a
	// space comes back, when one starts draining, and on demand.
	RepairInterval time.Duration
	// ScrubInterval is the pause between background scrub passes, which read every shard and
	// verify its checksums; negative turns background scrubbing off. ScrubRate bounds the
	// bytes per second a background pass reads.
	ScrubInterval time.Duration
	ScrubRate     int64
	// UploadExpiry is how long an S3 multipart upload may stay open: the collector aborts
	// older ones, releasing their parts, as S3's AbortIncompleteMultipartUpload lifecycle
	// rule and MinIO's stale upload expiry do. Negative keeps uploads forever.
	UploadExpiry time.Duration
}

// EnsureDefaults fills zero fields with their defaults and returns o.
func (o *Options) EnsureDefaults() *Options {
	if o.DataShards == 0 {
		o.DataShards = DefaultDataShards
	}
	if o.ParityShards == 0 {
		o.ParityShards = DefaultParityShards
	}
	if o.ChunkSize == 0 {
		o.ChunkSize = DefaultChunkSize
	}
	if o.SmallObjectSize == 0 {
		o.SmallObjectSize = DefaultSmallObjectSize
	}
	if o.DeferMax == 0 {
		o.DeferMax = min(DefaultDeferMax, o.SmallObjectSize)
	}
	if o.DeferLimit == 0 {
		o.DeferLimit = DefaultDeferLimit
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.GCInterval == 0 {
		o.GCInterval = DefaultGCInterval
	}
	if o.OrphanGrace == 0 {
		o.OrphanGrace = DefaultOrphanGrace
	}
	if o.EncodeDepth == 0 {
		o.EncodeDepth = DefaultEncodeDepth
	}
	if o.DecodeDepth == 0 {
		o.DecodeDepth = DefaultDecodeDepth
	}
	if o.ProbeInterval == 0 {
		o.ProbeInterval = DefaultProbeInterval
	}
	if o.RepairAfter == 0 {
		o.RepairAfter = DefaultRepairAfter
	}
	if o.RepairInterval == 0 {
		o.RepairInterval = DefaultRepairInterval
	}
	if o.ScrubInterval == 0 {
		o.ScrubInterval = DefaultScrubInterval
	}
	if o.ScrubRate == 0 {
		o.ScrubRate = DefaultScrubRate
	}
	if o.UploadExpiry == 0 {
		o.UploadExpiry = DefaultUploadExpiry
	}
	return o
}

// Validate reports the first option that cannot work.
func (o *Options) Validate() error {
	switch {
	case o.Store == nil:
		return errors.New("engine: Options.Store is required")
	case o.OpenSpace == nil:
		return errors.New("engine: Options.OpenSpace is required")
	case o.DataShards < 1 || o.ParityShards < 0 || o.DataShards+o.ParityShards > erasure.MaxShards:
		return fmt.Errorf("engine: invalid erasure coding %d+%d", o.DataShards, o.ParityShards)
	case o.ChunkSize < 4<<10 || o.ChunkSize > erasure.MaxChunkSize:
		return fmt.Errorf("engine: chunk size %d outside [4 KiB, 64 MiB]", o.ChunkSize)
	case o.SmallObjectSize > int64(o.ChunkSize):
		return fmt.Errorf("engine: small object size %d exceeds the chunk size %d", o.SmallObjectSize, o.ChunkSize)
	case o.DeferLimit < 0:
		return errors.New("engine: negative defer limit")
	case o.SealKey != nil && len(o.SealKey) != 32:
		return fmt.Errorf("engine: seal key of %d bytes, want 32", len(o.SealKey))
	case o.GCInterval < 0 || o.OrphanGrace < 0 || o.EncodeDepth < 1 || o.DecodeDepth < 1 ||
		o.ProbeInterval < 0 || o.RepairAfter < 0 || o.RepairInterval < 0 || o.ScrubRate < 0:
		return errors.New("engine: negative interval, depth or rate")
	}
	return nil
}
