package cluster_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/natsjs"
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

// One of three NATS servers stops (the stream's leader, the worst one)
// while a member floods the room, with the stream and buckets on three
// replicas. Nothing a member was shown is lost, and once JetStream has
// elected a new leader (lines are refused meanwhile, not lost) lines flow
// again without anyone reconnecting.
func TestOneOfThreeNATSServersStoppedMidFlood(t *testing.T) {
	nc := natsjstest.RunCluster(t, 3, natsjstest.Options{})
	cfg := sshchat.Config{
		NATS:   sshchat.NATSConfig{URL: strings.Join(nc.URLs(), ","), Replicas: 3},
		Logger: quietLogger,
	}
	a := sshchattest.Start(t, cfg)
	b := sshchattest.Start(t, cfg)

	alice := sshchattest.Dial(t, a.Addr, sshchattest.Options{User: "alice"})
	alice.WaitFor("Welcome to #lobby, alice!")
	bob := sshchattest.Dial(t, b.Addr, sshchattest.Options{User: "bob"})
	bob.WaitFor("Welcome to #lobby, bob!")

	done := make(chan struct{})
	go func() {
		defer close(done)
		flood(alice, floodLines)
	}()
	bob.WaitUntil("part of alice's flood", func(text string) bool {
		return strings.Count(text, "alice: n") >= floodLines/10
	})
	leader := streamLeader(t, nc)
	leaderName := leader.NATS().Name()
	stopped := time.Now()
	leader.Shutdown()
	<-done

	// Lines flow again: retry one line at a time, each once the previous
	// was refused, bounded in time (an election takes seconds).
	const failoverTimeout = 60 * time.Second
	deadline := time.Now().Add(failoverTimeout)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	refusals := countOf(alice.Text(), "Not sent")
	retries := 0
	for !containsLine(alice.Text(), "alice: after the fail-over") {
		if time.Now().After(deadline) {
			t.Fatalf("no line accepted %v after a NATS server stopped (%d tries):\n%s", failoverTimeout, retries, alice.Text())
		}
		if n := countOf(alice.Text(), "Not sent"); n >= refusals || retries == 0 {
			refusals = n + 1
			retries++
			alice.Send("after the fail-over")
		}
		<-tick.C
	}
	t.Logf("stopped NATS server %s (stream leader); a line was accepted again after %v (%d tries, %d lines refused in all)",
		leaderName, time.Since(stopped).Round(time.Millisecond), retries, countOf(alice.Text(), "Not sent"))
	bob.WaitFor("alice: after the fail-over")

	alice.Send(endOfFlood)
	alice.WaitFor("alice: " + endOfFlood)
	bob.WaitFor("alice: " + endOfFlood)
	// What they saw before asking (the answer repeats it).
	seen := map[string][]string{
		"alice on A": saidLines(alice.Text()),
		"bob on B":   saidLines(bob.Text()),
	}
	history := historyOf(t, bob)
	assertSeenInHistory(t, history, seen)
	t.Logf("alice saw %d of her %d flood lines accepted; history holds %d numbered lines",
		len(seen["alice on A"])-1, floodLines, len(history))
}

// streamLeader returns the running server that leads the chat stream,
// waiting (bounded) until one does.
func streamLeader(t *testing.T, nc *natsjstest.Cluster) *natsjstest.Server {
	t.Helper()
	for deadline := time.Now().Add(waitTimeout); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, s := range nc.Servers {
			if srv := s.NATS(); srv != nil && srv.JetStreamIsStreamLeader("$G", natsjs.DefaultStreamName) {
				return s
			}
		}
	}
	t.Fatalf("no stream leader within %v", waitTimeout)
	return nil
}
