package engine

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestOffloadedWrites runs more writers than the pool has workers, each writing in pieces of
// random size: every hash sees its bytes in order, and the pool stays within its bound.
func TestOffloadedWrites(t *testing.T) {
	p := newOffloadPool(2)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 1))
			data := make([]byte, 1<<20)
			for i := range data {
				data[i] = byte(r.Uint32())
			}
			h, m := sha256.New(), new(bytes.Buffer)
			ws := p.offload([]io.Writer{h, m})
			for rest := data; len(rest) > 0; {
				n := min(len(rest), 1+r.IntN(100<<10))
				for _, w := range ws {
					k, err := w.Write(rest[:n])
					if err != nil || k != n {
						t.Errorf("Write = %d, %v; want %d, nil", k, err, n)
						return
					}
				}
				rest = rest[n:]
			}
			if want := sha256.Sum256(data); !bytes.Equal(h.Sum(nil), want[:]) {
				t.Errorf("writer %d: wrong SHA-256", g)
			}
			if !bytes.Equal(m.Bytes(), data) {
				t.Errorf("writer %d: bytes out of order", g)
			}
		})
	}
	wg.Wait()
	require.LessOrEqual(t, p.workers.Load(), int32(2))
}

func TestOffloadedWriteError(t *testing.T) {
	errFull := errors.New("full")
	w := newOffloadPool(1).offload([]io.Writer{&limitWriter{limit: 5, err: errFull}})[0]
	n, err := w.Write([]byte("abc"))
	require.NoError(t, err)
	require.Equal(t, 3, n)
	n, err = w.Write([]byte("defg"))
	require.ErrorIs(t, err, errFull)
	require.Equal(t, 2, n)
}

// limitWriter accepts limit bytes, then fails with err.
type limitWriter struct {
	limit int
	err   error
}

func (w *limitWriter) Write(b []byte) (int, error) {
	n := min(len(b), w.limit)
	w.limit -= n
	if n < len(b) {
		return n, w.err
	}
	return n, nil
}
