package cluster_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/natsjs/natsjstest"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// Two servers configured only with Config.NATS (what --nats sets) are one
// chat; while NATS is away each keeps its sessions open and refuses new
// lines with a message (nobody is shown a line that was not stored), and
// once NATS is back lines flow again without anyone reconnecting.
func TestLinesAreRefusedWhileNATSIsAwayAndFlowAfter(t *testing.T) {
	nats := natsjstest.Run(t, natsjstest.Options{})
	cfg := sshchat.Config{NATS: sshchat.NATSConfig{URL: nats.URL()}, Logger: quietLogger}
	a := sshchattest.Start(t, cfg)
	b := sshchattest.Start(t, cfg)

	alice := sshchattest.Dial(t, a.Addr, sshchattest.Options{User: "alice"})
	alice.WaitFor("Welcome to #lobby, alice!")
	bob := sshchattest.Dial(t, b.Addr, sshchattest.Options{User: "bob"})
	bob.WaitFor("Welcome to #lobby, bob!")
	alice.Send("before the outage")
	bob.WaitFor("alice: before the outage")

	if status, body := a.Get(t, "/readyz"); status != 200 {
		t.Fatalf("/readyz with NATS up: %d %s", status, body)
	}
	nats.Shutdown()
	// Not ready while NATS is away: a load balancer sends newcomers
	// elsewhere; who is here stays.
	// (The answer is cached for up to a second: poll, bounded.)
	for deadline := time.Now().Add(waitTimeout); ; {
		status, body := a.Get(t, "/readyz")
		if status == 503 && strings.Contains(body, "NATS") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz with NATS away: %d %q, want 503 naming NATS", status, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	alice.Send("during the outage")
	alice.WaitFor("Not sent: the server could not store it.")

	nats.Start()
	// The node reconnects by itself (backoff up to 5 s); until it has,
	// lines are refused as above. Retry one line at a time, each once the
	// previous was refused, polling every 100 ms, bounded in time.
	deadline := time.Now().Add(waitTimeout)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	refusals := countOf(alice.Text(), "Not sent")
	retries := 0
	for !containsLine(alice.Text(), "alice: after the outage") {
		if time.Now().After(deadline) {
			t.Fatalf("no line accepted %v after NATS came back (%d retries):\n%s", waitTimeout, retries, alice.Text())
		}
		if n := countOf(alice.Text(), "Not sent"); n >= refusals {
			refusals = n + 1 // the next refusal, if any, answers this line
			retries++
			alice.Send("after the outage")
		}
		<-tick.C
	}
	bob.WaitFor("alice: after the outage")
	t.Logf("%d lines sent before one was accepted after NATS restarted", retries)
	for deadline := time.Now().Add(waitTimeout); ; {
		if status, _ := a.Get(t, "/readyz"); status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("/readyz stayed unready after NATS came back")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if containsLine(bob.Text(), "during the outage") || containsLine(alice.Text(), "alice: during the outage") {
		t.Fatal("a line refused during the outage was shown")
	}
}
