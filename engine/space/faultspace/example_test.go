package faultspace_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/jointcloud/jcs/engine/space"
	"github.com/jointcloud/jcs/engine/space/faultspace"
	"github.com/jointcloud/jcs/engine/space/memspace"
)

// unavailable is a transient error, as a space that is briefly unreachable returns.
type unavailable struct{}

func (unavailable) Error() string   { return "unavailable" }
func (unavailable) Temporary() bool { return true }

// Example takes a space down for one shard, then corrupts it silently, as an engine test of
// degraded reads would.
func Example() {
	ctx := context.Background()
	s := faultspace.New(memspace.New())
	s.Put(ctx, "obj/0", strings.NewReader("shard"), 5)

	s.Fail(faultspace.OpOpen, faultspace.Name("obj/0"), unavailable{})
	_, err := s.Open(ctx, "obj/0")
	fmt.Println("open:", err, "temporary:", space.Temporary(err))

	s.Clear()
	s.Corrupt(faultspace.Name("obj/0"), 0, 1)
	r, _ := s.Open(ctx, "obj/0")
	defer r.Close()
	p := make([]byte, 5)
	r.ReadAt(p, 0)
	fmt.Printf("read: %q\n", p)
	// Output:
	// open: faultspace: open "obj/0": unavailable temporary: true
	// read: "\x8chard"
}
