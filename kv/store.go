package kv

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// Defaults applied by Open to zero Options fields.
const (
	// DefaultCacheSize is the block cache size used when Options.CacheSize is 0.
	DefaultCacheSize = 64 << 20
	// DefaultMaxRetries is the number of reruns Update allows when
	// Options.MaxRetries is 0.
	DefaultMaxRetries = 16
)

// Options configures Open. A nil *Options and the zero value both mean "all
// defaults".
type Options struct {
	// FS is the file system Pebble stores its files in; nil means the OS file
	// system. Tests pass vfs.NewMem().
	FS vfs.FS
	// Logger receives kv's and Pebble's logs; nil means slog.Default().
	// Pebble's routine chatter goes to Debug.
	Logger *slog.Logger
	// CacheSize is the block cache size in bytes; 0 means DefaultCacheSize.
	CacheSize int64
	// MaxRetries is how many times Update reruns its function after a
	// conflict before returning ErrConflict; 0 means DefaultMaxRetries.
	MaxRetries int
}

// withDefaults returns a copy of o with zero fields defaulted.
func (o *Options) withDefaults() (Options, error) {
	var r Options
	if o != nil {
		r = *o
	}
	if r.CacheSize < 0 || r.MaxRetries < 0 {
		return r, fmt.Errorf("kv: negative option: CacheSize %d, MaxRetries %d", r.CacheSize, r.MaxRetries)
	}
	if r.FS == nil {
		r.FS = vfs.Default
	}
	if r.Logger == nil {
		r.Logger = slog.Default()
	}
	if r.CacheSize == 0 {
		r.CacheSize = DefaultCacheSize
	}
	if r.MaxRetries == 0 {
		r.MaxRetries = DefaultMaxRetries
	}
	return r, nil
}

// Store is a transactional, ordered key-value store backed by Pebble (model
// in the package documentation). Its methods are safe for concurrent use.
type Store struct {
	db   *pebble.DB
	opts Options

	// commitMu serialises validate-and-apply; it is never held while a
	// transaction function runs or an fsync is awaited.
	commitMu sync.Mutex
	log      conflictLog

	// closeMu guards closed; inflight counts running operations so that Close
	// can wait for them before closing Pebble.
	closeMu  sync.RWMutex
	closed   bool
	inflight sync.WaitGroup

	seqMu sync.Mutex
	seqs  map[string]*Sequence

	// failed holds the WAL sync error that stopped the store taking writes.
	failed atomic.Pointer[error]

	stats counters
}

// Open opens the store in dir, creating it if it does not exist, and checks
// its schema version: an empty store is initialised to SchemaVersion, an
// older one is migrated, and a newer one is refused with an error naming both
// versions. Only one Store may have dir open at a time; a second Open fails
// (Pebble holds a lock file). The caller must Close the Store.
func Open(dir string, o *Options) (*Store, error) {
	opts, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	cache := pebble.NewCache(opts.CacheSize)
	// Pebble takes its own reference; ours goes, so the DB frees the cache.
	defer cache.Unref()

	s := &Store{opts: opts, seqs: make(map[string]*Sequence)}
	logger := pebbleLogger{l: opts.Logger.With("component", "pebble")}
	po := &pebble.Options{
		FS:                 opts.FS,
		Cache:              cache,
		Logger:             logger,
		EventListener:      eventListener(logger, &s.stats.writeStalls),
		FormatMajorVersion: pebble.FormatNewest,
	}
	db, err := pebble.Open(dir, po)
	if err != nil {
		return nil, fmt.Errorf("kv: open %s: %w", dir, err)
	}
	s.db = db
	if err := s.checkSchema(context.Background()); err != nil {
		return nil, errors.Join(err, db.Close())
	}
	return s, nil
}

// OpenInMemory opens an empty store on a private in-memory file system, for
// tests of the packages above kv.
func OpenInMemory() (*Store, error) {
	return Open("mem", &Options{FS: vfs.NewMem()})
}

// Close waits for running View, Update and Sequence.Next calls to return,
// then closes the store. Later calls, including a second Close, return
// ErrClosed. Calling Close from inside a View or Update function deadlocks.
// IDs leased by Sequences but not handed out are skipped, never reused.
func (s *Store) Close() error {
	s.closeMu.Lock()
	if s.closed {
		s.closeMu.Unlock()
		return ErrClosed
	}
	s.closed = true
	s.closeMu.Unlock()
	s.inflight.Wait()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("kv: close: %w", err)
	}
	return nil
}

// acquire registers a running operation, or returns ErrClosed.
func (s *Store) acquire() error {
	s.closeMu.RLock()
	defer s.closeMu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	s.inflight.Add(1)
	return nil
}

// release ends an operation registered by acquire.
func (s *Store) release() { s.inflight.Done() }

// View runs fn against a consistent, read-only snapshot of the store: fn sees
// every Update that returned before View was called and nothing committed
// after. The Reader is valid only until fn returns and must not be shared
// with other goroutines. View returns fn's error unchanged, ctx.Err() if ctx
// is done before fn runs, or ErrClosed.
func (s *Store) View(ctx context.Context, fn func(r Reader) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.release()
	snap := s.db.NewSnapshot()
	r := &snapshotReader{snap: snap}
	defer r.finish()
	return fn(r)
}

// Sync returns once every Update that has returned, or whose writes are
// visible to readers, is durable: for callers that act outside the store on
// what they read (Update itself already waits for its fsync).
func (s *Store) Sync() error {
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.release()
	// An empty WAL record written with Sync is ordered after every published
	// batch, and fsyncing it fsyncs everything before it.
	if err := s.db.LogData(nil, pebble.Sync); err != nil {
		return fmt.Errorf("kv: sync: %w", err)
	}
	return nil
}

// counters are the transaction statistics reported by Metrics.
type counters struct {
	commits          atomic.Int64
	readOnly         atomic.Int64
	conflicts        atomic.Int64
	retries          atomic.Int64
	conflictFailures atomic.Int64
	writeStalls      atomic.Int64
}
