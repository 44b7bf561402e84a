package cluster_test

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/natsjs/natsjstest"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// Two whole nodes on one NATS, nothing else shared: lines typed on both
// reach every member in one order, and someone joining later on either
// node sees the other node's lines in the scrollback (each node's read
// model is filled from the stream).
func TestClusterNodesAreOneChat(t *testing.T) {
	nats := natsjstest.Run(t, natsjstest.Options{})
	a := startClusterNode(t, nats.URL(), "a", sshchat.Config{})
	b := startClusterNode(t, nats.URL(), "b", sshchat.Config{})

	alice := sshchattest.Dial(t, a.Addr, sshchattest.Options{User: "alice"})
	alice.WaitFor("Welcome to #lobby, alice!")
	bob := sshchattest.Dial(t, b.Addr, sshchattest.Options{User: "bob"})
	bob.WaitFor("Welcome to #lobby, bob!")

	alice.Send("hello from node A")
	bob.WaitFor("alice: hello from node A")
	bob.Send("hello from node B")
	alice.WaitFor("bob: hello from node B")

	const each = 15
	var wg sync.WaitGroup
	for _, c := range []*sshchattest.Client{alice, bob} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				c.Send(fmt.Sprintf("n%d", i))
			}
		}()
	}
	wg.Wait()
	var orders []string
	for _, c := range []*sshchattest.Client{alice, bob} {
		text := c.WaitUntil("every numbered line", func(text string) bool {
			return len(saidLines(text)) >= 2*each
		})
		orders = append(orders, strings.Join(saidLines(text), " "))
	}
	if orders[0] != orders[1] {
		t.Fatalf("the two nodes showed different orders:\nA: %s\nB: %s", orders[0], orders[1])
	}
	if n := len(strings.Fields(orders[0])); n != 2*each {
		t.Fatalf("saw %d numbered lines, want %d", n, 2*each)
	}

	// A latecomer on node B sees node A's lines in the scrollback.
	carol := sshchattest.Dial(t, b.Addr, sshchattest.Options{User: "carol"})
	carol.WaitFor("Welcome to #lobby, carol!")
	carol.WaitFor("alice: hello from node A")
}

var welcome = regexp.MustCompile(`Welcome to #lobby, (\S+)!`)

// Two keys ask for the same nick at once, one on each node: exactly one
// gets it, whichever node it is on.
func TestNickClaimRaceAcrossNodesHasOneWinner(t *testing.T) {
	nats := natsjstest.Run(t, natsjstest.Options{})
	a := startClusterNode(t, nats.URL(), "a", sshchat.Config{})
	b := startClusterNode(t, nats.URL(), "b", sshchat.Config{})
	const rounds = 5
	for round := range rounds {
		nick := fmt.Sprintf("zed%d", round)
		clients := make([]*sshchattest.Client, 2)
		var wg sync.WaitGroup
		for i, addr := range []string{a.Addr, b.Addr} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				clients[i] = sshchattest.Dial(t, addr, sshchattest.Options{User: nick, Key: sshchattest.NewKey(t)})
			}()
		}
		wg.Wait()
		winners := 0
		for _, c := range clients {
			// The whole welcome line, so that a half-received one is not
			// counted as a loss.
			text := c.WaitUntil("a welcome", func(text string) bool { return welcome.MatchString(text) })
			if welcome.FindStringSubmatch(text)[1] == nick {
				winners++
			}
		}
		if winners != 1 {
			t.Fatalf("round %d: %d sessions got %s, want exactly 1:\nA: %s\nB: %s",
				round, winners, nick, clients[0].Text(), clients[1].Text())
		}
		for _, c := range clients {
			c.Close()
		}
	}
}

// An operator's ban on node A removes the banned key's session on node
// B, and node B refuses the key afterwards (bans are shared in NATS).
func TestClusterBanReachesTheOtherNode(t *testing.T) {
	nats := natsjstest.Run(t, natsjstest.Options{})
	opKey, eveKey := sshchattest.NewKey(t), sshchattest.NewKey(t)
	admins := writeAdmins(t, opKey)
	a := startClusterNode(t, nats.URL(), "a", sshchat.Config{AdminsFile: admins})
	b := startClusterNode(t, nats.URL(), "b", sshchat.Config{AdminsFile: admins})

	op := sshchattest.Dial(t, a.Addr, sshchattest.Options{User: "oper", Key: opKey})
	op.WaitFor("Welcome to #lobby, oper!")
	eve := sshchattest.Dial(t, b.Addr, sshchattest.Options{User: "eve", Key: eveKey})
	eve.WaitFor("Welcome to #lobby, eve!")
	op.WaitFor("eve joined")

	start := time.Now()
	op.Send("/ban eve")
	eve.WaitFor("You were banned")
	t.Logf("ban on A reached eve on B after %v", time.Since(start).Round(time.Millisecond))
	eve.WaitDisconnected()

	again, err := sshchattest.TryDial(t, b.Addr, sshchattest.Options{User: "eve", Key: eveKey})
	if err == nil {
		again.WaitDisconnected()
		if strings.Contains(again.Text(), "Welcome") {
			t.Fatalf("the banned key was welcomed again on node B: %q", again.Text())
		}
	}
}
