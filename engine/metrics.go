package engine

import (
	"sync/atomic"
	"time"
)

// counters are the engine's running totals; Metrics snapshots them.
type counters struct {
	objectsWritten       atomic.Int64
	bytesWritten         atomic.Int64
	bytesRead            atomic.Int64
	degradedReads        atomic.Int64
	reconstructedStripes atomic.Int64
	blobsCollected       atomic.Int64
	orphansCollected     atomic.Int64
	tempsCollected       atomic.Int64
	collectErrors        atomic.Int64
	compactedBytes       atomic.Int64
	uploadsExpired       atomic.Int64
}

// Metrics is a point-in-time snapshot of the engine's counters, a plain struct that the
// monitoring package adapts (as pebble's Metrics is). Counters only grow.
type Metrics struct {
	ObjectsWritten int64 // objects created or replaced by uploads
	BytesWritten   int64 // object bytes written to blobs (before redundancy)
	BytesRead      int64 // object bytes returned by readers
	// DegradedReads counts blob reads that met a missing, unreadable or corrupt shard, and
	// ReconstructedStripes the stripes rebuilt from parity or other replicas on the way.
	DegradedReads        int64
	ReconstructedStripes int64
	BlobsCollected       int64 // released blobs whose shards were deleted
	OrphansCollected     int64 // unreferenced shard files swept
	TempFilesCollected   int64 // temporary files of crashed writes swept
	CollectErrors        int64 // shard deletions that failed and will be retried
	CompactedBytes       int64 // storage returned by compacting spaces' pack files
	UploadsExpired       int64 // S3 multipart uploads aborted for being older than UploadExpiry
	// DeferredBlobs and DeferredBytes are the small blobs whose content waits in the index
	// for the placer, and their bytes (gauges); BlobsPlaced counts those it placed.
	DeferredBlobs, DeferredBytes int64
	BlobsPlaced                  int64
	Spaces                       []SpaceStatus
	Repair                       RepairStatus
	Scrub                        ScrubStatus
}

// SpaceStatus is the state of one user space.
type SpaceStatus struct {
	ID   SpaceID
	Name string
	Type string
	// Available reports that the space takes new shards now: its storage is open, it is not
	// down, draining or cooling down after a failed write.
	Available bool
	// Health is "ok", "suspect" or "down"; LastError is the last failure seen, if any.
	Health    string
	LastError string
	Draining  bool
	// UsedBytes and Shards count the shard files the index places here; MaxBytes is the cap
	// (0: none).
	UsedBytes, MaxBytes, Shards int64
	// Operations and Errors count the operations run on the space and those that failed.
	Operations, Errors int64
	// Latency is a moving average of operation latency.
	Latency time.Duration
}

// Metrics returns a snapshot of the engine's counters and user spaces.
func (e *Engine) Metrics() Metrics {
	m := Metrics{
		ObjectsWritten:       e.stats.objectsWritten.Load(),
		BytesWritten:         e.stats.bytesWritten.Load(),
		BytesRead:            e.stats.bytesRead.Load(),
		DegradedReads:        e.stats.degradedReads.Load(),
		ReconstructedStripes: e.stats.reconstructedStripes.Load(),
		BlobsCollected:       e.stats.blobsCollected.Load(),
		OrphansCollected:     e.stats.orphansCollected.Load(),
		TempFilesCollected:   e.stats.tempsCollected.Load(),
		CollectErrors:        e.stats.collectErrors.Load(),
		CompactedBytes:       e.stats.compactedBytes.Load(),
		UploadsExpired:       e.stats.uploadsExpired.Load(),
		DeferredBlobs:        e.deferred.blobs.Load(),
		DeferredBytes:        e.deferred.pending.Load(),
		BlobsPlaced:          e.deferred.placed.Load(),
		Repair:               e.repairStatus(),
		Scrub:                e.scrubStatus(),
	}
	for _, v := range e.spaces.views(e.now()) {
		m.Spaces = append(m.Spaces, v.status)
	}
	return m
}
