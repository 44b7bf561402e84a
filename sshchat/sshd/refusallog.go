package sshd

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// sampledLog logs at most a few lines a second of one kind of event that
// an attacker can cause at will (connections refused before the
// handshake), and says how many it left out, so that a flood cannot fill
// the disk or drown the other log lines.
type sampledLog struct {
	lim     *rate.Limiter
	skipped atomic.Int64
}

func newSampledLog() *sampledLog {
	return &sampledLog{lim: rate.NewLimiter(rate.Limit(5), 20)}
}

func (l *sampledLog) log(log *slog.Logger, level slog.Level, msg string, args ...any) {
	if !l.lim.AllowN(time.Now(), 1) {
		l.skipped.Add(1)
		return
	}
	if n := l.skipped.Swap(0); n > 0 {
		args = append(args, "not_logged_before", n)
	}
	log.Log(context.Background(), level, msg, args...)
}
