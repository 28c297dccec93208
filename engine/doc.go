// Package engine is the storage engine of jcs: one set of buckets, packages and objects that
// every front end (the /v1 API, S3, bk-repo) serves, stored durably as erasure-coded or
// replicated shards over user spaces, with the index in kv.
//
// # Model
//
// A bucket holds packages; a package holds objects, each at a unique path. An object's bytes
// are held by blobs, in order (its segments): one blob for an upload, one per listed part for
// a completed multipart upload, none for an empty object. A blob is written once and never
// changed: k data and m parity shards (k = 1 is replication), shard i in user space
// Spaces[i] under the name shardName(blob, i), in the stripe format of package erasure. A blob
// carries a reference count: objects that were cloned share blobs, and a multipart part holds
// its blob until the upload completes.
//
// The index, in kv (key prefixes in kv/keys.go, record formats in records.go):
//
//	bucket/<id>                 Bucket          bucketName/<name>          -> bucket ID
//	package/<id>                Package         packageName/<bucket>/<name> -> package ID
//	object/<package>/<path>     Object          objectID/<id>              -> package, path
//	blob/<blob ID>              layout, refs    gc/<blob ID>               layout to delete
//	part/<object>/<index>       part of a multipart upload in progress
//	userSpace/<id>              UserSpace
//
// Objects are keyed by package and path so that listing by prefix is a range scan.
//
// # Write path
//
// An upload (UploadObjects, UploadPart) streams the body through erasure.Codec.Encode into one
// pipe per shard, each read by its space's Put; SHA-256 is computed on the way by an observer
// goroutine, so hashing, encoding and the writes of all shards overlap. Small bodies (at most
// Options.SmallObjectSize) become m+1 replicas instead: the same number of spaces may be lost,
// with fewer and smaller files. The shards are placed on n distinct writable spaces by
// rendezvous hashing (placement.go), the upload's affinity space first.
//
// Only when every shard's Put has returned, that is when every shard is durable, does one kv
// transaction publish the objects: object records, blob records, and the release of any
// content they replace. A crash before that commit leaves shards no record refers to, which
// the orphan sweep collects; a crash after it leaves the complete new object. No reader can
// ever see a mix of old and new content.
//
// # Read path
//
// OpenObject resolves the object and pins its blobs so the collector keeps their shards until
// the reader is closed. Reads fetch only the data blocks that hold the requested range, a
// stripe or two ahead of the writer, and verify each block's checksum. A missing, unreadable
// or corrupt block is rebuilt from any k good blocks of its stripe; the read still returns the
// right bytes and counts as degraded (Metrics). Shards are opened lazily, so a healthy read
// never opens parity shards.
//
// # Collection
//
// The transaction that drops a blob's last reference moves its layout to the gc queue in the
// same batch; the collector (gc.go) syncs the index, deletes the shards of queued blobs that
// nothing pins, then the queue records. A periodic sweep deletes shard files and temporary
// files that no record accounts for: the leftovers of crashes.
//
// # Invariants
//
//   - A blob's reference count equals the number of object segments and part records that name
//     it; the transaction that changes references changes the count.
//   - Shards are durable before any record names them; shards are deleted only after the
//     record that released them is durable, and never while a reader pins them or a writer has
//     staged them.
//   - An object record and its ID index entry are written and deleted together.
//   - Every exported method returns errors of type *Error with a Kind, and is safe for
//     concurrent use. kv transactions may be rerun on conflict, so transaction functions have no
//     side effects outside the transaction.
package engine
