package cluster_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/natsjs/natsjstest"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
	"github.com/sshchat/sshchat/sshchat/store"
)

// What an operator did on node A is in /modlog on node B.
func TestModlogShowsActionsOfEveryNode(t *testing.T) {
	nats := natsjstest.Run(t, natsjstest.Options{})
	opKey, eveKey := sshchattest.NewKey(t), sshchattest.NewKey(t)
	admins := writeAdmins(t, opKey)
	a := startClusterNode(t, nats.URL(), "a", sshchat.Config{AdminsFile: admins})
	b := startClusterNode(t, nats.URL(), "b", sshchat.Config{AdminsFile: admins})

	op := sshchattest.Dial(t, a.Addr, sshchattest.Options{User: "oper", Key: opKey})
	op.WaitFor("Welcome to #lobby, oper!")
	eve := sshchattest.Dial(t, a.Addr, sshchattest.Options{User: "eve", Key: eveKey})
	eve.WaitFor("Welcome to #lobby, eve!")
	op.Send("/topic a topic set on node A")
	op.WaitFor("a topic set on node A")
	op.Send("/kick eve flooding on node A")
	eve.WaitDisconnected()

	onB := sshchattest.Dial(t, b.Addr, sshchattest.Options{User: "oper", Key: opKey})
	onB.WaitFor("Welcome to #lobby")
	onB.Send("/modlog")
	text := onB.WaitFor("kick eve")
	if !containsLine(text, "topic #lobby: a topic set on node A") || !containsLine(text, "flooding on node A") {
		t.Fatalf("/modlog on B lacks A's actions:\n%s", text)
	}
	if strings.Index(text, "topic #lobby") > strings.Index(text, "kick eve") {
		t.Fatalf("/modlog on B out of order:\n%s", text)
	}
}

// However many actions operators take on however many nodes, the shared
// trail keeps the last 1000, each entry numbered once (two nodes racing
// never overwrite each other's), and an entry's texts are bounded.
func TestAuditTrailFloodIsCapped(t *testing.T) {
	nats := natsjstest.Run(t, natsjstest.Options{})
	a := openClusterStore(t, nats.URL(), "a")
	b := openClusterStore(t, nats.URL(), "b")
	const each = 525 // 1050 in all, past the 1000 kept
	base := time.Now()
	var wg sync.WaitGroup
	for node, s := range map[string]interface {
		Audit(ctx context.Context, e store.AuditEntry) error
	}{"a": a, "b": b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				e := store.AuditEntry{Time: base, Actor: "op", Action: "kick", Target: fmt.Sprintf("%s%d", node, i), Reason: strings.Repeat("r", 100<<10)}
				if err := s.Audit(testContext(t), e); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	log, err := a.AuditLog(testContext(t), 5000)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 1000 {
		t.Fatalf("the trail keeps %d entries, want 1000", len(log))
	}
	seen := map[string]bool{}
	for _, e := range log {
		if seen[e.Target] {
			t.Fatalf("entry %s kept twice", e.Target)
		}
		seen[e.Target] = true
		if len(e.Reason) > 1<<10 {
			t.Fatalf("a reason of %d bytes was kept", len(e.Reason))
		}
	}
	if !seen[fmt.Sprintf("a%d", each-1)] || !seen[fmt.Sprintf("b%d", each-1)] {
		t.Fatal("the newest entries are not in the trail")
	}
}
