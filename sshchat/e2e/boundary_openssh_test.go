package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	gossh "golang.org/x/crypto/ssh"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// TestOpenSSHShowsEachRefusalOnce runs OpenSSH as a person would, with its
// default of three keyboard-interactive attempts, against every refusal a
// person can meet: their address over its cap, the server full, a banned
// key, a banned address, a key not on the allowlist. Each reason must be
// shown exactly once (it was shown three times), and the refusals of the
// connection caps must be readable at all (they were a bare
// "kex_exchange_identification: Connection closed by remote host").
func TestOpenSSHShowsEachRefusalOnce(t *testing.T) {
	opKey := sshchattest.NewKey(t)
	srv := sshchattest.Start(t, sshchat.Config{AdminsFile: writeAdmins(t, opKey), MaxConns: 2, MaxConnsPerIP: 1})
	ssh := newOpenSSHHost(t, srv.Addr)
	op, err := sshchattest.TryDialFrom(t, srv.Addr, "127.0.0.1", sshchattest.Options{User: "oper", Key: opKey})
	if err != nil {
		t.Fatal(err)
	}
	op.WaitFor("Welcome")

	refusedOnce := func(t *testing.T, host *opensshHost, o opensshOptions, reason string) {
		t.Helper()
		o.Interactive = true
		o.Options = append(o.Options, "-o", "NumberOfPasswordPrompts=3")
		c := host.start(t, o)
		code := c.waitExit(t)
		out := c.allOutput(t)
		t.Logf("OpenSSH output:\n%s", out)
		if code == 0 {
			t.Errorf("ssh exited with status 0; output:\n%s", out)
		}
		if n := strings.Count(out, reason); n != 1 {
			t.Errorf("ssh showed %q %d times, want once; output:\n%s", reason, n, out)
		}
		if strings.Contains(out, "Welcome") {
			t.Errorf("refused, yet in the chat; output:\n%s", out)
		}
	}

	t.Run("address over its cap", func(t *testing.T) {
		refusedOnce(t, ssh, opensshOptions{User: "second", Bind: "127.0.0.1"},
			"Too many connections from your address (at most 1), try again later.")
	})
	t.Run("server full", func(t *testing.T) {
		other, err := sshchattest.TryDialFrom(t, srv.Addr, "127.0.0.2", sshchattest.Options{User: "other"})
		if err != nil {
			t.Fatal(err)
		}
		other.WaitFor("Welcome")
		refusedOnce(t, ssh, opensshOptions{User: "third", Bind: "127.0.0.3"}, "The server is full, try again later.")
		other.Close()
		op.WaitFor("other left")
	})
	t.Run("banned key", func(t *testing.T) {
		keyPath := writeClientKey(t, ssh.dir, "mallory")
		pem, err := os.ReadFile(keyPath)
		if err != nil {
			t.Fatal(err)
		}
		mallory, err := gossh.ParsePrivateKey(pem)
		if err != nil {
			t.Fatal(err)
		}
		op.Send("/ban " + keyFingerprint(mallory) + " spamming")
		op.WaitFor("was banned by oper: spamming")
		refusedOnce(t, ssh, opensshOptions{User: "mallory", KeyPath: keyPath, Bind: "127.0.0.4"}, "You are banned from this server: spamming.")
	})
	t.Run("banned address", func(t *testing.T) {
		op.Send("/ban ip:127.0.0.5 bots")
		op.WaitFor("*** ip:127.0.0.5 was banned by oper: bots")
		refusedOnce(t, ssh, opensshOptions{User: "bot", Bind: "127.0.0.5"}, "Your address is banned from this server: bots.")
	})
	t.Run("not on the allowlist", func(t *testing.T) {
		listed := sshchattest.NewKey(t)
		allow := sshchattest.Start(t, sshchat.Config{AllowlistFile: writeKeyFile(t, filepath.Join(t.TempDir(), "allow"), listed)})
		refusedOnce(t, newOpenSSHHost(t, allow.Addr), opensshOptions{User: "stranger"}, "Your key is not on this server's list")
	})
}
