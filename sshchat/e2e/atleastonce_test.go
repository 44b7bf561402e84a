package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/chat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
	"github.com/sshchat/sshchat/sshchat/store"
)

// memberCalled returns the member online as nick, or nil.
func memberCalled(srv *sshchattest.Server, nick string) *chat.Member {
	for _, m := range srv.Hub().Members() {
		if m.Nick() == nick {
			return m
		}
	}
	return nil
}

// offline waits until nobody is online as nick.
func offline(t *testing.T, srv *sshchattest.Server, nick string) {
	t.Helper()
	waitUntil(t, nick+" to be offline", func() bool { return memberCalled(srv, nick) == nil })
}

// A session killed at login, after the kept messages were read and before
// they were written, loses none of them: the next login shows them, and
// once shown they are gone.
func TestKeptMessagesSurviveASessionKilledAtLogin(t *testing.T) {
	fs := &faultStore{}
	srv := sshchattest.Start(t, sshchat.Config{WrapStore: fs.wrap})
	bobKey := sshchattest.NewKey(t)
	bobFP := keyFingerprint(bobKey)
	dialWelcome(t, srv.Addr, sshchattest.Options{User: "bob", Key: bobKey}).Close() // bob owns bob
	offline(t, srv, "bob")
	alice := dialWelcome(t, srv.Addr, sshchattest.Options{User: "alice"})
	alice.Send("/msg bob first")
	alice.Send("/msg bob second")
	alice.WaitCount("bob is offline; your message is kept", 2)

	killed := make(chan struct{})
	fs.setHooks(func(toKey string) {
		if toKey != bobFP {
			return
		}
		if m := memberCalled(srv, "bob"); m != nil {
			srv.Hub().Disconnect(m, "killed at login by the test")
		}
		close(killed)
	}, nil)
	dying := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "bob", Key: bobKey})
	<-killed
	fs.setHooks(nil, nil)
	dying.WaitDisconnected()
	if strings.Contains(dying.Text(), "*alice*") {
		t.Fatalf("the killed session showed kept messages:\n%s", dying.Text())
	}
	offline(t, srv, "bob")

	bob := dialWelcome(t, srv.Addr, sshchattest.Options{User: "bob", Key: bobKey})
	bob.WaitFor("*alice* second")
	if text := bob.Text(); !strings.Contains(text, "2 messages while you were offline:") || !strings.Contains(text, "*alice* first") {
		t.Fatalf("the next login did not show both kept messages:\n%s", text)
	}
	waitUntil(t, "shown messages to leave the mailbox", func() bool {
		kept, err := fs.Store.PeekOffline(context.Background(), bobFP)
		return err == nil && len(kept) == 0
	})
	bob.Close()
	offline(t, srv, "bob")
	again := dialWelcome(t, srv.Addr, sshchattest.Options{User: "bob", Key: bobKey})
	if text := block(t, again, "/whoami"); strings.Contains(again.Text(), "while you were offline") {
		t.Fatalf("messages shown once were shown again:\n%s%s", again.Text(), text)
	}
}

// A private message to someone whose session ends while it is being
// stored is kept for them (the sender is told), not lost.
func TestPrivateMessageToSomeoneLeavingIsKept(t *testing.T) {
	fs := &faultStore{}
	srv := sshchattest.Start(t, sshchat.Config{WrapStore: fs.wrap})
	bobKey := sshchattest.NewKey(t)
	bob := dialWelcome(t, srv.Addr, sshchattest.Options{User: "bob", Key: bobKey})
	alice := dialWelcome(t, srv.Addr, sshchattest.Options{User: "alice"})

	fs.setHooks(nil, func(m store.Message) {
		if m.To != "bob" {
			return
		}
		// The bad moment: bob's connection dies while the message is
		// being stored, and his session is over before it is delivered.
		if b := memberCalled(srv, "bob"); b != nil {
			srv.Hub().Disconnect(b, "connection lost (test)")
		}
		// Not waitUntil: this runs on a server goroutine, where the
		// test must not stop; the assertion below fails instead.
		deadline := time.Now().Add(15 * time.Second)
		for !strings.Contains(srv.Logs.String(), `msg="session end" nick=bob `) && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond) // polling a condition, with a deadline
		}
	})
	alice.Send("/msg bob did you get this?")
	alice.WaitFor("bob just left; your message is kept and will be shown when they connect.")
	fs.setHooks(nil, nil)
	bob.WaitDisconnected()

	bob = dialWelcome(t, srv.Addr, sshchattest.Options{User: "bob", Key: bobKey})
	bob.WaitFor("*alice* did you get this?")
}

// A guest flooding someone's mailbox gets their share and no more, also
// from another connection of the same address; a friend's message is still
// kept.
func TestMailboxFloodFromGuestsIsCapped(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	dialWelcome(t, srv.Addr, sshchattest.Options{User: "bob"}).Close() // bob owns bob
	offline(t, srv, "bob")
	guest := dialWelcome(t, srv.Addr, sshchattest.Options{Guest: true})
	var flood strings.Builder
	for range store.MaxOfflinePerSender + 5 {
		flood.WriteString("/msg bob buy now\n")
	}
	guest.Write(flood.String())
	guest.WaitCount("not kept.", 5)
	if n := strings.Count(guest.Text(), "your message is kept"); n != store.MaxOfflinePerSender {
		t.Fatalf("%d kept from one guest, want %d", n, store.MaxOfflinePerSender)
	}
	other := dialWelcome(t, srv.Addr, sshchattest.Options{Guest: true})
	if text := block(t, other, "/msg bob buy now"); !strings.Contains(text, "messages from you waiting; not kept.") {
		t.Fatalf("another guest from the same address: %q", text)
	}
	friend := dialWelcome(t, srv.Addr, sshchattest.Options{User: "friend"})
	if text := block(t, friend, "/msg bob lunch?"); !strings.Contains(text, "your message is kept") {
		t.Fatalf("a friend's message: %q", text)
	}
}
