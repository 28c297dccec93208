package monitoring

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jointcloud/jcs/engine"
	"github.com/jointcloud/jcs/kv"
)

// metric pairs a descriptor with how to read its value from a snapshot.
type metric[S any] struct {
	desc  *prometheus.Desc
	kind  prometheus.ValueType
	value func(*S) float64
}

func counter[S any](subsystem, name, help string, value func(*S) float64) metric[S] {
	return metric[S]{prometheus.NewDesc(prometheus.BuildFQName(namespace, subsystem, name), help, nil, nil), prometheus.CounterValue, value}
}

func gauge[S any](subsystem, name, help string, value func(*S) float64) metric[S] {
	return metric[S]{prometheus.NewDesc(prometheus.BuildFQName(namespace, subsystem, name), help, nil, nil), prometheus.GaugeValue, value}
}

var engineMetrics = []metric[engine.Metrics]{
	counter("engine", "objects_written_total", "Objects created or replaced by uploads.", func(m *engine.Metrics) float64 { return float64(m.ObjectsWritten) }),
	counter("engine", "written_bytes_total", "Object bytes written, before redundancy.", func(m *engine.Metrics) float64 { return float64(m.BytesWritten) }),
	counter("engine", "read_bytes_total", "Object bytes read.", func(m *engine.Metrics) float64 { return float64(m.BytesRead) }),
	counter("engine", "degraded_reads_total", "Reads that met a missing, unreadable or corrupt shard and reconstructed it.", func(m *engine.Metrics) float64 { return float64(m.DegradedReads) }),
	counter("engine", "reconstructed_stripes_total", "Stripes rebuilt from parity or other replicas during reads.", func(m *engine.Metrics) float64 { return float64(m.ReconstructedStripes) }),
	counter("engine", "collected_blobs_total", "Released blobs whose shards were deleted.", func(m *engine.Metrics) float64 { return float64(m.BlobsCollected) }),
	counter("engine", "collected_orphan_shards_total", "Unreferenced shard files swept.", func(m *engine.Metrics) float64 { return float64(m.OrphansCollected) }),
	counter("engine", "collected_temp_files_total", "Temporary files of interrupted writes swept.", func(m *engine.Metrics) float64 { return float64(m.TempFilesCollected) }),
	counter("engine", "compacted_bytes_total", "Storage returned to user spaces by compacting pack files.", func(m *engine.Metrics) float64 { return float64(m.CompactedBytes) }),
	counter("engine", "expired_uploads_total", "S3 multipart uploads aborted for being older than the upload expiry.", func(m *engine.Metrics) float64 { return float64(m.UploadsExpired) }),
	gauge("engine", "deferred_blobs", "Small blobs whose content waits in the index to be written to user spaces.", func(m *engine.Metrics) float64 { return float64(m.DeferredBlobs) }),
	gauge("engine", "deferred_bytes", "Bytes of content waiting in the index to be written to user spaces.", func(m *engine.Metrics) float64 { return float64(m.DeferredBytes) }),
	counter("engine", "placed_blobs_total", "Deferred blobs written to user spaces.", func(m *engine.Metrics) float64 { return float64(m.BlobsPlaced) }),
	counter("engine", "collect_errors_total", "Shard deletions that failed and will be retried.", func(m *engine.Metrics) float64 { return float64(m.CollectErrors) }),
	counter("repair", "passes_total", "Full repair passes completed.", func(m *engine.Metrics) float64 { return float64(m.Repair.Passes) }),
	counter("repair", "blobs_checked_total", "Blobs examined by repair passes.", func(m *engine.Metrics) float64 { return float64(m.Repair.BlobsChecked) }),
	counter("repair", "shards_rebuilt_total", "Shards rebuilt by repair.", func(m *engine.Metrics) float64 { return float64(m.Repair.ShardsRebuilt) }),
	counter("repair", "rebuilt_bytes_total", "Bytes of shards rebuilt by repair.", func(m *engine.Metrics) float64 { return float64(m.Repair.BytesRebuilt) }),
	counter("repair", "unrepairable_total", "Blobs found with fewer than k good shards.", func(m *engine.Metrics) float64 { return float64(m.Repair.Unrepairable) }),
	counter("repair", "failures_total", "Shard rebuilds that failed and will be retried.", func(m *engine.Metrics) float64 { return float64(m.Repair.Failures) }),
	gauge("repair", "queued_blobs", "Blobs queued for a check by reads that met a bad shard.", func(m *engine.Metrics) float64 { return float64(m.Repair.Queued) }),
	gauge("repair", "running", "Whether a full repair pass is running.", func(m *engine.Metrics) float64 { return b2f(m.Repair.Running) }),
	counter("scrub", "passes_total", "Scrub passes completed.", func(m *engine.Metrics) float64 { return float64(m.Scrub.Passes) }),
	counter("scrub", "verified_bytes_total", "Shard bytes read and verified by scrubbing.", func(m *engine.Metrics) float64 { return float64(m.Scrub.BytesVerified) }),
	counter("scrub", "corrupt_shards_total", "Shards scrubbing found corrupt.", func(m *engine.Metrics) float64 { return float64(m.Scrub.CorruptShards) }),
	counter("scrub", "missing_shards_total", "Shards scrubbing found missing.", func(m *engine.Metrics) float64 { return float64(m.Scrub.MissingShards) }),
	gauge("scrub", "progress_ratio", "How far the current or last scrub pass got, from 0 to 1.", func(m *engine.Metrics) float64 { return m.Scrub.Progress }),
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Per-space series, labelled by user space ID only (a bounded set; names never appear).
var (
	spaceHealthDesc = prometheus.NewDesc(prometheus.BuildFQName(namespace, "space", "health"),
		"A user space's health: 0 ok, 1 suspect, 2 down.", []string{"space"}, nil)
	spaceUsedDesc = prometheus.NewDesc(prometheus.BuildFQName(namespace, "space", "used_bytes"),
		"Bytes of shard files the index places on a user space.", []string{"space"}, nil)
	spaceMaxDesc = prometheus.NewDesc(prometheus.BuildFQName(namespace, "space", "max_bytes"),
		"A user space's shard store cap in bytes (0: none).", []string{"space"}, nil)
	spaceShardsDesc = prometheus.NewDesc(prometheus.BuildFQName(namespace, "space", "shards"),
		"Shard files the index places on a user space.", []string{"space"}, nil)
	spaceOpsDesc = prometheus.NewDesc(prometheus.BuildFQName(namespace, "space", "operations_total"),
		"Operations run on a user space's storage.", []string{"space"}, nil)
	spaceErrsDesc = prometheus.NewDesc(prometheus.BuildFQName(namespace, "space", "errors_total"),
		"Operations on a user space's storage that failed by the space's fault.", []string{"space"}, nil)
	spaceLatencyDesc = prometheus.NewDesc(prometheus.BuildFQName(namespace, "space", "latency_seconds"),
		"Moving average of a user space's operation latency.", []string{"space"}, nil)
)

var healthValue = map[string]float64{"ok": 0, "suspect": 1, "down": 2}

var spaceUpDesc = prometheus.NewDesc(prometheus.BuildFQName(namespace, "space", "up"),
	"Whether a user space takes new shards (1) or not (0): open, not down, draining or cooling down after a failed write.", []string{"space"}, nil)

// engineCollector reads an engine snapshot at scrape time.
type engineCollector struct{ snapshot func() engine.Metrics }

func (c *engineCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range engineMetrics {
		ch <- m.desc
	}
	ch <- spaceUpDesc
	for _, d := range []*prometheus.Desc{spaceHealthDesc, spaceUsedDesc, spaceMaxDesc, spaceShardsDesc, spaceOpsDesc, spaceErrsDesc, spaceLatencyDesc} {
		ch <- d
	}
}

func (c *engineCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.snapshot()
	for _, m := range engineMetrics {
		ch <- prometheus.MustNewConstMetric(m.desc, m.kind, m.value(&s))
	}
	for _, sp := range s.Spaces {
		up := 0.0
		if sp.Available {
			up = 1
		}
		id := strconv.FormatUint(uint64(sp.ID), 10)
		ch <- prometheus.MustNewConstMetric(spaceUpDesc, prometheus.GaugeValue, up, id)
		ch <- prometheus.MustNewConstMetric(spaceHealthDesc, prometheus.GaugeValue, healthValue[sp.Health], id)
		ch <- prometheus.MustNewConstMetric(spaceUsedDesc, prometheus.GaugeValue, float64(sp.UsedBytes), id)
		ch <- prometheus.MustNewConstMetric(spaceMaxDesc, prometheus.GaugeValue, float64(sp.MaxBytes), id)
		ch <- prometheus.MustNewConstMetric(spaceShardsDesc, prometheus.GaugeValue, float64(sp.Shards), id)
		ch <- prometheus.MustNewConstMetric(spaceOpsDesc, prometheus.CounterValue, float64(sp.Operations), id)
		ch <- prometheus.MustNewConstMetric(spaceErrsDesc, prometheus.CounterValue, float64(sp.Errors), id)
		ch <- prometheus.MustNewConstMetric(spaceLatencyDesc, prometheus.GaugeValue, sp.Latency.Seconds(), id)
	}
}

var kvMetrics = []metric[kv.Metrics]{
	gauge("kv", "disk_bytes", "Bytes the index occupies on disk.", func(m *kv.Metrics) float64 { return float64(m.DiskBytes) }),
	gauge("kv", "memtable_bytes", "Bytes in the index's memtables.", func(m *kv.Metrics) float64 { return float64(m.MemTableBytes) }),
	gauge("kv", "wal_bytes", "Bytes of the index's write-ahead log.", func(m *kv.Metrics) float64 { return float64(m.WALBytes) }),
	gauge("kv", "read_amplification", "Sorted runs a point read may consult.", func(m *kv.Metrics) float64 { return float64(m.ReadAmp) }),
	gauge("kv", "compaction_debt_bytes", "Estimated bytes compaction must rewrite to settle the LSM.", func(m *kv.Metrics) float64 { return float64(m.CompactionDebtBytes) }),
	counter("kv", "flushes_total", "Memtable flushes.", func(m *kv.Metrics) float64 { return float64(m.Flushes) }),
	counter("kv", "compactions_total", "Compactions.", func(m *kv.Metrics) float64 { return float64(m.Compactions) }),
	counter("kv", "write_stalls_total", "Times writes stalled on compaction.", func(m *kv.Metrics) float64 { return float64(m.WriteStalls) }),
	counter("kv", "commits_total", "Committed read-write transactions.", func(m *kv.Metrics) float64 { return float64(m.Commits) }),
	counter("kv", "conflicts_total", "Transaction conflicts detected (each retried).", func(m *kv.Metrics) float64 { return float64(m.Conflicts) }),
	counter("kv", "conflict_failures_total", "Transactions that gave up after too many conflicts.", func(m *kv.Metrics) float64 { return float64(m.ConflictFailures) }),
	gauge("kv", "active_transactions", "Transactions running.", func(m *kv.Metrics) float64 { return float64(m.ActiveTransactions) }),
}

// kvCollector reads a kv snapshot at scrape time.
type kvCollector struct{ snapshot func() kv.Metrics }

func (c *kvCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range kvMetrics {
		ch <- m.desc
	}
}

func (c *kvCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.snapshot()
	for _, m := range kvMetrics {
		ch <- prometheus.MustNewConstMetric(m.desc, m.kind, m.value(&s))
	}
}
