package spacetest

import (
	"testing"

	"github.com/jointcloud/jcs/engine/space"
)

// testFilesOpenMissing opens paths that hold no file: each is an error wrapping ErrNotExist. A
// directory is not a regular file, so opening one counts as missing too; so does a path that
// passes through a file, which a local directory cannot hold and a bucket simply lacks.
func testFilesOpenMissing(t *testing.T, v space.Files) {
	writeFile(t, v, "dir/file", []byte("x"))
	for _, path := range []string{
		"missing",
		"dir/missing",
		"missing/deeper",
		"dir",            // a directory
		"dir/file/below", // through a file
		"dir/fil",        // a prefix of a file's name
	} {
		t.Run(path, func(t *testing.T) {
			requireNoFile(t, v, path)
		})
	}
}
