package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// makeStuck has c (a client that does not read) ask for help until the
// server's writes to it block, without anything going through the store.
func makeStuck(c *sshchattest.Client) {
	c.Write(strings.Repeat("/help\n", 4000)) // several MB of answers: far beyond the 2 MiB window
}

// A store whose Append never returns must not stop the watchdog from
// cutting stuck clients, nor shutdown from finishing in time: nothing that
// leaves, cuts or shuts down waits on the store, and whoever publishes
// waits a bounded time.
func TestStuckStoreDoesNotHangShutdownOrWatchdog(t *testing.T) {
	fs := &faultStore{}
	srv := sshchattest.Start(t, sshchat.Config{WrapStore: fs.wrap, StuckTimeout: time.Second, OutboxBytes: 64 << 20})
	t.Cleanup(fs.release) // after the server has stopped (cleanups run last first)
	stuckA := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "stuckA", NoRead: true})
	stuckB := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "stuckB", NoRead: true})
	sender := dialWelcome(t, srv.Addr, sshchattest.Options{User: "sender"})

	fs.hold()
	sender.Send("this line waits for the store forever")
	waitUntil(t, "an Append held by the store", func() bool { return fs.heldNow.Load() > 0 })
	joinStart := time.Now()
	late := dialWelcome(t, srv.Addr, sshchattest.Options{User: "late"}) // joining waits a bounded time
	t.Logf("a join with the store stuck took %v", time.Since(joinStart).Round(time.Millisecond))

	cutStart := time.Now()
	makeStuck(stuckA)
	stuckA.WaitDisconnected()
	// The watchdog is still at work after cutting someone while the
	// store is stuck (cutting announces a leave).
	makeStuck(stuckB)
	stuckB.WaitDisconnected()
	t.Logf("two stuck clients cut in %v with the store stuck (StuckTimeout 1s)", time.Since(cutStart).Round(time.Millisecond))
	late.Send("/who")
	late.WaitFor("sender")

	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := srv.Shutdown(ctx)
	if took := time.Since(start); err != nil || took > 10*time.Second {
		t.Fatalf("shutdown with a stuck store: %v after %v", err, took.Round(time.Millisecond))
	} else {
		t.Logf("shutdown with a stuck store took %v", took.Round(time.Millisecond))
	}
	if text := sender.Text(); strings.Contains(text, "sender: this line waits") {
		t.Fatalf("a line the store never took was shown:\n%s", text)
	}
}

// waitUntil polls cond until it holds, failing the test after 15 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond) // polling a condition, with a deadline
	}
}
