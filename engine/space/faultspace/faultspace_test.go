package faultspace_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space"
	"github.com/jointcloud/jcs/engine/space/faultspace"
	"github.com/jointcloud/jcs/engine/space/memspace"
	"github.com/jointcloud/jcs/engine/space/spacetest"
)

var errBoom = errors.New("faultspace_test: boom")

func TestConformance(t *testing.T) {
	spacetest.Run(t, func(t *testing.T) space.Space { return faultspace.New(memspace.New()) })
}

// TestConformanceAfterClear checks that Clear removes every kind of fault.
func TestConformanceAfterClear(t *testing.T) {
	spacetest.Run(t, func(t *testing.T) space.Space {
		s := faultspace.New(memspace.New())
		s.Fail(faultspace.OpAll, nil, errBoom)
		s.FailPutAfter(1, nil, errBoom)
		s.Corrupt(nil, 0, 1<<30)
		s.Clear()
		return s
	})
}

// fixture is a faultspace over a memspace holding "x" and "y", each 100 bytes, with a reader
// of each opened before any fault is set.
type fixture struct {
	*faultspace.Space
	readers map[string]space.Reader
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{Space: faultspace.New(memspace.New()), readers: map[string]space.Reader{}}
	for _, name := range []string{"x", "y"} {
		require.NoError(t, f.Put(t.Context(), name, bytes.NewReader(content), int64(len(content))))
		r, err := f.Open(t.Context(), name)
		require.NoError(t, err)
		t.Cleanup(func() { r.Close() })
		f.readers[name] = r
	}
	return f
}

var content = bytes.Repeat([]byte{0x0f}, 100)

// call runs op on name and returns its error. OpReadAt uses the reader opened up front.
func (f *fixture) call(t *testing.T, op faultspace.Op, name string) error {
	switch op {
	case faultspace.OpPut:
		return f.Put(t.Context(), name, bytes.NewReader(content), int64(len(content)))
	case faultspace.OpOpen:
		r, err := f.Open(t.Context(), name)
		if err == nil {
			r.Close()
		}
		return err
	case faultspace.OpStat:
		_, err := f.Stat(t.Context(), name)
		return err
	case faultspace.OpDelete:
		return f.Delete(t.Context(), name)
	case faultspace.OpList:
		_, _, err := f.List(t.Context(), name, "", 0)
		return err
	case faultspace.OpReadAt:
		_, err := f.readers[name].ReadAt(make([]byte, 10), 0)
		return err
	}
	panic("faultspace_test: unknown op")
}

// TestFail injects a failure into each operation for one name and checks that only that
// operation on that name fails, with the injected error.
func TestFail(t *testing.T) {
	// Delete comes last, so that the blobs are there for the others.
	ops := []faultspace.Op{
		faultspace.OpPut, faultspace.OpOpen, faultspace.OpStat,
		faultspace.OpList, faultspace.OpReadAt, faultspace.OpDelete,
	}
	for _, op := range ops {
		t.Run(op.String(), func(t *testing.T) {
			f := newFixture(t)
			f.Fail(op, faultspace.Name("x"), errBoom)
			for _, other := range ops {
				require.Equal(t, other == op, errors.Is(f.call(t, other, "x"), errBoom), "%s on x", other)
				require.NoError(t, f.call(t, other, "y"), "%s on y", other)
			}
			f.Clear()
			require.NoError(t, f.call(t, faultspace.OpPut, "x"))
			require.NoError(t, f.call(t, op, "x"))
		})
	}
}

// TestFailAll takes the whole space down with the default error.
func TestFailAll(t *testing.T) {
	f := newFixture(t)
	f.Fail(faultspace.OpAll, nil, nil)
	for _, op := range []faultspace.Op{
		faultspace.OpPut, faultspace.OpOpen, faultspace.OpStat,
		faultspace.OpDelete, faultspace.OpList, faultspace.OpReadAt,
	} {
		require.ErrorIs(t, f.call(t, op, "y"), faultspace.ErrInjected, "%s", op)
	}

	f.Clear()
	require.NoError(t, f.call(t, faultspace.OpReadAt, "y"), "a reader opened before the fault, after Clear")
	require.NoError(t, f.call(t, faultspace.OpStat, "y"), "a failed Delete deleted nothing")
}

// countingReader counts the bytes read from it.
type countingReader struct {
	r io.Reader
	n int
}

func (r *countingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.n += n
	return n, err
}

// TestFailPutAfter breaks writes part way: the inner space reads exactly n bytes, then the
// Put fails and publishes nothing. Sources shorter than n get through.
func TestFailPutAfter(t *testing.T) {
	for _, tc := range []struct {
		name      string
		len       int
		size      int64
		wantFail  bool
		wantBytes int
	}{
		{"exact size", 1000, 1000, true, 100},
		{"unknown size", 1000, -1, true, 100},
		{"source at limit", 100, 100, true, 100},
		{"source shorter", 99, 99, false, 99},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := faultspace.New(memspace.New())
			s.FailPutAfter(100, faultspace.Prefix("obj/"), errBoom)
			src := &countingReader{r: bytes.NewReader(make([]byte, tc.len))}
			err := s.Put(t.Context(), "obj/1", src, tc.size)
			require.Equal(t, tc.wantBytes, src.n)
			if !tc.wantFail {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, errBoom)
			_, err = s.Stat(t.Context(), "obj/1")
			require.ErrorIs(t, err, space.ErrNotExist)
			require.NoError(t, s.Put(t.Context(), "other", strings.NewReader("ok"), 2), "an unmatched name")
		})
	}
}

// TestCorrupt flips a range of one blob and checks reads that overlap it in every way.
func TestCorrupt(t *testing.T) {
	f := newFixture(t)
	f.Corrupt(faultspace.Name("x"), 10, 3) // bytes 10, 11 and 12
	for _, tc := range []struct {
		name        string
		off, len    int
		wantFlipped []int // offsets in the blob
	}{
		{"covers range", 0, 100, []int{10, 11, 12}},
		{"starts inside", 11, 10, []int{11, 12}},
		{"ends inside", 5, 6, []int{10}},
		{"before range", 0, 10, nil},
		{"after range", 13, 50, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := bytes.Clone(content[tc.off : tc.off+tc.len])
			for _, i := range tc.wantFlipped {
				want[i-tc.off] ^= 0xff
			}
			require.Equal(t, want, readAt(t, f, "x", tc.off, tc.len))
			require.Equal(t, content[tc.off:tc.off+tc.len], readAt(t, f, "y", tc.off, tc.len), "another name")
		})
	}
}

func readAt(t *testing.T, s space.Space, name string, off, n int) []byte {
	t.Helper()
	r, err := s.Open(t.Context(), name)
	require.NoError(t, err)
	defer r.Close()
	got := make([]byte, n)
	gotN, err := r.ReadAt(got, int64(off))
	if err != io.EOF {
		require.NoError(t, err)
	}
	return got[:gotN]
}

// TestConcurrentFaults changes faults while readers read, for the race detector. A read sees
// the fault or not, and never anything else.
func TestConcurrentFaults(t *testing.T) {
	f := newFixture(t)
	r := f.readers["x"]
	errs := make(chan error, 4*100)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			p := make([]byte, len(content))
			for range 100 {
				_, err := r.ReadAt(p, 0)
				if err != nil && !errors.Is(err, errBoom) {
					errs <- err
				}
			}
		})
	}
	wg.Go(func() {
		for range 100 {
			f.Fail(faultspace.OpReadAt, nil, errBoom)
			f.Corrupt(nil, 0, 1)
			f.Clear()
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

// TestDelay slows each operation on one name and checks that it, and nothing else, waits; a
// cancelled context ends the wait with an error.
func TestDelay(t *testing.T) {
	const d = 30 * time.Millisecond
	for _, op := range []faultspace.Op{faultspace.OpPut, faultspace.OpOpen, faultspace.OpStat, faultspace.OpList, faultspace.OpReadAt, faultspace.OpDelete} {
		t.Run(op.String(), func(t *testing.T) {
			f := newFixture(t)
			f.Delay(op, faultspace.Name("x"), d)
			start := time.Now()
			require.NoError(t, f.call(t, op, "x"))
			require.GreaterOrEqual(t, time.Since(start), d)
			start = time.Now()
			require.NoError(t, f.call(t, op, "y"))
			require.Less(t, time.Since(start), d, "another name is not delayed")
		})
	}
	f := newFixture(t)
	f.Delay(faultspace.OpStat, nil, time.Hour)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := f.Stat(ctx, "x")
	require.ErrorIs(t, err, context.Canceled)
	f.Clear()
	_, err = f.Stat(t.Context(), "x")
	require.NoError(t, err)
}
