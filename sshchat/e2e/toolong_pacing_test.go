package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// TestTooLongLinesArePaced: a line over the limit is a line typed like any
// other. In a terminal it goes through the sender's pacing; without a pty
// (bots, `ssh -T`, pipes) the over-long lines skipped it, so a client could
// make the server answer as fast as it could send, with no delay and no
// disconnect for flooding.
func TestTooLongLinesArePaced(t *testing.T) {
	const burst = 3
	clock := newFakeClock(time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC))
	srv := sshchattest.Start(t, sshchat.Config{Rate: 0.001, Burst: burst, Now: clock.Now})
	c := dialWelcome(t, srv.Addr, sshchattest.Options{User: "flood"})
	long := strings.Repeat("x", 1200)
	for range 20 {
		c.Send(long)
	}
	c.WaitCount("Not sent: the line is over", burst)
	// A line of another key shows the server has moved on; the flooder's
	// allowance (one line per 1000 s) admits nothing more meanwhile.
	other := sshchattest.NewKey(t)
	if _, _, status := run(t, srv.Addr, other, "marker", "say end of window"); status != 0 {
		t.Fatalf("say of another key: status %d", status)
	}
	c.WaitFor("marker: end of window")
	time.Sleep(200 * time.Millisecond)
	if n := strings.Count(c.Text(), "Not sent: the line is over"); n > burst {
		t.Fatalf("%d over-long lines answered with a burst of %d: they are not paced", n, burst)
	}
}
