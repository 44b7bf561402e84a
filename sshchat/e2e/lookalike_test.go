package e2e

import (
	"strings"
	"testing"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// While alice is online nobody can be "aIice" (capital I), "a1ice" or
// "ALlCE": not by connecting under that user name, not with /nick.
func TestLookAlikeNickIsRefused(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	alice := dialWelcome(t, srv.Addr, sshchattest.Options{User: "alice"})

	mallory := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "aIice"})
	text := mallory.WaitFor("Welcome")
	if !hasLine(text, "*** aIice looks too much like alice, who is online, so you are Guest-1. Type /nick NAME to change it.") &&
		!strings.Contains(text, "aIice looks too much like alice, who is online, so you are") {
		t.Fatalf("aIice was not told why it cannot be aIice:\n%s", text)
	}
	if strings.Contains(text, "Welcome to #lobby, aIice!") {
		t.Fatalf("aIice was admitted under that name while alice is online:\n%s", text)
	}
	for _, name := range []string{"aIice", "a1ice", "ALlCE", "AL1CE"} {
		if out := block(t, mallory, "/nick "+name); !hasLine(out, "*** Not changed: "+name+" looks too much like alice, who is online.") {
			t.Fatalf("/nick %s: %q", name, out)
		}
	}
	// Walter and "vvalter", "rnallory" and mallory: pairs of letters too.
	walter := dialWelcome(t, srv.Addr, sshchattest.Options{User: "walter"})
	if out := block(t, mallory, "/nick vvalter"); !hasLine(out, "*** Not changed: vvalter looks too much like walter, who is online.") {
		t.Fatalf("/nick vvalter: %q", out)
	}
	// A look-alike rename of one's own nick is allowed.
	alice.Send("/nick AL1CE")
	alice.WaitFor("*** alice is now known as AL1CE.")
	// Once walter has left, his key still owns the name.
	walter.Close()
	mallory.WaitFor("walter left")
	if out := block(t, mallory, "/nick vvalter"); !hasLine(out, "*** Not changed: vvalter looks too much like walter, which another key owns.") {
		t.Fatalf("/nick vvalter after walter left: %q", out)
	}
}

// A nick that looks like one another key owns is refused even while its
// owner is offline; the owner's own key may restyle it.
func TestLookAlikeOfOwnedNickIsRefused(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	aliceKey := sshchattest.NewKey(t)
	alice := dialWelcome(t, srv.Addr, sshchattest.Options{User: "alice", Key: aliceKey})
	alice.Send("/quit")
	alice.WaitClosed()

	mallory := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "aIice"})
	text := mallory.WaitFor("Welcome")
	if !strings.Contains(text, "aIice looks too much like alice, which another key owns, so you are") ||
		strings.Contains(text, "Welcome to #lobby, aIice!") {
		t.Fatalf("aIice while alice's key owns alice:\n%s", text)
	}
	if out := block(t, mallory, "/nick a1ice"); !hasLine(out, "*** Not changed: a1ice looks too much like alice, which another key owns.") {
		t.Fatalf("/nick a1ice: %q", out)
	}
	guest := dialWelcome(t, srv.Addr, sshchattest.Options{User: "g", Guest: true})
	if out := block(t, guest, "/nick ALlCE"); !hasLine(out, "*** Not changed: ALlCE looks too much like alice, which another key owns.") {
		t.Fatalf("guest /nick ALlCE: %q", out)
	}
	again := dialWelcome(t, srv.Addr, sshchattest.Options{User: "AL1CE", Key: aliceKey})
	if !strings.Contains(again.Text(), "Welcome to #lobby, AL1CE!") {
		t.Fatalf("alice's own key could not use a look-alike of her nick:\n%s", again.Text())
	}
}
