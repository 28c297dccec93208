package kv

// Metrics is a point-in-time snapshot of the store's health, a plain struct
// that monitoring adapts to Prometheus. Counters (marked "since Open") only
// grow; the other fields are gauges. Sizes are in bytes.
type Metrics struct {
	// DiskBytes is the size of all the store's files (tables, WAL, manifest,
	// obsolete files not yet deleted); TableBytes and TableCount cover the
	// live sstables.
	DiskBytes  uint64
	TableBytes uint64
	TableCount int64
	// MemTable and WAL sizes, including memtables waiting to be flushed.
	MemTableBytes uint64
	MemTableCount int64
	WALBytes      uint64
	WALFiles      int64
	// ReadAmp is Pebble's worst-case read amplification (sublevels a read
	// may consult); growing steadily, it means compactions fall behind, as
	// does a growing CompactionDebtBytes.
	ReadAmp             int
	CompactionDebtBytes uint64
	// Flushes, Compactions and WriteStalls count events since Open.
	Flushes     int64
	Compactions int64
	WriteStalls int64
	// Block cache occupancy, and lookups since Open.
	BlockCacheBytes  int64
	BlockCacheHits   int64
	BlockCacheMisses int64

	// Commits counts Updates that committed writes, ReadOnlyUpdates those
	// that wrote nothing. Conflicts counts failed validations, each followed
	// by a rerun (Retries) or by ErrConflict (ConflictFailures).
	Commits          int64
	ReadOnlyUpdates  int64
	Conflicts        int64
	Retries          int64
	ConflictFailures int64
	// ActiveTransactions is the number of Update runs in progress, and
	// ConflictLogEntries the number of write sets kept to validate them.
	ActiveTransactions int
	ConflictLogEntries int
}

// Metrics returns a snapshot of the store's metrics. After Close only the
// transaction counters are filled in. It is safe for concurrent use.
func (s *Store) Metrics() Metrics {
	var m Metrics
	m.Commits = s.stats.commits.Load()
	m.ReadOnlyUpdates = s.stats.readOnly.Load()
	m.Conflicts = s.stats.conflicts.Load()
	m.Retries = s.stats.retries.Load()
	m.ConflictFailures = s.stats.conflictFailures.Load()
	m.WriteStalls = s.stats.writeStalls.Load()
	m.ActiveTransactions, m.ConflictLogEntries = s.log.size()
	if err := s.acquire(); err != nil {
		return m
	}
	defer s.release()

	pm := s.db.Metrics()
	total := pm.Total()
	m.DiskBytes = pm.DiskSpaceUsage()
	m.TableBytes = uint64(total.TablesSize)
	m.TableCount = total.TablesCount
	m.MemTableBytes = pm.MemTable.Size
	m.MemTableCount = pm.MemTable.Count
	m.WALBytes = pm.WAL.Size
	m.WALFiles = pm.WAL.Files
	m.ReadAmp = pm.ReadAmp()
	m.CompactionDebtBytes = pm.Compact.EstimatedDebt
	m.Flushes = pm.Flush.Count
	m.Compactions = pm.Compact.Count
	m.BlockCacheBytes = pm.BlockCache.Size
	m.BlockCacheHits = pm.BlockCache.Hits
	m.BlockCacheMisses = pm.BlockCache.Misses
	return m
}
