package erasure

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/klauspost/reedsolomon"
)

// The benchmarks compare the codec with the raw reedsolomon library doing the same
// arithmetic on the same bytes in the same run (docs/PERFORMANCE.md records the ratios).
// Input is a buffer far larger than the CPU caches, so both sides pay for memory traffic, as
// an upload or download does: the raw side encodes stripes in place in that buffer, the codec
// streams it through Encode into discarding writers (adding the copy into its stripe buffers,
// checksums and the pipeline). Decoding compares reconstruction of two lost data shards.

const benchObject = 256 << 20

var benchChunks = []int{256 << 10, 1 << 20, 4 << 20}

var benchData = func() func() []byte {
	var data []byte
	return func() []byte {
		if data == nil {
			data = randBytes(rand.New(rand.NewPCG(1, 1)), benchObject)
		}
		return data
	}
}()

func discards(n int) []io.Writer {
	ws := make([]io.Writer, n)
	for i := range ws {
		ws[i] = io.Discard
	}
	return ws
}

func BenchmarkEncode(b *testing.B) {
	data := benchData()
	for _, chunk := range benchChunks {
		b.Run(fmt.Sprintf("raw/chunk=%dKiB", chunk>>10), func(b *testing.B) {
			benchRawEncode(b, data, chunk) // the library's defaults: all cores
		})
		b.Run(fmt.Sprintf("raw-1core/chunk=%dKiB", chunk>>10), func(b *testing.B) {
			benchRawEncode(b, data, chunk, reedsolomon.WithMaxGoroutines(1))
		})
		b.Run(fmt.Sprintf("raw-stream/chunk=%dKiB", chunk>>10), func(b *testing.B) {
			// The library's own streaming path: split a stream into k data shards, encode them
			// into m parity streams. Like Encode it copies the input and writes every shard;
			// unlike Encode it checksums nothing.
			enc, err := reedsolomon.NewStream(4, 2, reedsolomon.WithStreamBlockSize(chunk))
			if err != nil {
				b.Fatal(err)
			}
			shardLen := benchObject / 4
			bufs := make([]*bytes.Buffer, 4)
			ws := make([]io.Writer, 4)
			for i := range bufs {
				bufs[i] = bytes.NewBuffer(make([]byte, 0, shardLen))
				ws[i] = bufs[i]
			}
			b.SetBytes(benchObject)
			for b.Loop() {
				for _, buf := range bufs {
					buf.Reset()
				}
				if err := enc.Split(bytes.NewReader(data), ws, benchObject); err != nil {
					b.Fatal(err)
				}
				rs := make([]io.Reader, 4)
				for i := range rs {
					rs[i] = bufs[i]
				}
				if err := enc.Encode(rs, discards(2)); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("jcs/chunk=%dKiB", chunk>>10), func(b *testing.B) {
			c := newCodec(b, 4, 2, chunk)
			ws := discards(6)
			b.SetBytes(benchObject)
			for b.Loop() {
				if _, err := c.Encode(context.Background(), bytes.NewReader(data), ws, EncodeOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	data := benchData()
	for _, chunk := range benchChunks {
		c := newCodec(b, 4, 2, chunk)
		files := encodeToMemory(b, c, Tag{}, data)
		b.Run(fmt.Sprintf("raw-degraded/chunk=%dKiB", chunk>>10), func(b *testing.B) {
			rs, err := reedsolomon.New(4, 2)
			if err != nil {
				b.Fatal(err)
			}
			// Shards in the library's own layout: per stripe, six slices of the shard files.
			stripes := int(c.Stripes(benchObject))
			w := chunk + ChecksumSize
			b.SetBytes(benchObject)
			shards := make([][]byte, 6)
			for b.Loop() {
				for s := range stripes {
					off := HeaderSize + s*w
					for i := range shards {
						shards[i] = files[i][off : off+chunk : off+chunk]
					}
					shards[0], shards[1] = shards[0][:0], shards[1][:0]
					if err := rs.ReconstructData(shards); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
		// The library's streaming decode over plain shards (no framing, no checksums): Join of
		// the four data shards when healthy, Reconstruct of two lost data shards when degraded.
		raw := rawShards(b, data, chunk)
		b.Run(fmt.Sprintf("raw-stream-healthy/chunk=%dKiB", chunk>>10), func(b *testing.B) {
			enc, err := reedsolomon.NewStream(4, 2, reedsolomon.WithStreamBlockSize(chunk))
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(benchObject)
			for b.Loop() {
				rs := make([]io.Reader, 6)
				for i := range 4 {
					rs[i] = bytes.NewReader(raw[i])
				}
				if err := enc.Join(io.Discard, rs, benchObject); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("raw-stream-degraded/chunk=%dKiB", chunk>>10), func(b *testing.B) {
			enc, err := reedsolomon.NewStream(4, 2, reedsolomon.WithStreamBlockSize(chunk))
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(benchObject)
			for b.Loop() {
				valid := make([]io.Reader, 6)
				for i := 2; i < 6; i++ {
					valid[i] = bytes.NewReader(raw[i])
				}
				fill := []io.Writer{io.Discard, io.Discard, nil, nil, nil, nil}
				if err := enc.Reconstruct(valid, fill); err != nil {
					b.Fatal(err)
				}
			}
		})
		for _, lost := range [][]int{nil, {0, 1}} {
			name := "jcs-healthy"
			if lost != nil {
				name = "jcs-degraded"
			}
			b.Run(fmt.Sprintf("%s/chunk=%dKiB", name, chunk>>10), func(b *testing.B) {
				rs := readers(files)
				for _, i := range lost {
					rs[i] = nil
				}
				b.SetBytes(benchObject)
				for b.Loop() {
					_, err := c.Decode(context.Background(), io.Discard, rs, DecodeOptions{Size: benchObject, Length: benchObject})
					if err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// benchRawEncode encodes data in place, stripe by stripe, with the raw library.
func benchRawEncode(b *testing.B, data []byte, chunk int, opts ...reedsolomon.Option) {
	rs, err := reedsolomon.New(4, 2, opts...)
	if err != nil {
		b.Fatal(err)
	}
	parity := [][]byte{make([]byte, chunk), make([]byte, chunk)}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		for off := 0; off+4*chunk <= len(data); off += 4 * chunk {
			shards := [][]byte{
				data[off : off+chunk], data[off+chunk : off+2*chunk],
				data[off+2*chunk : off+3*chunk], data[off+3*chunk : off+4*chunk],
				parity[0], parity[1],
			}
			if err := rs.Encode(shards); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// rawShards returns the six plain shards of data in the library's own layout.
func rawShards(b *testing.B, data []byte, chunk int) [][]byte {
	enc, err := reedsolomon.New(4, 2)
	if err != nil {
		b.Fatal(err)
	}
	shards, err := enc.Split(bytes.Clone(data))
	if err != nil {
		b.Fatal(err)
	}
	if err := enc.Encode(shards); err != nil {
		b.Fatal(err)
	}
	return shards
}
