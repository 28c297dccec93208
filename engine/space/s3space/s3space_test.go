package s3space_test

import (
	"testing"

	"github.com/jointcloud/jcs/engine/space"
	"github.com/jointcloud/jcs/engine/space/s3space"
	"github.com/jointcloud/jcs/engine/space/spacetest"
)

// TestConformance runs the conformance suite once per way an upload can travel, so that every
// path meets every sentence of the contract with the suite's small blobs: the default sizes
// (most blobs buffered), streaming every non-empty blob of known size, and multipart uploads
// of 64 KiB parts for everything that is not empty.
func TestConformance(t *testing.T) {
	f := newFakeS3(t)
	for _, tc := range []struct {
		name                           string
		bufferMax, streamMax, partSize int64
	}{
		{"default", -1, 0, 0},
		{"streaming", 0, 1 << 40, 64 << 10},
		{"multipart", 0, 0, 64 << 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spacetest.Run(t, func(t *testing.T) space.Space {
				s := f.newSpace(t, "")
				if tc.bufferMax >= 0 {
					s3space.SetTuning(s, tc.bufferMax, tc.streamMax, tc.partSize)
				}
				return s
			})
		})
	}
}

// TestConformanceRangeIgnored runs the suite against a server that ignores Range headers and
// always sends whole objects, which ReadAt must cope with.
func TestConformanceRangeIgnored(t *testing.T) {
	f := newFakeS3(t, ignoreRange)
	spacetest.Run(t, func(t *testing.T) space.Space { return f.newSpace(t, "") })
}
