package sshchat_test

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
	// Once alice has left, the name is free again, and her own look-alike
	// rename is hers to make.
	alice.Send("/nick AL1CE")
	alice.WaitFor("*** alice is now known as AL1CE.")
	walter.Close()
	mallory.WaitFor("walter left")
	mallory.Send("/nick vvalter")
	mallory.WaitFor("*** aIice_2 is now known as vvalter.")
}
