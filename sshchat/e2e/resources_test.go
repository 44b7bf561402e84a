package e2e

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// Regression tests of issue 8's resource bounds on rooms, nick claims and
// ignore lists, each driven through real SSH sessions the way an abuser
// would drive them. Chat-level tests of the same bounds (memory, start-up
// cost) are in chat/resources_test.go.

// TestRoomFloodIsCapped: one key, or guests from one address, create at
// most RoomsPerHour rooms an hour, across all their connections, and the
// server keeps at most MaxRooms rooms in all.
func TestRoomFloodIsCapped(t *testing.T) {
	clock := newFakeClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	srv := sshchattest.Start(t, sshchat.Config{RoomsPerHour: 3, MaxRooms: 9, Now: clock.Now})
	key := sshchattest.NewKey(t)
	alice := dialWelcome(t, srv.Addr, sshchattest.Options{User: "alice", Key: key})
	for i := 1; i <= 3; i++ {
		alice.Send(fmt.Sprintf("/join #a%d", i))
		alice.WaitFor(fmt.Sprintf("*** You are now in #a%d.", i))
	}
	const tooFast = "*** Not joined: you may create 3 rooms an hour; try again in 1h."
	alice.Send("/join #a4")
	alice.WaitFor(tooFast)
	// The same key on another connection shares the allowance.
	again := dialWelcome(t, srv.Addr, sshchattest.Options{User: "alice2", Key: key})
	again.Send("/join #a5")
	again.WaitFor(tooFast)
	// Rooms that exist may still be entered.
	again.Send("/join #a1")
	again.WaitFor("*** You are now in #a1. (1 here)")

	// Guests are counted by address: two guest connections share one
	// allowance.
	g1 := dialWelcome(t, srv.Addr, sshchattest.Options{Guest: true})
	for i := 1; i <= 2; i++ {
		g1.Send(fmt.Sprintf("/join #g%d", i))
		g1.WaitFor(fmt.Sprintf("*** You are now in #g%d.", i))
	}
	g2 := dialWelcome(t, srv.Addr, sshchattest.Options{Guest: true})
	g2.Send("/join #g3")
	g2.WaitFor("*** You are now in #g3.")
	g2.Send("/join #g4")
	g2.WaitFor(tooFast)

	// An hour later the allowance is back, but the total cap holds:
	// #lobby + 3 + 3 rooms, and 2 more make 9.
	clock.Advance(time.Hour)
	alice.Send("/join #a6")
	alice.WaitFor("*** You are now in #a6.")
	alice.Send("/join #a7")
	alice.WaitFor("*** You are now in #a7.")
	alice.WaitFor("alice joined #a7.")
	alice.Send("/join #a8")
	alice.WaitFor("*** Not joined: the server has 9 rooms, its limit; join one of them (/rooms).")
	if out := block(t, alice, "/rooms"); !strings.HasPrefix(out, "*** 9 rooms:\n") || strings.Contains(out, "#a4") || strings.Contains(out, "#a8") {
		t.Errorf("/rooms after the caps:\n%s", out)
	}
}

// TestSayDoesNotCreateRooms: a one-shot say to a room that does not exist
// fails with exit status 1 and creates nothing.
func TestSayDoesNotCreateRooms(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	key := sshchattest.NewKey(t)
	for i := range 5 {
		_, stderr, status := run(t, srv.Addr, key, "script", fmt.Sprintf("say '#spam%d' hello", i))
		if status != 1 || !strings.Contains(stderr, fmt.Sprintf("no room #spam%d; /join it first", i)) {
			t.Fatalf("say to a new room: status %d, stderr %q; want 1 and a reason", status, stderr)
		}
	}
	alice := dialWelcome(t, srv.Addr, sshchattest.Options{User: "alice"})
	alice.WaitFor("alice joined #lobby.")
	if out := block(t, alice, "/rooms"); out != "*** 1 room:\n***   #lobby (1)\n" {
		t.Errorf("say created rooms:\n%s", out)
	}
	alice.Send("/join #spam0")
	alice.WaitFor("*** You are now in #spam0.")
	if _, stderr, status := run(t, srv.Addr, key, "script", "say '#spam0' now it exists"); status != 0 {
		t.Fatalf("say to an existing room: status %d, %s", status, stderr)
	}
	alice.WaitFor("script: now it exists")
}

// TestOperatorRemovesRoom: /rmroom moves the people in a room to the
// default room, ends one-shot listeners, deletes the room's metadata and
// history, and is audited; the name can be created again, empty.
func TestOperatorRemovesRoom(t *testing.T) {
	opKey := sshchattest.NewKey(t)
	srv, op := startWithOperator(t, sshchat.Config{}, opKey)
	alice := dialWelcome(t, srv.Addr, sshchattest.Options{User: "alice"})
	alice.Send("/join #spam")
	alice.WaitFor("*** You are now in #spam.")
	alice.Send("/topic buy now")
	alice.Send("spam line")
	alice.WaitFor("alice: spam line")
	key := sshchattest.NewKey(t)
	tailEnded := startTailUntil(t, srv.Addr, "tail -n 1 '#spam'", "spam line")

	alice.Send("/rmroom #spam")
	alice.WaitFor("*** /rmroom: not permitted (operators only).")
	op.Send("/rmroom #lobby")
	op.WaitFor("*** Not removed: #lobby is the default room.")
	op.Send("/rmroom #nosuch")
	op.WaitFor("*** There is no room #nosuch.")

	op.Send("/rmroom #spam")
	op.WaitFor("*** #spam is removed: 1 person moved to #lobby, and its history is deleted.")
	alice.WaitFor("*** #spam was removed by oper; you are back in #lobby.")
	alice.WaitFor("*** You are now in #lobby.")
	select {
	case <-tailEnded:
	case <-time.After(20 * time.Second):
		t.Fatal("a one-shot tail of the removed room is still running")
	}
	if _, stderr, status := run(t, srv.Addr, key, "script", "history '#spam'"); status != 1 || !strings.Contains(stderr, "no room #spam") {
		t.Errorf("history of a removed room: status %d, %q", status, stderr)
	}
	op.Send("/modlog")
	op.WaitFor("rmroom #spam: 1 moved to #lobby; history deleted")

	start := len(alice.Text())
	alice.Send("/join #spam")
	alice.WaitFor("*** You are now in #spam. (1 here)")
	alice.Send("fresh start")
	text := alice.WaitFor("alice: fresh start")[start:]
	if strings.Contains(text, "spam line") || strings.Contains(text, "buy now") {
		t.Errorf("a room created again under a removed name shows the old history or topic:\n%s", text)
	}
}

// TestNickSquattingExpires: a nick claimed by a key that is then not seen
// for NickExpiry is free again; a key that keeps coming back keeps its own.
func TestNickSquattingExpires(t *testing.T) {
	clock := newFakeClock(time.Now().UTC())
	srv := startDurable(t, sshchat.Config{NickExpiry: 90 * 24 * time.Hour, Now: clock.Now})
	squatter, regular, victim := sshchattest.NewKey(t), sshchattest.NewKey(t), sshchattest.NewKey(t)
	dialWelcome(t, srv.Addr, sshchattest.Options{User: "root", Key: squatter}).Close()
	dialWelcome(t, srv.Addr, sshchattest.Options{User: "carol", Key: regular}).Close()

	c := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "root", Key: victim})
	c.WaitFor("root belongs to someone else's key")
	c.Close()

	clock.Advance(60 * 24 * time.Hour)
	dialWelcome(t, srv.Addr, sshchattest.Options{User: "carol", Key: regular}).Close() // seen again
	clock.Advance(31 * 24 * time.Hour)                                                 // 91 days after the squat

	// Expiry holds across a restart: it is kept in the store.
	srv = restart(t, srv)
	c = sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "root", Key: victim})
	c.WaitFor("Welcome to #lobby, root!")
	c.Send("/whoami")
	c.WaitFor("*** Your key owns the nick root.")
	c.Close()
	other := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "carol", Key: victim})
	other.WaitFor("carol belongs to someone else's key")
}

// TestNickClaimFloodIsCapped: fresh keys from one address claim at most
// NickClaimsPerHour nicks an hour; past that they may use a free name but
// do not own it.
func TestNickClaimFloodIsCapped(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{NickClaimsPerHour: 3})
	for i := 1; i <= 3; i++ {
		c := dialWelcome(t, srv.Addr, sshchattest.Options{User: fmt.Sprintf("name%d", i)})
		c.Send("/whoami")
		c.WaitFor(fmt.Sprintf("*** Your key owns the nick name%d.", i))
		c.Close()
	}
	c := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "admin"})
	c.WaitFor("new keys from your address may claim 3 nicks an hour; admin is not yours to keep, so you are admin.")
	c.Send("/whoami")
	c.WaitFor("*** Your key owns no nick. /nick NAME claims one.")
	c.Send("/nick root")
	c.WaitFor("*** Your key does not own root: new keys from your address may claim 3 nicks an hour.")
	c.Close()
	// An owned name stays its owner's, limit or not.
	taken := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "name1"})
	taken.WaitFor("name1 belongs to someone else's key, so you are")
	// Keys that already own a nick are not limited: they move it.
	owner := sshchattest.NewKey(t)
	srv2 := sshchattest.Start(t, sshchat.Config{NickClaimsPerHour: 1})
	first := dialWelcome(t, srv2.Addr, sshchattest.Options{User: "first", Key: owner})
	for _, nick := range []string{"second", "third"} {
		first.Send("/nick " + nick)
		first.WaitFor("is now known as " + nick)
	}
	first.Send("/whoami")
	first.WaitFor("*** Your key owns the nick third.")
}

// TestOperatorReleasesNick: /release frees a squatted nick for the next
// key, operators only, and is audited.
func TestOperatorReleasesNick(t *testing.T) {
	opKey, squatter := sshchattest.NewKey(t), sshchattest.NewKey(t)
	srv, op := startWithOperator(t, sshchat.Config{}, opKey)
	sq := dialWelcome(t, srv.Addr, sshchattest.Options{User: "admin", Key: squatter})
	sq.Send("/release oper")
	sq.WaitFor("*** /release: not permitted (operators only).")
	sq.Close()

	op.Send("/release nobody")
	op.WaitFor("*** No key owns nobody.")
	op.Send("/release admin")
	op.WaitFor("*** admin is released: it no longer belongs to " + keyFingerprint(squatter))
	op.Send("/modlog")
	op.WaitFor("release admin (" + keyFingerprint(squatter) + ")")
	c := dialWelcome(t, srv.Addr, sshchattest.Options{User: "admin"})
	c.Send("/whoami")
	c.WaitFor("*** Your key owns the nick admin.")
}

// TestIgnoreListIsBounded: /ignore takes only well-formed fingerprints and
// nicks, and one session ignores at most 100 people.
func TestIgnoreListIsBounded(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	c := dialWelcome(t, srv.Addr, sshchattest.Options{User: "alice"})
	c.WaitFor("alice joined #lobby.")
	for _, bad := range []string{"SHA256:anything", "SHA256:" + strings.Repeat("x", 500), "SHA256:" + strings.Repeat("!", 43)} {
		if out := block(t, c, "/ignore "+bad); !strings.HasPrefix(out, "*** Not ignored: SHA256:") || !strings.Contains(out, "is not a key fingerprint") {
			t.Errorf("/ignore %.20s... answered %q", bad, out)
		}
	}
	if out := block(t, c, "/ignore bad*nick"); !strings.HasPrefix(out, "*** Not ignored: ") {
		t.Errorf("/ignore of an impossible nick answered %q", out)
	}
	fingerprint := func() string {
		var sum [32]byte
		rand.Read(sum[:])
		return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
	}
	for i := range 100 {
		c.Send("/ignore " + fingerprint())
		c.WaitCount("*** Ignoring SHA256:", i+1)
	}
	const full = "*** Not ignored: you already ignore 100 people, the limit. /unignore someone first.\n"
	if out := block(t, c, "/ignore "+fingerprint()); out != full {
		t.Errorf("the 101st /ignore answered %q, want %q", out, full)
	}
	if out := block(t, c, "/ignore"); strings.Count(out, "SHA256:") != 100 {
		t.Errorf("the ignore list holds %d keys, want 100", strings.Count(out, "SHA256:"))
	}
}

// startTailUntil runs a one-shot tail command and waits until its output has a
// line containing first; the channel it returns closes when the command
// ends.
func startTailUntil(t *testing.T, addr, command, first string) <-chan struct{} {
	t.Helper()
	conn, err := gossh.Dial("tcp", addr, sshchattest.ClientConfig(t, sshchattest.Options{User: "tailer"}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	sess, err := conn.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := sess.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.Start(command); err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 100)
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		r := bufio.NewReader(stdout)
		for {
			line, err := r.ReadString('\n')
			if line != "" {
				got <- line
			}
			if err != nil {
				sess.Wait()
				return
			}
		}
	}()
	deadline := time.After(sshchattest.DefaultTimeout)
	for {
		select {
		case line := <-got:
			if strings.Contains(line, first) {
				return ended
			}
		case <-ended:
			t.Fatalf("%s ended before printing %q", command, first)
		case <-deadline:
			t.Fatalf("%s printed no %q", command, first)
		}
	}
}
