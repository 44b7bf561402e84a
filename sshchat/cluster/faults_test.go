package cluster_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/natsjs/natsjstest"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// floodLines is how many lines each flooder types: enough that the fault
// lands in the middle, few enough for a loaded 2-core machine.
const floodLines = 100

// A node dies (Close: every connection cut at once, no goodbye) while
// members on both nodes flood the room. Its members reconnect to the
// other node, and every line anyone saw, on either node, before or after
// the crash, is in the surviving node's history in the order they saw it:
// a line is shown only once the stream holds it.
func TestNodeKilledMidFloodLosesNothingSeen(t *testing.T) {
	nats := natsjstest.Run(t, natsjstest.Options{})
	cfg := sshchat.Config{NATS: sshchat.NATSConfig{URL: nats.URL()}, Logger: quietLogger}
	a := sshchattest.Start(t, cfg)
	b := sshchattest.Start(t, cfg)

	aliceKey, carolKey := sshchattest.NewKey(t), sshchattest.NewKey(t)
	alice := sshchattest.Dial(t, a.Addr, sshchattest.Options{User: "alice", Key: aliceKey})
	alice.WaitFor("Welcome to #lobby, alice!")
	carol := sshchattest.Dial(t, a.Addr, sshchattest.Options{User: "carol", Key: carolKey})
	carol.WaitFor("Welcome to #lobby, carol!")
	bob := sshchattest.Dial(t, b.Addr, sshchattest.Options{User: "bob"})
	bob.WaitFor("Welcome to #lobby, bob!")
	dave := sshchattest.Dial(t, b.Addr, sshchattest.Options{User: "dave"})
	dave.WaitFor("Welcome to #lobby, dave!")

	var wg sync.WaitGroup
	for _, c := range []*sshchattest.Client{alice, bob} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			flood(c, floodLines)
		}()
	}
	// Kill node A once a member of B has seen a tenth of A's flood.
	dave.WaitUntil("part of alice's flood", func(text string) bool {
		return strings.Count(text, "alice: n") >= floodLines/10
	})
	killed := time.Now()
	if err := a.Close(); err != nil {
		t.Logf("close node A: %v", err) // its connections were cut: expected noise
	}
	alice.WaitDisconnected()
	carol.WaitDisconnected()
	wg.Wait()

	// A's members come back on B, with the same keys.
	alice2 := sshchattest.Dial(t, b.Addr, sshchattest.Options{User: "alice", Key: aliceKey})
	alice2.WaitFor("Welcome to #lobby")
	carol2 := sshchattest.Dial(t, b.Addr, sshchattest.Options{User: "carol", Key: carolKey})
	carol2.WaitFor("Welcome to #lobby")
	t.Logf("node A killed; its members back on node B after %v", time.Since(killed).Round(time.Millisecond))

	bob.Send(endOfFlood)
	for _, c := range []*sshchattest.Client{bob, dave, alice2, carol2} {
		c.WaitFor("bob: " + endOfFlood)
	}
	history := historyOf(t, carol2)
	seen := map[string][]string{
		"alice on A": saidLines(alice.Text()),
		"carol on A": saidLines(carol.Text()),
		"bob on B":   saidLines(bob.Text()),
		"dave on B":  saidLines(dave.Text()),
		"alice on B": saidLines(alice2.Text()),
	}
	assertSeenInHistory(t, history, seen)
	// The flood from B went on through the crash: B's own members saw
	// all of it.
	if n := strings.Count(strings.Join(seen["dave on B"], " "), "bob:"); n < floodLines+1 {
		t.Errorf("dave saw %d of bob's %d lines", n, floodLines+1)
	}
	t.Logf("history holds %d numbered lines; alice's last seen on A: %d lines", len(history), len(seen["alice on A"]))
}
