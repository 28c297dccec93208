package loadgen

import (
	"fmt"
	"io"
	"time"
)

// progress rewrites one status line on a writer (a terminal, typically) at an interval.
type progress struct {
	done chan struct{}
	fin  chan struct{}
}

// startProgress writes line() to w every interval, each time after a "\r", until stop. With a
// nil w it does nothing.
func startProgress(w io.Writer, interval time.Duration, line func() string) *progress {
	p := &progress{done: make(chan struct{}), fin: make(chan struct{})}
	if w == nil {
		close(p.fin)
		return p
	}
	go func() {
		defer close(p.fin)
		t := time.NewTicker(interval)
		defer t.Stop()
		width := 0 // of the longest line written, so that a shorter one blanks it out
		for {
			select {
			case <-p.done:
				if width > 0 {
					fmt.Fprintf(w, "\r%-*s\n", width, line())
				}
				return
			case <-t.C:
				s := line()
				width = max(width, len(s))
				fmt.Fprintf(w, "\r%-*s", width, s)
			}
		}
	}()
	return p
}

// stop ends the line (writing it a last time, then a newline) if any was written, and
// returns once nothing more will be written.
func (p *progress) stop() {
	close(p.done)
	<-p.fin
}
