package erasure

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// codecs are the parameter sets every round-trip test runs: the production default, odd
// shapes that exercise the last-stripe layout, replication and a single copy.
var codecs = []struct{ k, m, chunk int }{
	{4, 2, 64},
	{3, 2, 7},
	{2, 1, 5},
	{1, 2, 16}, // replication, three copies
	{1, 0, 16}, // one copy
	{5, 0, 4},  // striping without parity
	{6, 3, 32},
}

func newCodec(t testing.TB, k, m, chunk int) *Codec {
	c, err := New(k, m, chunk)
	require.NoError(t, err)
	return c
}

func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// encodeToMemory encodes data and returns the n shard files.
func encodeToMemory(t testing.TB, c *Codec, tag Tag, data []byte) [][]byte {
	t.Helper()
	bufs := make([]*bytes.Buffer, c.Shards())
	ws := make([]io.Writer, c.Shards())
	for i := range bufs {
		bufs[i] = new(bytes.Buffer)
		ws[i] = bufs[i]
	}
	res, err := c.Encode(context.Background(), bytes.NewReader(data), ws, EncodeOptions{Tag: tag})
	require.NoError(t, err)
	require.Equal(t, int64(len(data)), res.Size)
	files := make([][]byte, len(bufs))
	for i, b := range bufs {
		files[i] = b.Bytes()
		require.Equal(t, c.ShardFileSize(int64(len(data))), int64(len(files[i])), "shard %d length", i)
	}
	return files
}

func readers(files [][]byte) []io.ReaderAt {
	rs := make([]io.ReaderAt, len(files))
	for i, f := range files {
		if f != nil {
			rs[i] = bytes.NewReader(f)
		}
	}
	return rs
}

func decodeRange(c *Codec, tag Tag, rs []io.ReaderAt, size, off, n int64) ([]byte, DecodeStats, error) {
	out := []byte{}
	st, err := c.Decode(context.Background(), (*appendWriter)(&out), rs, DecodeOptions{Tag: tag, Size: size, Offset: off, Length: n})
	return out, st, err
}

// appendWriter appends to a slice that is never nil, so empty results compare equal to
// empty sub-slices of test data.
type appendWriter []byte

func (w *appendWriter) Write(p []byte) (int, error) {
	*w = append(*w, p...)
	return len(p), nil
}

// lossSets returns every subset of {0..n-1} with at most max elements.
func lossSets(n, max int) [][]int {
	var out [][]int
	for mask := 0; mask < 1<<n; mask++ {
		var set []int
		for i := range n {
			if mask&(1<<i) != 0 {
				set = append(set, i)
			}
		}
		if len(set) <= max {
			out = append(out, set)
		}
	}
	return out
}

func TestNewRejectsBadParameters(t *testing.T) {
	for _, tc := range []struct{ k, m, chunk int }{
		{0, 2, 16}, {-1, 2, 16}, {4, -1, 16}, {200, 57, 16}, {4, 2, 0}, {4, 2, MaxChunkSize + 1},
	} {
		t.Run(fmt.Sprintf("k%d_m%d_c%d", tc.k, tc.m, tc.chunk), func(t *testing.T) {
			_, err := New(tc.k, tc.m, tc.chunk)
			require.Error(t, err)
		})
	}
}

func TestShardFileSize(t *testing.T) {
	c := newCodec(t, 4, 2, 10) // stripe of 40 bytes
	for _, tc := range []struct {
		size int64
		want int64
	}{
		{0, HeaderSize},
		{1, HeaderSize + 1 + ChecksumSize},         // b = ceil(1/4) = 1
		{5, HeaderSize + 2 + ChecksumSize},         // b = 2
		{40, HeaderSize + 10 + ChecksumSize},       // one full stripe
		{41, HeaderSize + 2*ChecksumSize + 10 + 1}, // full stripe, then b = 1
		{80, HeaderSize + 2*(10+ChecksumSize)},
	} {
		t.Run(fmt.Sprint(tc.size), func(t *testing.T) {
			require.Equal(t, tc.want, c.ShardFileSize(tc.size))
		})
	}
}

func TestHeaderRoundTrip(t *testing.T) {
	want := Header{Index: 5, K: 4, N: 6, ChunkSize: 1 << 20, Tag: Tag{1, 2, 3, 15: 16}}
	b := want.AppendHeader(nil)
	require.Len(t, b, HeaderSize)
	got, err := ParseHeader(b)
	require.NoError(t, err)
	require.Equal(t, want, got)

	for i := range b {
		bad := bytes.Clone(b)
		bad[i] ^= 0x40
		_, err := ParseHeader(bad)
		require.ErrorIs(t, err, ErrHeader, "flipped byte %d", i)
	}
	_, err = ParseHeader(b[:HeaderSize-1])
	require.ErrorIs(t, err, ErrHeader)
}

func TestRoundTripEveryLossCombination(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, cc := range codecs {
		c := newCodec(t, cc.k, cc.m, cc.chunk)
		stripe := int(c.StripeSize())
		sizes := []int{0, 1, cc.k - 1, cc.k, cc.k + 1, stripe - 1, stripe, stripe + 1, 3*stripe + stripe/2 + 1}
		for _, size := range sizes {
			if size < 0 {
				continue
			}
			data := randBytes(r, size)
			tag := Tag{byte(size), byte(cc.k)}
			files := encodeToMemory(t, c, tag, data)
			for _, lost := range lossSets(c.Shards(), cc.m) {
				name := fmt.Sprintf("k%d_m%d_c%d/size%d/lost%v", cc.k, cc.m, cc.chunk, size, lost)
				t.Run(name, func(t *testing.T) {
					rs := readers(files)
					for _, i := range lost {
						rs[i] = nil
					}
					got, st, err := decodeRange(c, tag, rs, int64(size), 0, int64(size))
					require.NoError(t, err)
					require.Equal(t, data, got)
					require.Equal(t, len(lost) > 0 && size > 0, st.Degraded() && size > 0)
				})
			}
		}
	}
}

func TestRangesAcrossStripeBoundaries(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	c := newCodec(t, 4, 2, 8) // 32-byte stripes
	size := 5*32 + 13
	data := randBytes(r, size)
	tag := Tag{9}
	files := encodeToMemory(t, c, tag, data)
	for _, lost := range [][]int{nil, {0}, {3, 5}, {1, 2}} {
		rs := readers(files)
		for _, i := range lost {
			rs[i] = nil
		}
		// Every range that starts or ends within two bytes of a block or stripe boundary.
		var points []int
		for p := 0; p <= size; p += 8 {
			for d := -2; d <= 2; d++ {
				if q := p + d; q >= 0 && q <= size {
					points = append(points, q)
				}
			}
		}
		points = append(points, size)
		for _, off := range points {
			for _, end := range points {
				if end < off {
					continue
				}
				got, _, err := decodeRange(c, tag, rs, int64(size), int64(off), int64(end-off))
				require.NoError(t, err, "lost %v range [%d,%d)", lost, off, end)
				require.Equal(t, data[off:end], got, "lost %v range [%d,%d)", lost, off, end)
			}
		}
	}
}

func TestHealthyReadTouchesOnlyNeededBlocks(t *testing.T) {
	c := newCodec(t, 4, 2, 16)
	data := randBytes(rand.New(rand.NewPCG(5, 6)), 10*64)
	tag := Tag{1}
	files := encodeToMemory(t, c, tag, data)
	counters := make([]*countingReaderAt, len(files))
	rs := make([]io.ReaderAt, len(files))
	for i, f := range files {
		counters[i] = &countingReaderAt{r: bytes.NewReader(f)}
		rs[i] = counters[i]
	}
	// Bytes [70, 80) live in stripe 1 (bytes 64..127), block 0 (bytes 64..79).
	got, st, err := decodeRange(c, tag, rs, int64(len(data)), 70, 10)
	require.NoError(t, err)
	require.Equal(t, data[70:80], got)
	require.False(t, st.Degraded())
	for i, cr := range counters {
		want := 0
		if i == 0 {
			want = 1
		}
		require.Equal(t, want, cr.calls(), "reads of shard %d", i)
	}
}

type countingReaderAt struct {
	r  io.ReaderAt
	mu sync.Mutex
	n  int
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return c.r.ReadAt(p, off)
}

func (c *countingReaderAt) calls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

func TestCorruptBlocksAreDetectedAndRepaired(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, cc := range codecs {
		if cc.m == 0 {
			continue
		}
		c := newCodec(t, cc.k, cc.m, cc.chunk)
		size := int(3*c.StripeSize() + 3)
		data := randBytes(r, size)
		tag := Tag{7}
		files := encodeToMemory(t, c, tag, data)
		for shard := range c.Shards() {
			for _, at := range []int{0, HeaderSize, HeaderSize + 1, len(files[shard]) - 1} {
				name := fmt.Sprintf("k%d_m%d/shard%d/byte%d", cc.k, cc.m, shard, at)
				t.Run(name, func(t *testing.T) {
					bad := make([][]byte, len(files))
					copy(bad, files)
					bad[shard] = bytes.Clone(files[shard])
					bad[shard][at] ^= 0x01
					got, st, err := decodeRange(c, tag, readers(bad), int64(size), 0, int64(size))
					require.NoError(t, err)
					require.Equal(t, data, got)
					if at < HeaderSize {
						// The header is not read on the data path; scrubbing finds it.
						require.ErrorIs(t, c.VerifyShard(t.Context(), bytes.NewReader(bad[shard]), shard, tag, int64(size)), ErrHeader)
						return
					}
					require.ErrorIs(t, c.VerifyShard(t.Context(), bytes.NewReader(bad[shard]), shard, tag, int64(size)), ErrChecksum)
					// A healthy read touches data blocks only (the first replica under
					// replication), and not the pure padding blocks of a short last stripe, so
					// only those report the damage; the scrubber finds the rest.
					firstStripe := at < HeaderSize+cc.chunk
					if readOnHealthyPath := (cc.k > 1 && shard < cc.k) || shard == 0; readOnHealthyPath && firstStripe {
						require.ErrorIs(t, st.ShardErrs[shard], ErrChecksum)
					} else if !readOnHealthyPath {
						require.NoError(t, st.ShardErrs[shard])
					}
				})
			}
		}
	}
}

func TestMisplacedShardFailsChecksum(t *testing.T) {
	c := newCodec(t, 4, 2, 16)
	data := randBytes(rand.New(rand.NewPCG(9, 9)), 200)
	tag := Tag{3}
	files := encodeToMemory(t, c, tag, data)
	swapped := readers(files)
	swapped[0], swapped[1] = swapped[1], swapped[0]
	got, st, err := decodeRange(c, tag, swapped, 200, 0, 200)
	require.NoError(t, err, "two bad shards out of six are repairable")
	require.Equal(t, data, got)
	require.ErrorIs(t, st.ShardErrs[0], ErrChecksum)
	require.ErrorIs(t, st.ShardErrs[1], ErrChecksum)

	_, _, err = decodeRange(c, Tag{4}, readers(files), 200, 0, 200)
	require.ErrorIs(t, err, ErrTooFewShards, "shards of another tag must not verify")
}

func TestTooManyLostShards(t *testing.T) {
	for _, cc := range codecs {
		c := newCodec(t, cc.k, cc.m, cc.chunk)
		t.Run(fmt.Sprintf("k%d_m%d", cc.k, cc.m), func(t *testing.T) {
			data := randBytes(rand.New(rand.NewPCG(1, 1)), 100)
			files := encodeToMemory(t, c, Tag{}, data)
			rs := readers(files)
			for i := range cc.m + 1 {
				rs[i] = nil
			}
			_, _, err := decodeRange(c, Tag{}, rs, 100, 0, 100)
			require.ErrorIs(t, err, ErrTooFewShards)
		})
	}
}

func TestTruncatedShardIsRebuilt(t *testing.T) {
	c := newCodec(t, 4, 2, 16)
	data := randBytes(rand.New(rand.NewPCG(2, 2)), 300)
	files := encodeToMemory(t, c, Tag{}, data)
	files[2] = files[2][:len(files[2])-7]
	got, st, err := decodeRange(c, Tag{}, readers(files), 300, 0, 300)
	require.NoError(t, err)
	require.Equal(t, data, got)
	require.ErrorIs(t, st.ShardErrs[2], ErrShortShard)
	require.ErrorIs(t, c.VerifyShard(t.Context(), bytes.NewReader(files[2]), 2, Tag{}, 300), ErrShortShard)
}

func TestVerifyShard(t *testing.T) {
	c := newCodec(t, 4, 2, 16)
	data := randBytes(rand.New(rand.NewPCG(4, 4)), 333)
	tag := Tag{5}
	files := encodeToMemory(t, c, tag, data)
	for i, f := range files {
		require.NoError(t, c.VerifyShard(t.Context(), bytes.NewReader(f), i, tag, 333))
	}
	require.ErrorIs(t, c.VerifyShard(t.Context(), bytes.NewReader(files[0]), 1, tag, 333), ErrHeader, "wrong index")
	require.ErrorIs(t, c.VerifyShard(t.Context(), bytes.NewReader(files[0]), 0, Tag{6}, 333), ErrHeader, "wrong tag")
	long := append(bytes.Clone(files[0]), 0)
	require.ErrorIs(t, c.VerifyShard(t.Context(), bytes.NewReader(long), 0, tag, 333), ErrHeader, "trailing bytes")
}

// failingWriter fails after accepting limit bytes.
type failingWriter struct {
	limit int
	n     int
}

var errDiskFull = errors.New("disk full")

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.n+len(p) > w.limit {
		return 0, errDiskFull
	}
	w.n += len(p)
	return len(p), nil
}

func TestEncodeWriterFailures(t *testing.T) {
	c := newCodec(t, 4, 2, 16)
	data := randBytes(rand.New(rand.NewPCG(6, 6)), 1000)
	for _, tc := range []struct {
		name      string
		failing   []int
		maxFailed int
		wantErr   error
	}{
		{"none", nil, 0, nil},
		{"one tolerated", []int{3}, 2, nil},
		{"two tolerated", []int{0, 5}, 2, nil},
		{"one too many", []int{1, 2, 4}, 2, ErrWriteQuorum},
		{"strict", []int{1}, 0, ErrWriteQuorum},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bufs := make([]*bytes.Buffer, 6)
			ws := make([]io.Writer, 6)
			for i := range ws {
				bufs[i] = new(bytes.Buffer)
				ws[i] = bufs[i]
			}
			for _, i := range tc.failing {
				ws[i] = &failingWriter{limit: HeaderSize + 20}
			}
			res, err := c.Encode(t.Context(), bytes.NewReader(data), ws, EncodeOptions{MaxFailedWriters: tc.maxFailed})
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				require.ErrorIs(t, err, errDiskFull)
				return
			}
			require.NoError(t, err)
			files := make([][]byte, 6)
			for i := range files {
				if res.WriterErrs[i] == nil {
					files[i] = bufs[i].Bytes()
				}
			}
			for _, i := range tc.failing {
				require.ErrorIs(t, res.WriterErrs[i], errDiskFull)
			}
			got, _, err := decodeRange(c, Tag{}, readers(files), int64(len(data)), 0, int64(len(data)))
			require.NoError(t, err)
			require.Equal(t, data, got)
		})
	}
}

type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF {
		return n, e.err
	}
	return n, err
}

func TestEncodeSourceError(t *testing.T) {
	c := newCodec(t, 4, 2, 16)
	errGone := errors.New("client went away")
	src := &errReader{r: bytes.NewReader(make([]byte, 1000)), err: errGone}
	ws := []io.Writer{io.Discard, io.Discard, io.Discard, io.Discard, io.Discard, io.Discard}
	_, err := c.Encode(t.Context(), src, ws, EncodeOptions{})
	require.ErrorIs(t, err, errGone)
}

func TestEncodeCancelled(t *testing.T) {
	c := newCodec(t, 4, 2, 16)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	ws := []io.Writer{io.Discard, io.Discard, io.Discard, io.Discard, io.Discard, io.Discard}
	_, err := c.Encode(ctx, bytes.NewReader(make([]byte, 10000)), ws, EncodeOptions{Depth: 1})
	require.ErrorIs(t, err, context.Canceled)
}

func TestObserversSeeEveryByteInOrder(t *testing.T) {
	c := newCodec(t, 3, 2, 7)
	data := randBytes(rand.New(rand.NewPCG(8, 8)), 1000)
	var a, b bytes.Buffer
	ws := []io.Writer{io.Discard, io.Discard, io.Discard, io.Discard, io.Discard}
	_, err := c.Encode(t.Context(), bytes.NewReader(data), ws, EncodeOptions{Observers: []io.Writer{&a, &b}})
	require.NoError(t, err)
	require.Equal(t, data, a.Bytes())
	require.Equal(t, data, b.Bytes())

	_, err = c.Encode(t.Context(), bytes.NewReader(data), ws, EncodeOptions{Observers: []io.Writer{&failingWriter{limit: 10}}})
	require.ErrorIs(t, err, errDiskFull)
}

// blockingWriter holds its first Write until release is closed.
type blockingWriter struct {
	release <-chan struct{}
	bytes.Buffer
}

func (w *blockingWriter) Write(p []byte) (int, error) {
	<-w.release
	return w.Buffer.Write(p)
}

// TestWritersDoneBeforeObservers pins that WritersDone comes once the shards are complete,
// without waiting for a slow observer, and carries the read error.
func TestWritersDoneBeforeObservers(t *testing.T) {
	c := newCodec(t, 4, 2, 16)
	// Four stripes, the last one short: the observer may then hold all of them (Depth).
	data := randBytes(rand.New(rand.NewPCG(9, 9)), 200)
	want := encodeToMemory(t, c, Tag{1}, data)
	for _, tc := range []struct {
		name    string
		src     io.Reader
		wantErr error
	}{
		{"clean", bytes.NewReader(data), nil},
		{"read error at EOF", &errReader{r: bytes.NewReader(data), err: errDiskFull}, errDiskFull},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bufs := make([]bytes.Buffer, c.Shards())
			ws := make([]io.Writer, c.Shards())
			for i := range bufs {
				ws[i] = &bufs[i]
			}
			release := make(chan struct{})
			slow := &blockingWriter{release: release}
			calls := 0
			_, err := c.Encode(t.Context(), tc.src, ws, EncodeOptions{
				Tag:       Tag{1},
				Depth:     4,
				Observers: []io.Writer{slow},
				WritersDone: func(err error) {
					calls++
					require.ErrorIs(t, err, tc.wantErr)
					if tc.wantErr == nil {
						for i := range bufs {
							require.Equal(t, want[i], bufs[i].Bytes(), "shard %d when WritersDone runs", i)
						}
					}
					close(release) // without this call before the observer is done, Encode hangs
				},
			})
			require.ErrorIs(t, err, tc.wantErr)
			require.Equal(t, 1, calls)
			if tc.wantErr == nil {
				require.Equal(t, data, slow.Bytes())
			}
		})
	}
}

// TestConcurrentUseOfOneCodec pins that a Codec, and the reedsolomon encoder it shares, are
// safe for concurrent Encode and degraded Decode calls. Run with -race.
func TestConcurrentUseOfOneCodec(t *testing.T) {
	c := newCodec(t, 4, 2, 64)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 99))
			for range 10 {
				data := randBytes(r, r.IntN(2000))
				files := encodeToMemory(t, c, Tag{byte(g)}, data)
				rs := readers(files)
				rs[r.IntN(6)] = nil
				rs[r.IntN(6)] = nil
				got, _, err := decodeRange(c, Tag{byte(g)}, rs, int64(len(data)), 0, int64(len(data)))
				if err != nil || !bytes.Equal(got, data) {
					t.Errorf("goroutine %d: round trip failed: %v", g, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestDecodeRejectsBadRange(t *testing.T) {
	c := newCodec(t, 4, 2, 16)
	files := encodeToMemory(t, c, Tag{}, make([]byte, 100))
	for _, tc := range []struct{ off, n int64 }{{-1, 1}, {0, -1}, {0, 101}, {100, 1}, {101, 0}} {
		_, _, err := decodeRange(c, Tag{}, readers(files), 100, tc.off, tc.n)
		require.Error(t, err, "range %+v", tc)
	}
}

// FuzzRoundTrip encodes arbitrary data with arbitrary small parameters, loses up to m shards
// chosen by the fuzzer and decodes an arbitrary range.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("hello, erasure"), uint8(4), uint8(2), uint8(3), uint8(0b10), uint16(3), uint16(5))
	f.Add(make([]byte, 300), uint8(1), uint8(2), uint8(16), uint8(0b1), uint16(0), uint16(300))
	f.Fuzz(func(t *testing.T, data []byte, k, m, chunk, lostMask uint8, off, n uint16) {
		kk, mm, cc := int(k%8)+1, int(m%4), int(chunk%32)+1
		c, err := New(kk, mm, cc)
		require.NoError(t, err)
		files := encodeToMemory(t, c, Tag{k, m}, data)
		rs := readers(files)
		lost := 0
		for i := range rs {
			if lostMask&(1<<(i%8)) != 0 && lost < mm {
				rs[i] = nil
				lost++
			}
		}
		size := int64(len(data))
		o := min(int64(off), size)
		l := min(int64(n), size-o)
		got, _, err := decodeRange(c, Tag{k, m}, rs, size, o, l)
		require.NoError(t, err)
		require.Equal(t, data[o:o+l], got)
	})
}

// TestDegradedReadFetchesOneSubstitute pins that a dead data shard costs exactly one parity
// read per stripe: the substitute is fetched with the other blocks, and the second parity shard
// is never touched.
func TestDegradedReadFetchesOneSubstitute(t *testing.T) {
	c := newCodec(t, 4, 2, 16)
	data := randBytes(rand.New(rand.NewPCG(11, 11)), 3*64) // three full stripes
	files := encodeToMemory(t, c, Tag{}, data)
	counters := make([]*countingReaderAt, len(files))
	rs := make([]io.ReaderAt, len(files))
	for i, f := range files {
		counters[i] = &countingReaderAt{r: bytes.NewReader(f)}
		rs[i] = counters[i]
	}
	rs[0] = nil
	got, st, err := decodeRange(c, Tag{}, rs, int64(len(data)), 0, int64(len(data)))
	require.NoError(t, err)
	require.Equal(t, data, got)
	require.Equal(t, 3, st.Reconstructed)
	for i, want := range []int{0, 3, 3, 3, 3, 0} {
		require.Equal(t, want, counters[i].calls(), "reads of shard %d", i)
	}
}
