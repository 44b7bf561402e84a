package chat

import "testing"

// BenchmarkMarkShown is what read markers add to each write of a member's
// writer: one batch of one line (the common case under load is more lines
// per write, which costs the same lock once).
func BenchmarkMarkShown(b *testing.B) {
	h := quietHub(Config{})
	defer h.Close()
	m, _ := join(b, h, "alice")
	ev := []*Event{{Kind: KindMessage, Room: "#lobby", Seq: 1}}
	for b.Loop() {
		ev[0].Seq++
		h.MarkShown(m, ev)
	}
}
