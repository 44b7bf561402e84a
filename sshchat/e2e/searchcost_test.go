package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// sixteenA is the expensive search of the issue.
var sixteenA = "/search" + strings.Repeat(" a", 16)

// searchAnswered reports whether text holds an answer to a search.
func searchAnswered(text string) bool {
	for _, answer := range []string{" match", "Nothing in ", "Search is busy", "Search too broad", "Search is not available"} {
		if strings.Contains(text, answer) {
			return true
		}
	}
	return false
}

// TestSearchesCannotStarveJoins: eight guests (eight addresses) run the
// expensive search at once and the searches are held inside the store,
// holding every search connection, while another person joins, looks up
// a nick, reads /history and runs one-shot `history`: all of that is
// answered while the searches are still held, and the searches are
// answered once let go.
func TestSearchesCannotStarveJoins(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	talker := dialWelcome(t, srv.Addr, sshchattest.Options{User: "talker"})
	for i := range 5 {
		talker.Send(fmt.Sprintf("a line %d", i))
	}
	talker.WaitFor("talker: a line 4\n")

	entered := make(chan struct{}, 16)
	release := make(chan struct{})
	var returned atomic.Int32
	srv.SetSearchHook(func(context.Context) {
		entered <- struct{}{}
		<-release // held past its own deadline on purpose
		returned.Add(1)
	})
	released := false
	letGo := func() {
		if !released {
			released = true
			close(release)
		}
	}
	t.Cleanup(letGo) // before the server stops: cleanups run last first

	var guests []*sshchattest.Client
	for i := range 8 {
		g, err := sshchattest.TryDialFrom(t, srv.Addr, fmt.Sprintf("127.0.0.%d", i+2), sshchattest.Options{Guest: true})
		if err != nil {
			t.Fatal(err)
		}
		g.WaitFor("Welcome")
		g.Send(sixteenA)
		guests = append(guests, g)
	}
	select {
	case <-entered:
	case <-time.After(30 * time.Second):
		t.Fatal("no search reached the store")
	}

	// Every search connection is held now (the others queue for one).
	key := sshchattest.NewKey(t)
	late := dialWelcome(t, srv.Addr, sshchattest.Options{User: "late", Key: key})
	if out := block(t, late, "/whois talker"); !strings.Contains(out, "talker") {
		t.Errorf("/whois while searches are held: %q", out)
	}
	if out := block(t, late, "/history 3"); !strings.Contains(out, "talker: a line 4") {
		t.Errorf("/history while searches are held: %q", out)
	}
	out, errOut, status := run(t, srv.Addr, key, "late", "history 2")
	if status != 0 || !strings.HasSuffix(out, "talker: a line 4\n") {
		t.Errorf("one-shot history while searches are held: status %d, %q, %q", status, out, errOut)
	}
	late.Send("joined and talking")
	talker.WaitFor("late: joined and talking")
	if n := returned.Load(); n != 0 {
		t.Fatalf("%d held searches were let go early: the test proves nothing", n)
	}

	letGo()
	for i, g := range guests {
		g.WaitUntil(fmt.Sprintf("guest %d's search answered", i), searchAnswered)
	}
}

// TestSearchIsPacedPerKey: searches and history reads share one budget per
// key, across its sessions and one-shot commands (per address for
// guests); past it they are refused with the time to wait, other keys are
// not affected, and credits come back with time.
func TestSearchIsPacedPerKey(t *testing.T) {
	clock := newFakeClock(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC))
	srv := sshchattest.Start(t, sshchat.Config{HistoryBurst: 3, Now: clock.Now})
	key := sshchattest.NewKey(t)
	alice := dialWelcome(t, srv.Addr, sshchattest.Options{User: "alice", Key: key})
	alice2 := dialWelcome(t, srv.Addr, sshchattest.Options{User: "alice2", Key: key})
	bob := dialWelcome(t, srv.Addr, sshchattest.Options{User: "bob"})

	// Answers are compared by the line that says it: announcements of
	// people joining can arrive in between.
	const nothing = "*** Nothing in #lobby matches \"zebra\".\n"
	const paced = "*** Too many searches and history requests: try again in 2s.\n"
	expect := func(what string, c *sshchattest.Client, cmd, want string) {
		t.Helper()
		out := block(t, c, cmd)
		if !strings.Contains(out, want) || (!strings.Contains(want, "Too many") && strings.Contains(out, "Too many")) {
			t.Errorf("%s: %s answered %q, want %q", what, cmd, out, want)
		}
	}
	for i, c := range []*sshchattest.Client{alice, alice2, alice} {
		expect(fmt.Sprintf("search %d of the burst", i+1), c, "/search zebra", nothing)
	}
	expect("a search past the key's budget, from its other session", alice2, "/search zebra", paced)
	expect("/history past the key's budget", alice, "/history 300", "*** Too many searches and history requests: try again in 6s.\n")
	if _, errOut, status := run(t, srv.Addr, key, "alice", "history"); status != 1 || !strings.Contains(errOut, "too many searches and history requests") {
		t.Errorf("one-shot history past the key's budget: status %d, stderr %q", status, errOut)
	}
	expect("another key's search", bob, "/search zebra", nothing)

	// Guests are charged by address, whatever their connection.
	guest := func(ip string) *sshchattest.Client {
		c, err := sshchattest.TryDialFrom(t, srv.Addr, ip, sshchattest.Options{Guest: true})
		if err != nil {
			t.Fatal(err)
		}
		c.WaitFor("Welcome")
		return c
	}
	g1, g2, g3 := guest("127.0.0.2"), guest("127.0.0.2"), guest("127.0.0.3")
	for i := range 3 {
		expect(fmt.Sprintf("a guest's search %d within the budget", i+1), g1, "/search zebra", nothing)
	}
	expect("a search past the budget of the guest's address", g2, "/search zebra", paced)
	expect("a guest from another address", g3, "/search zebra", nothing)

	clock.Advance(2 * time.Second)
	expect("a search once a credit came back", alice, "/search zebra", nothing)
	expect("a second search on one credit", alice2, "/search zebra", paced)
}
