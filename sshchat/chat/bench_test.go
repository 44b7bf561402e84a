package chat

import (
	"fmt"
	"testing"
)

// BenchmarkFanout publishes one line to a room of 1,000 members with
// in-memory outboxes, and drains each outbox the way a session writer does
// (rendering every event in the pty style, then reporting the write to the
// hub). ns/delivery is the cost of one line reaching one member's write
// buffer; metrics=on against metrics=off is what counting costs (the
// deliveries counter, the fan-out latency histogram).
func BenchmarkFanout(b *testing.B) {
	for _, members := range []int{100, 1000} {
		for _, metrics := range []bool{false, true} {
			b.Run(fmt.Sprintf("members=%d/metrics=%s", members, onOff(metrics)), func(b *testing.B) {
				benchmarkFanout(b, members, metrics)
			})
		}
	}
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

func benchmarkFanout(b *testing.B, members int, metrics bool) {
	cfg := Config{Scrollback: -1}
	if metrics {
		cfg.Metrics = &Metrics{}
	}
	h := quietHub(cfg)
	defer h.Close()
	var ms []*Member
	for i := range members {
		m, err := h.Join(Identity{User: fmt.Sprintf("m%04d", i)}, &fakePeer{})
		if err != nil {
			b.Fatal(err)
		}
		ms = append(ms, m)
	}
	sender := ms[0]
	bufs := make([][]byte, members)
	events := make([]*Event, 0, 64)
	drain := func() {
		for i, m := range ms {
			events = m.Outbox().Drain(events[:0])
			buf := bufs[i][:0]
			for _, ev := range events {
				buf = append(buf, ev.Bytes(StyleANSI)...)
			}
			bufs[i] = buf
			h.FanoutWritten(m, events)
			clear(events)
		}
	}
	drain()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		h.Handle(sender, "a line of ordinary chat, about sixty bytes long, give or take")
		if i%32 == 31 {
			drain()
		}
	}
	drain()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*members), "ns/delivery")
}
