package sshchat_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	gossh "golang.org/x/crypto/ssh"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// TestOpenSSHShowsWhyItIsRefused drives the real OpenSSH client, as a
// person would run it (on a terminal, default log level, keyboard-
// interactive allowed), against a banned key and a banned address, and
// checks that it prints the server's one-line reason and exits non-zero.
func TestOpenSSHShowsWhyItIsRefused(t *testing.T) {
	if _, err := os.Stat(opensshPath); err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("OpenSSH client not available (%v); install openssh-client to run this test", err)
		}
		t.Fatalf("OpenSSH client not available in CI (%v); .ci/run should install openssh-client", err)
	}
	dir := t.TempDir()
	opKey := sshchattest.NewKey(t)
	srv := sshchattest.Start(t, sshchat.Config{AdminsFile: writeKeyFile(t, filepath.Join(dir, "admins"), opKey)})
	_, port, err := net.SplitHostPort(srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	knownHosts := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(knownHosts, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	// The operator connects from 127.0.0.2 so that banning the address
	// OpenSSH uses does not cut the operator off.
	op, err := sshchattest.TryDialFrom(t, srv.Addr, "127.0.0.2", sshchattest.Options{User: "oper", Key: opKey})
	if err != nil {
		t.Fatal(err)
	}
	op.WaitFor("Welcome")

	keyPath := writeClientKey(t, dir, "mallory")
	pem, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	mallory, err := gossh.ParsePrivateKey(pem)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("banned key", func(t *testing.T) {
		op.Send("/ban " + keyFingerprint(mallory) + " spamming")
		op.WaitFor("was banned by oper: spamming")
		c := startRefusedOpenSSH(t, dir, port, knownHosts, "mallory", keyPath, "127.0.0.1")
		code := c.waitExit(t)
		out := c.allOutput(t)
		t.Logf("OpenSSH exited with status %d; its output:\n%s", code, out)
		if code == 0 {
			t.Errorf("ssh exited with status 0 for a banned key")
		}
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
		c := startRefusedOpenSSH(t, dir, port, knownHosts, "mallory2", writeClientKey(t, dir, "mallory2"), "127.0.0.3")
		code := c.waitExit(t)
		out := c.allOutput(t)
		t.Logf("OpenSSH exited with status %d; its output:\n%s", code, out)
		if code == 0 {
			t.Errorf("ssh exited with status 0 from a banned address")
		}
		if want := "Your address is banned from this server: too many bots."; !strings.Contains(out, want) {
			t.Errorf("ssh did not show the address ban reason %q; output:\n%q\n"+
				"(OpenSSH shows a keyboard-interactive instruction, but what a server writes before its version line only with -v)", want, c.raw())
		}
	})
}

// allOutput waits until everything ssh wrote before it exited has been
// read from the pty, and returns it without escapes.
func (c *opensshClient) allOutput(t *testing.T) string {
	t.Helper()
	select {
	case <-c.readDn:
	case <-time.After(opensshTimeout):
		t.Fatalf("%s: pty still open %v after ssh exited", c.name, opensshTimeout)
	}
	return c.text()
}

// startRefusedOpenSSH starts ssh on a pty the way a person runs it: default
// log level, keyboard-interactive allowed (so the server can explain a
// refusal), not in batch mode, from the local address bind.
func startRefusedOpenSSH(t *testing.T, dir, port, knownHosts, user, keyPath, bind string) *opensshClient {
	t.Helper()
	home := filepath.Join(dir, "home-"+user)
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(opensshPath,
		"-F", "/dev/null",
		"-p", port,
		"-i", keyPath,
		"-o", "IdentitiesOnly=yes",
		"-o", "StrictHostKeyChecking=no",
		"-o", "UserKnownHostsFile="+knownHosts,
		"-o", "GlobalKnownHostsFile=/dev/null",
		"-o", "BatchMode=no",
		"-o", "KbdInteractiveAuthentication=yes",
		"-o", "PasswordAuthentication=no",
		"-o", "NumberOfPasswordPrompts=1",
		"-o", "ConnectTimeout=10",
		"-o", "BindAddress="+bind,
		fmt.Sprintf("%s@127.0.0.1", user))
	cmd.Env = []string{"HOME=" + home, "PATH=/usr/bin:/bin", "TERM=xterm-256color", "LANG=C"}
	cmd.Dir = home
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 24, Cols: 80})
	if err != nil {
		t.Fatalf("start ssh as %s: %v", user, err)
	}
	c := &opensshClient{
		name:    user,
		cmd:     cmd,
		ptmx:    ptmx,
		exited:  make(chan struct{}),
		readDn:  make(chan struct{}),
		changed: make(chan struct{}, 1),
	}
	go func() {
		defer close(c.exited)
		c.waitErr = cmd.Wait()
	}()
	go c.read()
	t.Cleanup(func() {
		select {
		case <-c.exited:
		default:
			_ = cmd.Process.Kill()
			<-c.exited
		}
		_ = ptmx.Close()
		<-c.readDn
	})
	return c
}
