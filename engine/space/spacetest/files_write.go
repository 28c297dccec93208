package spacetest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jointcloud/jcs/engine/space"
)

// testFilesWriteOpen writes files with known and unknown sizes, including empty ones, from
// every shape of source, and reads them back.
func testFilesWriteOpen(t *testing.T, v space.Files) {
	for _, src := range sources {
		for _, tc := range []struct {
			name  string
			n     int
			known bool
		}{
			{"exact size", 3000, true},
			{"unknown size", 3000, false},
			{"empty exact size", 0, true},
			{"empty unknown size", 0, false},
		} {
			t.Run(src.name+"/"+tc.name, func(t *testing.T) {
				path := "sizes/" + src.name + "/" + tc.name
				want := blobData(100, tc.n)
				size := int64(-1)
				if tc.known {
					size = int64(tc.n)
				}
				require.NoError(t, v.WriteFile(t.Context(), path, src.wrap(want), size))
				requireFile(t, v, path, want)
			})
		}
	}
}

// testFilesWriteLarge writes a file larger than any plausible internal buffer or part size
// threshold, with an odd length.
func testFilesWriteLarge(t *testing.T, v space.Files) {
	want := blobData(101, 5<<20+17)
	for _, tc := range []struct {
		name string
		r    io.Reader
		size int64
	}{
		{"writerto exact size", bytes.NewReader(want), int64(len(want))},
		{"reader unknown size", readOnly{bytes.NewReader(want)}, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, v.WriteFile(t.Context(), "large/file.bin", tc.r, tc.size))
			requireFile(t, v, "large/file.bin", want)
		})
	}
}

// testFilesWriteNested writes files whose parents do not exist yet, then more files into the
// parents the first writes created.
func testFilesWriteNested(t *testing.T, v space.Files) {
	paths := []string{"a/b/c/d/deep.txt", "a/b/c/sibling.txt", "a/top.txt", "x/y.txt"}
	for i, path := range paths {
		writeFile(t, v, path, blobData(uint64(110+i), 100+i))
	}
	for i, path := range paths {
		requireFile(t, v, path, blobData(uint64(110+i), 100+i))
	}
	require.Equal(t, []string{"a/b/c/d/deep.txt", "a/b/c/sibling.txt", "a/top.txt", "x/y.txt"},
		walkPaths(t, v, ""))
}

// testFilesWriteReplace replaces a file with a shorter one: no tail of the old content may
// survive, and the file is listed once.
func testFilesWriteReplace(t *testing.T, v space.Files) {
	writeFile(t, v, "dir/file", blobData(120, 5000))
	want := blobData(121, 300)
	writeFile(t, v, "dir/file", want)
	requireFile(t, v, "dir/file", want)
	require.Equal(t, []string{"dir/file"}, walkPaths(t, v, ""))
}

// testFilesWriteSizeMismatch announces a size the source does not match: WriteFile must fail
// with ErrSizeMismatch and leave the path as it was.
func testFilesWriteSizeMismatch(t *testing.T, v space.Files) {
	old := blobData(130, 50)
	for _, src := range sources {
		for _, tc := range []struct {
			name string
			n    int
			size int64
		}{
			{"too many bytes", 100, 99},
			{"too few bytes", 100, 101},
			{"empty announced as one byte", 0, 1},
			{"one byte announced as empty", 1, 0},
		} {
			for _, existing := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%s/existing=%t", src.name, tc.name, existing), func(t *testing.T) {
					path := fmt.Sprintf("mismatch/%s/%s/%t", src.name, tc.name, existing)
					if existing {
						writeFile(t, v, path, old)
					}
					before := walkPaths(t, v, "")
					err := v.WriteFile(t.Context(), path, src.wrap(blobData(131, tc.n)), tc.size)
					require.ErrorIs(t, err, space.ErrSizeMismatch)
					requireFileUnchanged(t, v, path, existing, old, before)
				})
			}
		}
	}
}

// testFilesWriteReaderError feeds WriteFile a source that fails part way: WriteFile must fail
// with an error wrapping the source's and leave the path as it was.
func testFilesWriteReaderError(t *testing.T, v space.Files) {
	old := blobData(140, 50)
	for _, tc := range []struct {
		name string
		r    func() io.Reader
		size int64
	}{
		{"reader unknown size", func() io.Reader { return &failingReader{blobData(141, 1000)} }, -1},
		{"reader exact size", func() io.Reader { return &failingReader{blobData(141, 1000)} }, 2000},
		{"writerto unknown size", func() io.Reader { return &failingWriterTo{failingReader{blobData(141, 1000)}} }, -1},
		{"writerto exact size", func() io.Reader { return &failingWriterTo{failingReader{blobData(141, 1000)}} }, 2000},
		{"fails at once", func() io.Reader { return &failingReader{} }, -1},
	} {
		for _, existing := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/existing=%t", tc.name, existing), func(t *testing.T) {
				path := fmt.Sprintf("failing/%s/%t", tc.name, existing)
				if existing {
					writeFile(t, v, path, old)
				}
				before := walkPaths(t, v, "")
				err := v.WriteFile(t.Context(), path, tc.r(), tc.size)
				require.ErrorIs(t, err, errSource)
				requireFileUnchanged(t, v, path, existing, old, before)
			})
		}
	}
}

// testFilesWriteCancelled cancels the context before WriteFile and during it: WriteFile must
// fail with an error wrapping context.Canceled and leave the path as it was.
func testFilesWriteCancelled(t *testing.T, v space.Files) {
	old := blobData(150, 50)
	data := blobData(151, 256<<10)
	for _, tc := range []struct {
		name string
		r    func(cancel func()) io.Reader
		size int64
	}{
		{"before write", func(cancel func()) io.Reader { cancel(); return bytes.NewReader(data) }, int64(len(data))},
		{"during write exact size", func(cancel func()) io.Reader { return &cancellingReader{data, cancel} }, int64(len(data))},
		{"during write unknown size", func(cancel func()) io.Reader { return &cancellingReader{data, cancel} }, -1},
	} {
		for _, existing := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/existing=%t", tc.name, existing), func(t *testing.T) {
				path := fmt.Sprintf("cancelled/%s/%t", tc.name, existing)
				if existing {
					writeFile(t, v, path, old)
				}
				before := walkPaths(t, v, "")
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				err := v.WriteFile(ctx, path, tc.r(cancel), tc.size)
				require.ErrorIs(t, err, context.Canceled)
				requireFileUnchanged(t, v, path, existing, old, before)
			})
		}
	}
}

// testFilesWriteInProgressInvisible looks at the view while a WriteFile is blocked half way
// through its source: neither the new file, a prefix of it, nor any temporary name may be
// visible, and a replaced file must still read whole. Were any of them visible, a WriteFile
// cut short by a crash could leave it behind.
func testFilesWriteInProgressInvisible(t *testing.T, v space.Files) {
	old := blobData(160, 1000)
	writeFile(t, v, "dir/replaced", old)
	for _, path := range []string{"dir/fresh", "dir/replaced", "newdir/fresh"} {
		t.Run(path, func(t *testing.T) {
			before := walkPaths(t, v, "")
			want := blobData(161, 100<<10)
			r := newBlockingReader(want)
			release := sync.OnceFunc(func() { close(r.release) })
			defer release() // never leave the WriteFile blocked if the test fails early
			done := make(chan error, 1)
			go func() { done <- v.WriteFile(t.Context(), path, r, int64(len(want))) }()
			select {
			case <-r.started:
			case err := <-done:
				require.FailNow(t, "WriteFile returned before reading its source", "err: %v", err)
			}

			if path == "dir/replaced" {
				requireFile(t, v, path, old)
			} else {
				requireNoFile(t, v, path)
			}
			require.Equal(t, before, walkPaths(t, v, ""))

			release()
			require.NoError(t, <-done)
			requireFile(t, v, path, want)
		})
	}
}

// testFilesConcurrent writes distinct files from many goroutines, many into directories that
// do not exist yet, while others race on one path and readers read and walk. Every read of the
// contended path must be one writer's whole content.
func testFilesConcurrent(t *testing.T, v space.Files) {
	const goroutines, perGoroutine, writers = 8, 4, 4
	writeFile(t, v, "contended", sameNameContent(0))
	errs := make(chan error, goroutines*(perGoroutine+1)+2*writers)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range perGoroutine {
				data := blobData(uint64(170+g*perGoroutine+i), 4<<10+i)
				path := fmt.Sprintf("shared/%d/%d", i, g)
				errs <- v.WriteFile(t.Context(), path, bytes.NewReader(data), int64(len(data)))
			}
			errs <- v.Walk(t.Context(), "", func(space.FileInfo) error { return nil })
		})
	}
	for w := 1; w <= writers; w++ {
		wg.Go(func() {
			data := sameNameContent(w)
			errs <- v.WriteFile(t.Context(), "contended", bytes.NewReader(data), int64(len(data)))
		})
		wg.Go(func() { errs <- checkWholeFile(t, v, "contended", writers) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	for g := range goroutines {
		for i := range perGoroutine {
			requireFile(t, v, fmt.Sprintf("shared/%d/%d", i, g), blobData(uint64(170+g*perGoroutine+i), 4<<10+i))
		}
	}
	require.Len(t, walkPaths(t, v, "shared"), goroutines*perGoroutine)
	require.NoError(t, checkWholeFile(t, v, "contended", writers))
}

// checkWholeFile reads path and reports an error unless it holds exactly the content of one of
// writers 0 to last (see sameNameContent). It returns an error rather than failing, so that it
// can run on goroutines other than the test's.
func checkWholeFile(t *testing.T, v space.Files, path string, last int) error {
	r, info, err := v.OpenFile(t.Context(), path)
	if err != nil {
		return err
	}
	got, err := io.ReadAll(r)
	if cerr := r.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	for w := 0; w <= last; w++ {
		if bytes.Equal(got, sameNameContent(w)) && info.Size == int64(len(got)) {
			return nil
		}
	}
	return fmt.Errorf("%q holds %d bytes (info says %d) that are no writer's whole content", path, len(got), info.Size)
}
