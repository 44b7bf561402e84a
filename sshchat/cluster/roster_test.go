package cluster_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/chat"
	"github.com/sshchat/sshchat/sshchat/natsjs/natsjstest"
)

// The largest roster a node writes (chat.MaxRosterEntries people, each
// with the longest nick, room and away text) fits one value of the roster
// bucket and reaches the other node's memory whole; a roster emptied by
// its node (it stopped) drops out at once.
func TestLargestRosterCrossesNodes(t *testing.T) {
	nats := natsjstest.Run(t, natsjstest.Options{})
	a := openClusterStore(t, nats.URL(), "a")
	b := openClusterStore(t, nats.URL(), "b")

	people := make([]chat.WhoEntry, chat.MaxRosterEntries)
	for i := range people {
		people[i] = chat.WhoEntry{
			Nick: fmt.Sprintf("n%023d", i),      // 24 bytes: the longest nick
			Room: "#" + strings.Repeat("r", 31), // 32 bytes: the longest room
			Away: strings.Repeat("\u00e9", 32),  // 64 bytes, two-byte runes
		}
	}
	if err := a.PutRoster(testContext(t), "node-a", people); err != nil {
		t.Fatalf("put the largest roster: %v", err)
	}
	waitRosterUntil(t, "node B holds node A's whole roster", func() bool {
		return len(b.Rosters()["node-a"]) == chat.MaxRosterEntries
	})
	if got := b.Rosters()["node-a"][chat.MaxRosterEntries-1]; got != people[chat.MaxRosterEntries-1] {
		t.Fatalf("last entry %+v, want %+v", got, people[chat.MaxRosterEntries-1])
	}

	if err := a.PutRoster(testContext(t), "node-a", nil); err != nil {
		t.Fatal(err)
	}
	waitRosterUntil(t, "node A's emptied roster gone from node B", func() bool {
		_, ok := b.Rosters()["node-a"]
		return !ok
	})
}

// waitRosterUntil polls cond until it holds, at most waitTimeout.
func waitRosterUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(10 * time.Millisecond) // a pause between polls
	}
}
