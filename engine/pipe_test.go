package engine

import (
	"bytes"
	"errors"
	"io"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var errPipeTest = errors.New("engine_test: pipe error")

// recorder is a writer for pipe.WriteTo that checks each slice it gets is the very slice the
// pipe's writer passed, logs when it consumed it, and can fail or write short.
type recorder struct {
	mu     *sync.Mutex
	log    *[]string
	want   [][]byte
	got    int
	fail   error
	short  bool
	copied bytes.Buffer
	t      *testing.T
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.fail != nil {
		return 0, r.fail
	}
	if r.short {
		return len(p) / 2, nil
	}
	want := r.want[r.got]
	require.Len(r.t, p, len(want))
	require.Same(r.t, &want[0], &p[0], "WriteTo passes the writer's own slice")
	r.copied.Write(p)
	r.mu.Lock()
	*r.log = append(*r.log, "consumed")
	r.mu.Unlock()
	r.got++
	return len(p), nil
}

func TestPipeWriteToIsZeroCopy(t *testing.T) {
	p := newPipe()
	chunks := [][]byte{[]byte("first block"), bytes.Repeat([]byte{7}, 70_000), []byte("x")}
	var mu sync.Mutex
	var log []string
	var wg sync.WaitGroup
	wg.Go(func() {
		for _, c := range chunks {
			n, err := p.Write(c)
			assert.NoError(t, err)
			assert.Equal(t, len(c), n)
			mu.Lock()
			log = append(log, "returned")
			mu.Unlock()
		}
		p.CloseWrite(nil)
	})
	rec := &recorder{mu: &mu, log: &log, want: chunks, t: t}
	n, err := p.WriteTo(rec)
	wg.Wait()
	require.NoError(t, err, "a clean close ends WriteTo without error")
	require.Equal(t, int64(70_012), n)
	require.Equal(t, bytes.Join(chunks, nil), rec.copied.Bytes())
	require.Equal(t, []string{"consumed", "returned", "consumed", "returned", "consumed", "returned"}, log,
		"Write returns only after its slice was consumed")
}

func TestPipeReadCopies(t *testing.T) {
	p := newPipe()
	src := []byte("0123456789")
	returned := make(chan int)
	go func() {
		n, err := p.Write(src)
		assert.NoError(t, err)
		returned <- n
		p.CloseWrite(nil)
	}()
	var got []byte
	buf := make([]byte, 4)
	for len(got) < len(src) {
		n, err := p.Read(buf)
		require.NoError(t, err)
		got = append(got, buf[:n]...)
		if len(got) < len(src) {
			select {
			case <-returned:
				t.Fatal("Write returned before its slice was consumed")
			default:
			}
		}
	}
	require.Equal(t, len(src), <-returned)
	copy(src, "XXXXXXXXXX") // the writer may reuse its slice: what was read is a copy
	require.Equal(t, []byte("0123456789"), got)
	n, err := p.Read(buf)
	require.Zero(t, n)
	require.ErrorIs(t, err, io.EOF)
}

// TestPipeCloseRead: the reader side stopping unblocks a pending Write with its error and
// the count consumed so far, and fails later Writes.
func TestPipeCloseRead(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want error
	}{
		{"with error", errPipeTest, errPipeTest},
		{"without error", nil, errPipeReaderGone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPipe()
			type result struct {
				n   int
				err error
			}
			done := make(chan result)
			go func() {
				n, err := p.Write([]byte("hello world"))
				done <- result{n, err}
			}()
			buf := make([]byte, 3)
			n, err := p.Read(buf) // the Write is now pending, 3 bytes consumed
			require.NoError(t, err)
			require.Equal(t, 3, n)
			p.CloseRead(tc.err)
			res := <-done
			require.Equal(t, 3, res.n)
			require.ErrorIs(t, res.err, tc.want)

			n, err = p.Write([]byte("more"))
			require.Zero(t, n)
			require.ErrorIs(t, err, tc.want)
			p.CloseRead(errors.New("second close"))
			_, err = p.Write([]byte("more"))
			require.ErrorIs(t, err, tc.want, "the first close wins")
			_, err = p.Read(buf)
			require.ErrorIs(t, err, tc.want)
		})
	}
}

// TestPipeCloseWrite: the writer's close reaches Read and WriteTo, as io.EOF or its error.
func TestPipeCloseWrite(t *testing.T) {
	for _, tc := range []struct {
		name        string
		err         error
		wantRead    error
		wantWriteTo error
	}{
		{"clean", nil, io.EOF, nil},
		{"with error", errPipeTest, errPipeTest, errPipeTest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPipe()
			go func() {
				_, err := p.Write([]byte("data"))
				assert.NoError(t, err)
				p.CloseWrite(tc.err)
				p.CloseWrite(errors.New("second close"))
			}()
			var out bytes.Buffer
			n, err := p.WriteTo(&out)
			require.Equal(t, int64(4), n)
			require.Equal(t, "data", out.String())
			if tc.wantWriteTo == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tc.wantWriteTo)
			}
			_, err = p.Read(make([]byte, 1))
			require.ErrorIs(t, err, tc.wantRead, "the first close wins")

			n2, err := p.Write([]byte("late"))
			require.Zero(t, n2)
			require.ErrorIs(t, err, io.ErrClosedPipe)
		})
	}
}

// TestPipeWriteToFails: when WriteTo's writer fails or writes short, WriteTo returns the
// error and so does the pending Write.
func TestPipeWriteToFails(t *testing.T) {
	for _, tc := range []struct {
		name string
		rec  recorder
		want error
	}{
		{"error", recorder{fail: errPipeTest}, errPipeTest},
		{"short write", recorder{short: true}, io.ErrShortWrite},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPipe()
			done := make(chan error)
			go func() {
				_, err := p.Write([]byte("some bytes"))
				done <- err
			}()
			_, err := p.WriteTo(&tc.rec)
			require.ErrorIs(t, err, tc.want)
			require.ErrorIs(t, <-done, tc.want)
			_, err = p.Write([]byte("x"))
			require.ErrorIs(t, err, tc.want)
		})
	}
}

// TestPipeStream pushes many writes of every size through both reader paths.
func TestPipeStream(t *testing.T) {
	data := randomBytes(3, 300_000)
	for _, useWriteTo := range []bool{true, false} {
		p := newPipe()
		go func() {
			for off, i := 0, 0; off < len(data); i++ {
				n := min(len(data)-off, []int{0, 1, 4099, 65536, 7}[i%5])
				_, err := p.Write(data[off : off+n])
				assert.NoError(t, err)
				off += n
			}
			p.CloseWrite(nil)
		}()
		var got []byte
		var err error
		if useWriteTo {
			var buf bytes.Buffer
			_, err = io.Copy(&buf, p) // uses WriteTo
			got = buf.Bytes()
		} else {
			got, err = io.ReadAll(struct{ io.Reader }{p})
		}
		require.NoError(t, err)
		require.Equal(t, data, got)
	}
}
