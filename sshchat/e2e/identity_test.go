package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

func TestNickIsOwnedByKeyAcrossRestarts(t *testing.T) {
	keyA, keyB := sshchattest.NewKey(t), sshchattest.NewKey(t)
	srv := sshchattest.Start(t, sshchat.Config{})

	a := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "alice", Key: keyA})
	a.WaitFor("*** Welcome to #lobby, alice!")
	a.Send("/whoami")
	a.WaitFor("*** Your key owns the nick alice.\n")

	// Another key asking for alice as its user name gets another name and
	// one line saying why.
	b := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "Alice", Key: keyB, PTY: true})
	text := b.WaitFor("Welcome to #lobby, Alice_2!")
	// (A pty session's lines may carry the redrawn prompt in front.)
	if line := lineWith(t, text, "belongs to"); !strings.HasSuffix(line, "*** Alice belongs to someone else's key, so you are Alice_2. Type /nick NAME to change it.") {
		t.Errorf("explanation line is %q", line)
	}
	b.Send("/whoami")
	b.WaitFor("*** Your key owns no nick. /nick NAME claims one.")

	// ... and by /nick, also while alice is offline.
	b.Send("/nick alice")
	b.WaitFor("*** Not changed: alice is in use.")
	a.Send("/quit")
	if err := a.WaitClosed(); err != nil {
		t.Fatal(err)
	}
	b.Send("/nick ALICE")
	b.WaitFor("*** Not changed: ALICE belongs to someone else's key.")

	// After a restart on the same data folder: B still cannot have alice,
	// A gets it back.
	srv = restart(t, srv, a, b)
	b = sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "alice", Key: keyB})
	b.WaitFor("*** alice belongs to someone else's key, so you are alice_2. Type /nick NAME to change it.\n")
	b.WaitFor("Welcome to #lobby, alice_2!")
	a = sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "alice", Key: keyA})
	a.WaitFor("*** Welcome to #lobby, alice! 2 online.")
	if strings.Contains(a.Text(), "belongs to") {
		t.Errorf("the owner was told the nick belongs to someone else:\n%s", a.Text())
	}

	// /nick moves the ownership; the old nick is released for others.
	a.Send("/nick alicia")
	b.WaitFor("*** alice is now known as alicia.")
	a.Send("/whoami")
	a.WaitFor("*** Your key owns the nick alicia.\n")
	b.Send("/nick alice")
	a.WaitFor("*** alice_2 is now known as alice.")
	b.Send("/whoami")
	b.WaitFor("*** Your key owns the nick alice.\n")
	a.Send("/nick alice")
	a.WaitFor("*** Not changed: alice is in use.")

	// Guests are Guest-N, whatever they ask for, and cannot take an owned
	// nick, online or not.
	g := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "alicia", Guest: true})
	g.WaitFor("*** You have no SSH key, so you are the guest Guest-1. Connect with a key to own a nick, keep your settings and ignore list, and catch up on what you missed.")
	g.Send("/nick alicia")
	g.WaitFor("*** Not changed: alicia is in use.")
	b.Send("/quit")
	if err := b.WaitClosed(); err != nil {
		t.Fatal(err)
	}
	g.Send("/nick alice")
	g.WaitFor("*** Not changed: alice belongs to someone else's key.")
	a.Send("/nick alice")
	a.WaitFor("*** Not changed: alice belongs to someone else's key.")
	g.Send("/whoami")
	g.WaitFor("*** You are a guest: connect with an SSH key to own a nick.")

	// Ownership survives a second restart after the move.
	srv = restart(t, srv, a, b, g)
	b = sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "alicia", Key: keyB})
	b.WaitFor("Welcome to #lobby, alice!") // its own nick, since alicia is A's
	b.WaitFor("*** alicia belongs to someone else's key, so you are alice.")
}

// TestGuestNamesAreNotOwnedNicks: a key may not own a nick shaped like a
// guest name, so a guest is never given a nick some key owns.
func TestGuestNamesAreNotOwnedNicks(t *testing.T) {
	key := sshchattest.NewKey(t)
	srv := sshchattest.Start(t, sshchat.Config{})
	k := dialWelcome(t, srv.Addr, sshchattest.Options{User: "Guest-1", Key: key})
	k.Send("/nick guest-7")
	k.WaitFor("*** Not changed: names starting with Guest- are given to guests without a key.")
	k.Send("/whoami")
	if text := waitLine(k, "Your key "); !strings.Contains(text, "*** Your key owns no nick.") {
		t.Fatalf("a key owns a guest-shaped nick:\n%s", text)
	}
	k.Send("/quit")
	if err := k.WaitClosed(); err != nil {
		t.Fatal(err)
	}
	g := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "visitor", Guest: true})
	g.WaitFor("*** You have no SSH key, so you are the guest Guest-")
}

func TestWhoisAndWhoami(t *testing.T) {
	clock := newFakeClock(time.Now())
	t0 := clock.Now()
	opKey, aliceKey := sshchattest.NewKey(t), sshchattest.NewKey(t)
	srv, op := startWithOperator(t, sshchat.Config{Now: clock.Now}, opKey)
	alice := dialWelcome(t, srv.Addr, sshchattest.Options{User: "alice", Key: aliceKey})
	bob := dialWelcome(t, srv.Addr, sshchattest.Options{User: "bob"})
	guest := dialWelcome(t, srv.Addr, sshchattest.Options{User: "g", Guest: true})

	since := t0.UTC().Format("2006-01-02 15:04 MST")
	clock.Advance(90 * time.Second)
	bob.Send("/whois alice")
	bob.WaitFor(fmt.Sprintf("*** alice: key %s, in #lobby, connected since %s (1m30s), idle 1m30s\n", keyFingerprint(aliceKey), since))
	alice.Send("here now")
	bob.WaitFor("alice: here now")
	clock.Advance(30 * time.Second)
	bob.Send("/whois ALICE")
	bob.WaitFor(fmt.Sprintf("*** alice: key %s, in #lobby, connected since %s (2m0s), idle 30s\n", keyFingerprint(aliceKey), since))
	bob.Send("/whois Guest-1")
	bob.WaitFor(fmt.Sprintf("*** Guest-1: key guest (no key), in #lobby, connected since %s (2m0s), idle 2m0s\n", since))
	bob.Send("/whois oper")
	bob.WaitFor("*** oper is an operator.")
	bob.Send("/whois nobody")
	bob.WaitFor("*** No one called nobody is online.")
	if text := bob.Text(); strings.Contains(text, "connects from") || strings.Contains(text, "127.0.0.1") || strings.Contains(text, "SSH-2.0") {
		t.Errorf("a non-operator sees addresses or client versions:\n%s", text)
	}

	// Operators also see the address and client version.
	op.Send("/whois alice")
	op.WaitFor(fmt.Sprintf("*** alice connects from %s with SSH-2.0-Go\n", alice.LocalAddr()))
	op.Send("/whois Guest-1")
	op.WaitFor(fmt.Sprintf("*** Guest-1 connects from %s with SSH-2.0-Go\n", guest.LocalAddr()))

	alice.Send("/whoami")
	alice.WaitFor(fmt.Sprintf("*** alice: key %s, in #lobby", keyFingerprint(aliceKey)))
	alice.WaitFor("*** Your key owns the nick alice.")
	guest.Send("/whoami")
	guest.WaitFor("*** Guest-1: key guest (no key)")
	guest.WaitFor("*** You are a guest: connect with an SSH key to own a nick.")
}
