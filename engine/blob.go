package engine

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/jointcloud/jcs/engine/space"
	"github.com/jointcloud/jcs/erasure"
)

// blobLayout is the index record of a blob: how its bytes were coded and which user space
// holds each shard. Shard i of blob b is stored under shardName(b, i) in Spaces[i].
type blobLayout struct {
	ID         BlobID
	K, N       int // data shards and total shards; K == 1 is replication
	Chunk      int
	Size       int64
	Spaces     []SpaceID
	Refs       uint64 // objects and parts that refer to the blob
	CreateTime time.Time
	// Hashed says the blob is indexed by its content, whose SHA-256 is Hash: later uploads
	// of the same bytes with the same coding reference it instead of storing them again.
	Hashed bool
	Hash   [32]byte
	// Deferred says the blob's content is in the index (blobData/<ID>), committed with the
	// blob, and its shards are not written yet: Spaces is where the placer means to put them.
	// See deferred.go.
	Deferred bool
}

// redundancy reports the blob's coding the way the /v1 API spells it.
func (b *blobLayout) redundancy() Redundancy {
	switch {
	case b.K == 1 && b.N == 1:
		return Redundancy{Type: RedundancyNone}
	case b.K == 1:
		return Redundancy{Type: RedundancyRep, RepCount: b.N}
	}
	return Redundancy{Type: RedundancyEC, K: b.K, N: b.N, ChunkSize: b.Chunk}
}

// shardPrefix is where every shard file lives within a space.
const shardPrefix = "blobs/"

// shardName is the name of shard i of a blob within its space: fanned out over 256
// directories by the first byte of the (random) blob ID.
func shardName(id BlobID, i int) string {
	h := id.String()
	return shardPrefix + h[:2] + "/" + h + "." + strconv.Itoa(i)
}

// parseShardName is the inverse of shardName.
func parseShardName(name string) (id BlobID, index int, ok bool) {
	const hexLen = 2 * len(BlobID{})
	rest, found := cutPrefix(name, shardPrefix)
	if !found || len(rest) < 3+hexLen+2 || rest[2] != '/' || rest[3+hexLen] != '.' {
		return BlobID{}, 0, false
	}
	// fmt.Sscanf cannot scan %x into an array, so decode the hex directly.
	if _, err := hex.Decode(id[:], []byte(rest[3:3+hexLen])); err != nil {
		return BlobID{}, 0, false
	}
	index, err := strconv.Atoi(rest[4+hexLen:])
	// Only the canonical spelling is a shard name: right fan-out directory, lower-case hex,
	// a plain decimal index.
	if err != nil || index < 0 || index >= 256 || shardName(id, index) != name {
		return BlobID{}, 0, false
	}
	return id, index, true
}

func cutPrefix(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || s[:len(prefix)] != prefix {
		return s, false
	}
	return s[len(prefix):], true
}

// blobTracker knows which blobs are being written (staged, not yet in the index) and which are
// being read (pinned). The collector leaves both alone.
type blobTracker struct {
	mu     sync.Mutex
	staged map[BlobID]int
	pinned map[BlobID]int
}

func (t *blobTracker) add(m *map[BlobID]int, ids []BlobID) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if *m == nil {
		*m = make(map[BlobID]int)
	}
	for _, id := range ids {
		(*m)[id]++
	}
}

func (t *blobTracker) remove(m map[BlobID]int, ids []BlobID) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, id := range ids {
		if m[id]--; m[id] <= 0 {
			delete(m, id)
		}
	}
}

func (t *blobTracker) stage(ids ...BlobID)   { t.add(&t.staged, ids) }
func (t *blobTracker) unstage(ids ...BlobID) { t.remove(t.staged, ids) }
func (t *blobTracker) pin(ids ...BlobID)     { t.add(&t.pinned, ids) }
func (t *blobTracker) unpin(ids ...BlobID)   { t.remove(t.pinned, ids) }

// busy reports whether a blob is being written or read.
func (t *blobTracker) busy(id BlobID) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.staged[id] > 0 || t.pinned[id] > 0
}

// writeSpec says how to write a new blob.
type writeSpec struct {
	k, m, chunk int
	affinity    SpaceID
	size        int64       // exact size if known, else -1
	observers   []io.Writer // see every byte, e.g. hashes
	// only, when set, names the shards to write; the others are encoded and dropped. Repair
	// uses it to rebuild some shards of an existing blob.
	only []bool
	// data, when set, is the whole content, already in memory (size bytes): replicas (k = 1)
	// are then built from it directly rather than streamed through the encoder.
	data []byte
}

func (w *writeSpec) writes(i int) bool { return w.only == nil || w.only[i] }

// sourceReader remembers the error its reader returned, so that a failed upload can tell the
// client's fault (a broken body) from the storage's.
type sourceReader struct {
	r   io.Reader
	err error
}

func (s *sourceReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}

// writeBlob streams src into a new blob: placed on n distinct writable spaces, encoded, each
// shard written by its space's Put in parallel. It returns once every shard is durable. The
// blob is staged: the caller must commit a record that refers to it and then unstage it, or
// call discardBlob. On error nothing is left staged, and shards already written are deleted.
func (e *Engine) writeBlob(ctx context.Context, src io.Reader, w writeSpec) (blobLayout, error) {
	codec, err := e.codec(w.k, w.m, w.chunk)
	if err != nil {
		return blobLayout{}, err
	}
	b := blobLayout{K: w.k, N: w.k + w.m, Chunk: w.chunk, Refs: 1, CreateTime: e.now()}
	if _, err := rand.Read(b.ID[:]); err != nil {
		return blobLayout{}, err
	}
	need := int64(codec.ChunkSize() + 64) // room for at least a block when the size is unknown
	if w.size >= 0 {
		need = codec.ShardFileSize(w.size)
	}
	b.Spaces, err = place(b.ID, e.spaces.writable(e.now(), need), b.N, w.affinity)
	if err != nil {
		return blobLayout{}, &Error{Kind: KindUnavailable, Err: err}
	}
	if err := e.writeShards(ctx, codec, &b, src, w); err != nil {
		return blobLayout{}, err
	}
	e.stats.bytesWritten.Add(b.Size)
	return b, nil
}

// writeShards stages b and writes its shards, where b.Spaces says, from src; it sets b.Size.
// On error nothing is left staged, and shards already written are deleted.
func (e *Engine) writeShards(ctx context.Context, codec *erasure.Codec, b *blobLayout, src io.Reader, w writeSpec) error {
	e.blobs.stage(b.ID)
	size, err := e.putShards(ctx, codec, b, &sourceReader{r: src}, w)
	if err != nil {
		e.deleteShards(context.WithoutCancel(ctx), *b, false)
		e.blobs.unstage(b.ID)
		return err
	}
	b.Size = size
	return nil
}

// putShards writes the shards of b: encoded from src and streamed to one Put per shard, or,
// for replicas of content already in memory (w.data), built from it.
func (e *Engine) putShards(parent context.Context, codec *erasure.Codec, b *blobLayout, src *sourceReader, w writeSpec) (_ int64, err error) {
	// Every reservation ends on return: the shards of a blob written whole count toward
	// their spaces' usage from now on (deleting them later subtracts), and those of a failed
	// write, deleted at once, free their room.
	var caps []*capWriter
	defer func() {
		for _, c := range caps {
			e.spaces.settle(c.id, c.reserved, err == nil)
		}
	}()
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	shardSize := int64(-1)
	if w.size >= 0 {
		shardSize = codec.ShardFileSize(w.size)
	}
	// Resolve every space before starting any Put, so that no Put is left waiting on a pipe
	// that will never be fed.
	sps := make([]space.Space, b.N)
	for i, id := range b.Spaces {
		if !w.writes(i) {
			continue
		}
		sp, err := e.spaces.get(id)
		if err != nil {
			return 0, &Error{Kind: KindUnavailable, Err: err}
		}
		sps[i] = sp
	}
	putErrs := make([]error, b.N)
	var res erasure.EncodeResult
	if w.data != nil && codec.DataShards() == 1 {
		res, err = e.putReplicas(ctx, codec, b, w, sps, putErrs, &caps)
	} else {
		res, err = e.streamShards(ctx, cancel, codec, b, src, w, sps, shardSize, putErrs, &caps)
	}
	// A body whose length differs from the announced size is the client's fault. Check it
	// before the Puts' errors: the spaces enforce the shard sizes derived from w.size, so
	// such a body also fails every Put (or, when longer, the encode) with a size mismatch.
	switch {
	case src.err != nil:
		return 0, wrapSource(src.err)
	case w.size >= 0 && res.Size > w.size:
		return 0, &Error{Kind: KindInvalid, Err: fmt.Errorf("content is longer than the announced %d bytes", w.size)}
	case w.size >= 0 && err == nil && res.Size != w.size:
		return 0, &Error{Kind: KindInvalid, Err: fmt.Errorf("content is %d bytes, expected %d", res.Size, w.size)}
	case err == nil && errors.Join(putErrs...) == nil:
		return res.Size, nil
	case parent.Err() != nil:
		return 0, context.Cause(parent) // the caller gave up
	case errors.Is(err, errSpaceFull):
		return 0, &Error{Kind: KindUnavailable, Err: err}
	}
	cause := errors.Join(err, errors.Join(putErrs...))
	failed := e.blameSpaces(b, putErrs, err)
	e.log.Warn("writing shards failed", "blob", b.ID, "spaces", failed, "err", cause)
	msg := "writing shards failed"
	if len(failed) > 0 {
		msg = fmt.Sprintf("writing shards failed on user space(s) %v, which take no new shards for %v", failed, writeFailureCooldown)
	}
	return 0, &Error{Kind: KindUnavailable, Err: &withCause{msg: msg, err: cause}}
}

// streamShards encodes src into the shards of b, one Put per shard fed through a pipe.
func (e *Engine) streamShards(ctx context.Context, cancel context.CancelFunc, codec *erasure.Codec, b *blobLayout,
	src *sourceReader, w writeSpec, sps []space.Space, shardSize int64, putErrs []error, caps *[]*capWriter) (erasure.EncodeResult, error) {
	pipes := make([]*pipe, b.N)
	writers := make([]io.Writer, b.N)
	var wg sync.WaitGroup
	for i, id := range b.Spaces {
		if !w.writes(i) {
			writers[i] = io.Discard
			continue
		}
		sp := sps[i]
		p := newPipe()
		pipes[i] = p
		c := &capWriter{set: &e.spaces, id: id, w: p}
		*caps = append(*caps, c)
		writers[i] = c
		wg.Go(func() {
			err := sp.Put(ctx, shardName(b.ID, i), p, shardSize)
			if err != nil {
				putErrs[i] = fmt.Errorf("user space %d: %w", id, err)
			}
			p.CloseRead(err)
		})
	}
	// Each Put finishes its shard (a pack append and its sync, say) once it sees the end of
	// its pipe, so the pipes close as soon as the writers are done, not after Encode returns:
	// hashing the object takes longer than encoding it, and the Puts' disk time can overlap
	// it. (WritersDone always comes before Encode returns.) A hash that fails after that fails
	// Encode, and the caller deletes the shards.
	closePipes := func(err error) {
		if err != nil {
			cancel() // a Put waiting on a half-written shard must not publish it
		}
		for _, p := range pipes {
			if p != nil {
				p.CloseWrite(err)
			}
		}
	}
	res, err := codec.Encode(ctx, src, writers, erasure.EncodeOptions{
		Tag:         erasure.Tag(b.ID),
		Observers:   hashers.offload(w.observers),
		Depth:       e.opts.EncodeDepth,
		WritersDone: closePipes,
	})
	if err != nil {
		cancel() // also when an observer failed after WritersDone: stop Puts not yet published
	}
	wg.Wait()
	return res, err
}

// putReplicas writes the replicas of b from w.data: the observers see it, its blocks and
// checksums are computed once, and each space's Put gets its shard header and those blocks.
// For a small object this skips the encoder's goroutines and pipes, which cost more than the
// encoding itself.
func (e *Engine) putReplicas(ctx context.Context, codec *erasure.Codec, b *blobLayout, w writeSpec,
	sps []space.Space, putErrs []error, caps *[]*capWriter) (erasure.EncodeResult, error) {
	for _, o := range w.observers {
		if _, err := o.Write(w.data); err != nil {
			return erasure.EncodeResult{}, err
		}
	}
	tag := erasure.Tag(b.ID)
	blocks := codec.AppendReplicaBlocks(nil, w.data, tag)
	size := int64(erasure.HeaderSize + len(blocks))
	var wg sync.WaitGroup
	for i, id := range b.Spaces {
		if !w.writes(i) {
			continue
		}
		c := &capWriter{set: &e.spaces, id: id}
		*caps = append(*caps, c)
		if err := c.reserve(size); err != nil {
			wg.Wait()
			return erasure.EncodeResult{}, err
		}
		hdr := codec.AppendShardHeader(nil, i, tag)
		sp := sps[i]
		wg.Go(func() {
			err := sp.Put(ctx, shardName(b.ID, i), io.MultiReader(bytes.NewReader(hdr), bytes.NewReader(blocks)), size)
			if err != nil {
				putErrs[i] = fmt.Errorf("user space %d: %w", id, err)
			}
		})
	}
	wg.Wait()
	return erasure.EncodeResult{Size: int64(len(w.data))}, nil
}

// blameSpaces marks the spaces whose Put failed by their own fault, not because the encoder
// stopped feeding them (encodeErr) or the caller gave up, and returns them.
func (e *Engine) blameSpaces(b *blobLayout, putErrs []error, encodeErr error) []SpaceID {
	var failed []SpaceID
	until := e.now().Add(writeFailureCooldown)
	for i, err := range putErrs {
		if err == nil || errors.Is(err, context.Canceled) || (encodeErr != nil && errors.Is(err, encodeErr)) {
			continue
		}
		e.spaces.markFailed(b.Spaces[i], until)
		failed = append(failed, b.Spaces[i])
	}
	return failed
}

// wrapSource classifies an error from an upload's body: an engine error keeps its kind (a copy
// from an unreadable object is still unavailable); anything else is the client's.
func wrapSource(err error) error {
	var ee *Error
	if errors.As(err, &ee) {
		return err
	}
	return &Error{Kind: KindInvalid, Err: fmt.Errorf("reading content: %w", err)}
}

// discardBlob deletes the shards of a blob that was written but will not be committed, and
// unstages it. Failures are left to the orphan sweep.
func (e *Engine) discardBlob(ctx context.Context, b blobLayout) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	e.deleteShards(ctx, b, true)
	e.blobs.unstage(b.ID)
}

// deleteShards deletes every shard of b and returns the failures. accounted says whether the
// shards count toward their spaces' usage (they do once written whole), so that deleting
// them subtracts.
func (e *Engine) deleteShards(ctx context.Context, b blobLayout, accounted bool) error {
	var errs []error
	size, _ := e.shardFileSize(&b)
	for i, id := range b.Spaces {
		if id == 0 {
			continue // already deleted
		}
		if err := e.deleteShard(ctx, id, shardName(b.ID, i)); err != nil {
			errs = append(errs, err)
		} else if accounted {
			e.spaces.account(id, -size, -1)
		}
	}
	return errors.Join(errs...)
}

// deleteShard deletes one shard file. A space that is no longer registered has nothing to
// delete: its storage is not the engine's any more.
func (e *Engine) deleteShard(ctx context.Context, id SpaceID, name string) error {
	if !e.spaces.registered(id) {
		return nil
	}
	sp, err := e.spaces.get(id)
	if err == nil {
		err = sp.Delete(ctx, name)
	}
	return err
}

// shardReader opens a shard on its first read, so that a healthy read never opens parity
// shards and a missing shard fails only the read that needed it.
type shardReader struct {
	once sync.Once
	open func() (space.Reader, error)
	r    space.Reader
	err  error
}

func (s *shardReader) ReadAt(p []byte, off int64) (int, error) {
	s.once.Do(func() { s.r, s.err = s.open() })
	if s.err != nil {
		return 0, s.err
	}
	return s.r.ReadAt(p, off)
}

func (s *shardReader) close() {
	s.once.Do(func() { s.err = errors.New("engine: shard reader closed") })
	if s.r != nil {
		s.r.Close()
	}
}

// openShards returns lazy readers over the shards of b; the caller must close each. Shards on
// spaces that are down are left out when at least k others remain: the read then rebuilds
// their blocks from the others rather than wait on a space known to fail.
func (e *Engine) openShards(ctx context.Context, b *blobLayout) []*shardReader {
	out := make([]*shardReader, b.N)
	down := make([]bool, b.N)
	up := 0
	for i, id := range b.Spaces {
		down[i] = e.spaces.health(id) == HealthDown
		if !down[i] {
			up++
		}
	}
	for i, id := range b.Spaces {
		if down[i] && up >= b.K {
			out[i] = &shardReader{open: func() (space.Reader, error) {
				return nil, fmt.Errorf("user space %d is down: %w", id, errSpaceUnavailable)
			}}
			continue
		}
		out[i] = &shardReader{open: func() (space.Reader, error) {
			sp, err := e.spaces.get(id)
			if err != nil {
				return nil, err
			}
			return sp.Open(ctx, shardName(b.ID, i))
		}}
	}
	return out
}

// readBlob writes bytes [off, off+n) of blob b to w through its shard readers.
func (e *Engine) readBlob(ctx context.Context, w io.Writer, b *blobLayout, shards []*shardReader, off, n int64) error {
	codec, err := e.codec(b.K, b.N-b.K, b.Chunk)
	if err != nil {
		return err
	}
	rs := make([]io.ReaderAt, len(shards))
	for i, s := range shards {
		rs[i] = s
	}
	st, err := codec.Decode(ctx, w, rs, erasure.DecodeOptions{
		Tag: erasure.Tag(b.ID), Size: b.Size, Offset: off, Length: n, Depth: e.opts.DecodeDepth,
	})
	for _, err := range st.ShardErrs {
		// A shard on a space known to be down waits for the space; any other fault is
		// looked into now.
		if err != nil && !errors.Is(err, errSpaceUnavailable) && ctx.Err() == nil {
			e.queueRepair(b.ID)
			break
		}
	}
	if st.Reconstructed > 0 {
		e.stats.degradedReads.Add(1)
		e.stats.reconstructedStripes.Add(int64(st.Reconstructed))
		// Reads around a space already known to be down are expected until it is back or
		// repaired: the space's own state says so once, not every read.
		level := slog.LevelDebug
		for _, err := range st.ShardErrs {
			if err != nil && !errors.Is(err, errSpaceUnavailable) {
				level = slog.LevelWarn
			}
		}
		e.log.Log(ctx, level, "degraded read", "blob", b.ID, "stripes", st.Reconstructed, "shardErrors", errors.Join(st.ShardErrs...))
	}
	if errors.Is(err, erasure.ErrTooFewShards) {
		e.log.Error("object data unreadable: too few healthy shards", "blob", b.ID, "err", err)
		return &Error{Kind: KindUnavailable, Err: &withCause{msg: "too few healthy shards to read the object's data", err: err}}
	}
	return err
}
