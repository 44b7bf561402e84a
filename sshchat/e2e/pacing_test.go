package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// countFrom counts the lines in text that nick said (plain "nick: ..."
// lines whose text starts with tag).
func countFrom(text, nick, tag string) int {
	n := 0
	for _, l := range lines(text) {
		if strings.HasPrefix(l, nick+": "+tag) {
			n++
		}
	}
	return n
}

// One key's allowance is shared by all of its sessions, on several
// connections, and by its one-shot `say`: more sessions do not buy more
// lines. The clock is frozen and the rate is one line per 1000 s, so after
// the burst nothing more can go through while the test runs, however
// slow the machine: exactly the burst is delivered.
func TestPacingSpansSessions(t *testing.T) {
	const burst = 5
	clock := newFakeClock(time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC))
	srv := sshchattest.Start(t, sshchat.Config{Rate: 0.001, Burst: burst, Now: clock.Now})
	watcher := dialWelcome(t, srv.Addr, sshchattest.Options{User: "watcher"})

	key := sshchattest.NewKey(t)
	var sessions []*sshchattest.Client
	for i := range 3 {
		c := dialWelcome(t, srv.Addr, sshchattest.Options{User: "spam", Key: key})
		sessions = append(sessions, c)
		watcher.WaitFor(fmt.Sprintf("*** %s joined", []string{"spam", "spam_2", "spam_3"}[i]))
	}
	// Two lines from each session in turn, one at a time: the first five
	// use up the key's burst, the sixth waits (for 1000 s).
	sent := 0
	for round := range 2 {
		for i, c := range sessions {
			c.Send(fmt.Sprintf("flood %d.%d", i, round))
			sent++
			if sent <= burst {
				watcher.WaitCount(": flood ", sent)
			}
		}
	}
	// One-shot say of the same key is refused at once, with exit 1 and a
	// line saying why, and posts nothing.
	for i := range 3 {
		_, stderr, status := run(t, srv.Addr, key, "spam", fmt.Sprintf("say flood say %d", i))
		if status != 1 || !strings.Contains(stderr, "not posted: you are sending more than") {
			t.Fatalf("say beyond the allowance: status %d, stderr %q; want 1 and a reason", status, stderr)
		}
	}
	// A marker from another key shows that the room has moved on: what
	// came before it is everything the flooder got through.
	other := sshchattest.NewKey(t)
	if _, _, status := run(t, srv.Addr, other, "marker", "say end of window"); status != 0 {
		t.Fatalf("say of another key: status %d", status)
	}
	text := watcher.WaitFor("marker: end of window")
	got := 0
	for _, nick := range []string{"spam", "spam_2", "spam_3"} {
		got += countFrom(text, nick, "flood")
	}
	if got != burst {
		t.Fatalf("%d lines of one key got through with 3 sessions and say, want the burst of %d:\n%s", got, burst, text)
	}

	// Time moves on: the allowance comes back for the whole key, once.
	clock.Advance(3 * 1000 * time.Second)
	if _, stderr, status := run(t, srv.Addr, key, "spam", "say flood after the pause"); status != 0 {
		t.Fatalf("say after the allowance came back: status %d, %s", status, stderr)
	}
	watcher.WaitFor("flood after the pause")
}
