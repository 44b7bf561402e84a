package e2e

import (
	"os"
	"strings"
	"testing"

	gossh "golang.org/x/crypto/ssh"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// TestOpenSSHShowsWhyItIsRefused drives the real OpenSSH client, as a
// person would run it (on a terminal, default log level, keyboard-
// interactive allowed), against a banned key and a banned address, and
// checks that it prints the server's one-line reason and exits non-zero.
func TestOpenSSHShowsWhyItIsRefused(t *testing.T) {
	opKey := sshchattest.NewKey(t)
	srv := sshchattest.Start(t, sshchat.Config{AdminsFile: writeAdmins(t, opKey)})
	ssh := newOpenSSHHost(t, srv.Addr)
	// The operator connects from 127.0.0.2 so that banning the address
	// OpenSSH uses does not cut the operator off.
	op, err := sshchattest.TryDialFrom(t, srv.Addr, "127.0.0.2", sshchattest.Options{User: "oper", Key: opKey})
	if err != nil {
		t.Fatal(err)
	}
	op.WaitFor("Welcome")

	keyPath := writeClientKey(t, ssh.dir, "mallory")
	pem, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	mallory, err := gossh.ParsePrivateKey(pem)
	if err != nil {
		t.Fatal(err)
	}

	// refusedRun runs ssh as o says, checks that it exits non-zero (what
	// says how it was refused) and returns it with what it showed.
	refusedRun := func(t *testing.T, o opensshOptions, what string) (*opensshClient, string) {
		t.Helper()
		c := ssh.start(t, o)
		code := c.waitExit(t)
		out := c.allOutput(t)
		t.Logf("OpenSSH exited with status %d; its output:\n%s", code, out)
		if code == 0 {
			t.Errorf("ssh exited with status 0 %s", what)
		}
		return c, out
	}

	t.Run("banned key", func(t *testing.T) {
		op.Send("/ban " + keyFingerprint(mallory) + " spamming")
		op.WaitFor("was banned by oper: spamming")
		c, out := refusedRun(t, opensshOptions{User: "mallory", KeyPath: keyPath, Bind: "127.0.0.1", Interactive: true}, "for a banned key")
		if want := "You are banned from this server: spamming."; !strings.Contains(out, want) {
			t.Errorf("ssh did not show the ban reason %q; output:\n%q", want, c.raw())
		}
		if strings.Contains(out, "Welcome") {
			t.Errorf("a banned key got into the chat; output:\n%q", c.raw())
		}
	})

	t.Run("banned address", func(t *testing.T) {
		op.Send("/ban ip:127.0.0.3 too many bots")
		op.WaitFor("*** ip:127.0.0.3 was banned by oper: too many bots")
		c, out := refusedRun(t, opensshOptions{User: "mallory2", Bind: "127.0.0.3", Interactive: true}, "from a banned address")
		if want := "Your address is banned from this server: too many bots."; !strings.Contains(out, want) {
			t.Errorf("ssh did not show the address ban reason %q; output:\n%q\n"+
				"(OpenSSH shows a keyboard-interactive instruction, but what a server writes before its version line only with -v)", want, c.raw())
		}
	})
}
