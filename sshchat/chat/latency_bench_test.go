package chat_test

import (
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/chat"
	"github.com/sshchat/sshchat/sshchat/store"
	"github.com/sshchat/sshchat/sshchat/store/sqlite"
)

type nopPeer struct{}

func (nopPeer) Disconnect(string) {}

// BenchmarkFanoutLatency measures how long a line takes from Handle to the
// outbox of the last of 1,000 members, with history off (nothing stored)
// and on (stored in SQLite before fan-out). Lines are sent one at a time,
// so this is latency, not throughput; p50 and p99 are reported.
func BenchmarkFanoutLatency(b *testing.B) {
	for _, history := range []string{"off", "sqlite"} {
		b.Run("history="+history, func(b *testing.B) {
			logger := slog.New(slog.NewTextHandler(io.Discard, nil))
			cfg := chat.Config{Logger: logger, Scrollback: -1}
			if history == "sqlite" {
				st, err := sqlite.Open(filepath.Join(b.TempDir(), "bench.db"), sqlite.Options{Logger: logger})
				if err != nil {
					b.Fatal(err)
				}
				defer st.Close()
				cfg.Store = store.Store(st)
			}
			h, err := chat.NewHub(cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer h.Close()
			var ms []*chat.Member
			for i := range 1000 {
				m, err := h.Join(chat.Identity{User: fmt.Sprintf("m%04d", i), Fingerprint: fmt.Sprintf("SHA256:m%04d", i)}, nopPeer{})
				if err != nil {
					b.Fatal(err)
				}
				ms = append(ms, m)
			}
			sender, last := ms[0], ms[len(ms)-1]
			drain := func() {
				for _, m := range ms {
					m.Outbox().Drain(nil)
				}
			}
			// Wait for the gathered join announcement, so that it does not
			// land in the measurement.
			timeout := time.After(10 * time.Second)
			for settled := false; !settled; {
				select {
				case <-last.Outbox().Ready():
				case <-timeout:
					b.Fatal("join announcements never settled")
				}
				for _, ev := range last.Outbox().Drain(nil) {
					settled = settled || strings.HasSuffix(ev.Text, "(1000 here)")
				}
			}
			drain()
			var lat []time.Duration
			b.ResetTimer()
			for b.Loop() {
				start := time.Now()
				h.Handle(sender, "a line of ordinary chat, about sixty bytes long, give or take")
				for arrived := false; !arrived; {
					<-last.Outbox().Ready()
					for _, ev := range last.Outbox().Drain(nil) {
						arrived = arrived || ev.From == sender.Nick()
					}
				}
				lat = append(lat, time.Since(start))
				drain()
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
		})
	}
}
