package e2e

import (
	"regexp"
	"strings"
	"testing"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// eraseEcho is what the server writes after Enter to remove the line the
// terminal echoed while it was typed: cursor up n rows, column 0, clear to
// the end of the screen.
var eraseEcho = regexp.MustCompile(`\x1b\[[0-9]+A\r\x1b\[J`)

// TestOpenSSHEndToEnd drives the real OpenSSH client through a pty, the way
// a person joins: two people chat, one leaves with /quit, the other with
// Ctrl-D, and both ssh processes exit with status 0.
func TestOpenSSHEndToEnd(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	ssh := newOpenSSHHost(t, srv.Addr)

	alice := ssh.start(t, opensshOptions{User: "alice"})
	alice.waitFor(t, "Welcome to #lobby, alice!")
	bob := ssh.start(t, opensshOptions{User: "bob"})
	bob.waitFor(t, "Welcome to #lobby, bob! 2 online.")

	alice.typeKeys(t, "hello from alice\r")
	bob.waitFor(t, "alice: hello from alice")
	bob.typeKeys(t, "hi alice\r")
	alice.waitFor(t, "bob: hi alice")
	bob.waitFor(t, "bob: hi alice") // bob's line is empty again: Ctrl-D will mean EOF

	// Alice's own line is shown once, as the room saw it; the echo of what
	// she typed was erased after Enter.
	if text := alice.text(); strings.Count(text, "alice: hello from alice") != 1 {
		t.Errorf("alice's stream shows her line %d times, want 1; text:\n%s",
			strings.Count(text, "alice: hello from alice"), text)
	}
	raw := alice.raw()
	if i := strings.Index(raw, "hello from alice"); i < 0 {
		t.Errorf("alice's raw stream lacks the echo of what she typed: %q", raw)
	} else if !eraseEcho.MatchString(raw[i:]) {
		t.Errorf("alice's raw stream has no echo erase (ESC[<n>A CR ESC[J) after the typed text: %q", raw[i:])
	}

	alice.typeKeys(t, "/quit\r")
	if code := alice.waitExit(t); code != 0 {
		t.Errorf("alice's ssh exited with status %d after /quit, want 0; output:\n%q", code, alice.raw())
	}
	bob.waitFor(t, "alice left #lobby.")
	bob.typeKeys(t, "\x04")
	if code := bob.waitExit(t); code != 0 {
		t.Errorf("bob's ssh exited with status %d after Ctrl-D, want 0; output:\n%q", code, bob.raw())
	}
}
