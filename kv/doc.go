// Package kv is the engine's index: an ordered, transactional key-value store
// backed by Pebble, holding buckets, packages, objects, blob layouts, user
// spaces, the GC queue, multipart parts and sequences without knowing what
// they mean. No Pebble type crosses its API, so a distributed KV (etcd first)
// can implement the same semantics later.
//
// # Model
//
// A Store is opened with Open (OpenInMemory in tests) and used through:
//
//   - View: a function reads through a Reader over a Pebble snapshot, a
//     consistent read-only state. It never conflicts or blocks writers.
//   - Update: a function reads and writes through a Tx, which sees its own
//     writes and buffers them in a Pebble indexed batch, committed atomically
//     when the function returns nil.
//
// Keys start with a one-byte Prefix from the registry in keys.go; KeyBuilder
// and KeyReader handle the components after it. Values are records written
// with Encoder and read with Decoder, each starting with a version byte.
//
// # Transactions and conflicts
//
// Update uses optimistic concurrency control. Transaction functions run
// concurrently against the live store beneath their own batch, recording a
// start number, every key they Get (found or not) and the whole [lower,
// upper) of every Iter. Commit is serial under a store-wide mutex: it checks
// the write sets of transactions that committed after its start, kept in a
// short log (conflicts.go), against its reads. If one wrote a key it read or
// into a range it iterated, the batch is discarded and the function rerun
// after a jittered backoff, up to Options.MaxRetries times, then Update
// returns ErrConflict. Otherwise the batch is applied and its write set
// logged. Invariants:
//
//   - A write set is logged before its batch becomes visible, and a start
//     counts only commits already visible, so any value a transaction read
//     that differs from its start state was written by a commit it checks.
//   - Validation and apply share one mutex: commits are totally ordered and
//     each is validated against every earlier one (serializability).
//   - A transaction that read nothing (blind writes) never conflicts. One
//     that wrote nothing, or whose function failed, commits nothing but is
//     still validated, so a result computed from a mix of states is rerun,
//     never returned.
//   - The log keeps only write sets newer than the oldest running start; a
//     long-running Update pins it while it runs.
//
// A function may run several times, so it must have no effects outside its
// transaction and must reset what it captures at its start.
//
// # Durability
//
// A commit is applied with Pebble's ApplyNoSyncWait under the commit mutex,
// and its WAL fsync awaited after the mutex is released, so concurrent
// commits share fsyncs while their order stays serial. Update returns nil
// only once its WAL record is fsynced. As with Pebble's Apply, a commit is
// visible slightly before it is durable; Sync waits until every visible
// commit is durable.
//
// # Schema
//
// meta/schema records the schema version. Open writes SchemaVersion into an
// empty store, migrates an older one (one Update per version, schema.go) and
// refuses a newer one.
//
// # Key registry
//
// Integers in keys are fixed-width big-endian, so numeric order is byte
// order; strings are raw and always last, so a string prefix is a key prefix.
// IDs are never reused; all were introduced in schema v1.
//
//	ID    prefix       key                                  value
//	0x01  meta         meta/<name>                          store metadata (schema version)
//	0x02  sequence     sequence/<name>                      Sequence counter
//	0x10  bucket       bucket/<bucketID u64>                bucket record
//	0x11  bucketName   bucketName/<name>                    bucketID
//	0x20  package      package/<packageID u64>              package record
//	0x21  packageName  packageName/<bucketID u64>/<name>    packageID
//	0x30  object       object/<packageID u64>/<path>        object record
//	0x31  objectID     objectID/<objectID u64>              packageID + path
//	0x40  blob         blob/<blobID 16 bytes>               blob layout + reference count
//	0x41  gc           gc/<blobID 16 bytes>                 layout of a blob to delete
//	0x50  part         part/<objectID u64>/<index u32>      multipart part record
//	0x60  userSpace    userSpace/<spaceID u64>              user space record
//
// testdata/keys shows the byte layout of each kind.
package kv
