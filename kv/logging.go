package kv

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
)

// pebbleLogger adapts Pebble's logger to slog. Pebble logs every flush and
// compaction at "info", noise in a server log, so Infof maps to Debug.
type pebbleLogger struct {
	l *slog.Logger
}

var _ pebble.Logger = pebbleLogger{}

func (p pebbleLogger) log(level slog.Level, format string, args []any) {
	ctx := context.Background()
	if p.l.Enabled(ctx, level) {
		p.l.Log(ctx, level, fmt.Sprintf(format, args...))
	}
}

// Infof implements pebble.Logger at slog.LevelDebug.
func (p pebbleLogger) Infof(format string, args ...any) { p.log(slog.LevelDebug, format, args) }

// Errorf implements pebble.Logger at slog.LevelError.
func (p pebbleLogger) Errorf(format string, args ...any) { p.log(slog.LevelError, format, args) }

// Fatalf implements pebble.Logger. Pebble expects it not to return; a
// library must not exit the process, so it logs and panics.
func (p pebbleLogger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	p.l.Error(msg)
	panic("kv: pebble fatal error: " + msg)
}

// eventListener logs Pebble's events at Debug, except write stalls (counted
// in *stalls) and slow disks, which an operator must see, at Warn.
func eventListener(logger pebbleLogger, stalls *atomic.Int64) *pebble.EventListener {
	warn := pebble.EventListener{
		WriteStallBegin: func(info pebble.WriteStallBeginInfo) {
			stalls.Add(1)
			logger.l.Warn("kv: write stall", "reason", info.Reason)
		},
		DiskSlow: func(info pebble.DiskSlowInfo) {
			logger.l.Warn("kv: slow disk", "path", info.Path, "op", info.OpType.String(),
				"duration", info.Duration)
		},
	}
	el := pebble.TeeEventListener(pebble.MakeLoggingEventListener(logger), warn)
	return &el
}
