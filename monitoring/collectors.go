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
	counter("engine", "collect_errors_total", "Shard deletions that failed and will be retried.", func(m *engine.Metrics) float64 { return float64(m.CollectErrors) }),
}

var spaceUpDesc = prometheus.NewDesc(prometheus.BuildFQName(namespace, "space", "up"),
	"Whether a user space's storage is open (1) or unavailable (0), by user space ID.", []string{"space"}, nil)

// engineCollector reads an engine snapshot at scrape time.
type engineCollector struct{ snapshot func() engine.Metrics }

func (c *engineCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range engineMetrics {
		ch <- m.desc
	}
	ch <- spaceUpDesc
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
		ch <- prometheus.MustNewConstMetric(spaceUpDesc, prometheus.GaugeValue, up, strconv.FormatUint(uint64(sp.ID), 10))
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
