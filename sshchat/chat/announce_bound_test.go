package chat

import (
	"fmt"
	"strings"
	"testing"
)

// Joins and leaves alternating faster than announcements go out (a
// reconnect loop) gather into a bounded number of runs of bounded size,
// and every one of them is still counted.
func TestAnnouncementFloodIsBounded(t *testing.T) {
	h := quietHub(Config{})
	defer h.Close()
	observer, _ := join(t, h, "observer")
	a := h.lobby.announcer
	const flood = 2000
	for i := range flood {
		a.add(i%2 == 0, fmt.Sprintf("n%04d", i))
		a.mu.Lock()
		runs := len(a.pending)
		biggest := 0
		for _, r := range a.pending {
			biggest = max(biggest, len(r.nicks))
		}
		a.mu.Unlock()
		if runs > maxPendingRuns || biggest > a.cfg.Names+1 {
			t.Fatalf("after %d announcements: %d runs (limit %d), a run of %d nicks", i+1, runs, maxPendingRuns, biggest)
		}
	}
	// Everything is still announced, in few lines.
	counted, lines := 0, 0
	text := ""
	for counted < flood+1 {
		text = waitText(t, observer, "here)")
		for _, l := range strings.Split(text, "\n") {
			if !strings.HasPrefix(l, "*** ") || !strings.Contains(l, "here)") {
				continue
			}
			lines++
			head, _, _ := strings.Cut(strings.TrimPrefix(l, "*** "), " joined")
			head, _, _ = strings.Cut(head, " left")
			counted += countNames(t, head)
		}
	}
	if counted != flood+1 {
		t.Fatalf("announced %d joins and leaves, want %d", counted, flood+1)
	}
	t.Logf("%d joins and leaves announced in %d lines", counted, lines)
}
