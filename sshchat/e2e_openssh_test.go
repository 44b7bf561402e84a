package sshchat_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	gossh "golang.org/x/crypto/ssh"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

const (
	opensshPath    = "/usr/bin/ssh"
	opensshTimeout = 20 * time.Second
)

// eraseEcho is what the server writes after Enter to remove the line the
// terminal echoed while it was typed: cursor up n rows, column 0, clear to
// the end of the screen.
var eraseEcho = regexp.MustCompile(`\x1b\[[0-9]+A\r\x1b\[J`)

// TestOpenSSHEndToEnd drives the real OpenSSH client through a pty, the way
// a person joins: two people chat, one leaves with /quit, the other with
// Ctrl-D, and both ssh processes exit with status 0.
func TestOpenSSHEndToEnd(t *testing.T) {
	if _, err := os.Stat(opensshPath); err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("OpenSSH client not available (%v); install openssh-client to run this test", err)
		}
		t.Fatalf("OpenSSH client not available in CI (%v); .ci/run should install openssh-client", err)
	}

	srv := sshchattest.Start(t, sshchat.Config{})
	_, port, err := net.SplitHostPort(srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	knownHosts := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(knownHosts, nil, 0o600); err != nil {
		t.Fatal(err)
	}

	alice := startOpenSSH(t, dir, port, knownHosts, "alice")
	alice.waitFor(t, "Welcome to #lobby, alice!")
	bob := startOpenSSH(t, dir, port, knownHosts, "bob")
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

// opensshClient is one /usr/bin/ssh process on its own pty.
type opensshClient struct {
	name    string
	cmd     *exec.Cmd
	ptmx    *os.File
	exited  chan struct{} // closed when the process has been reaped
	waitErr error         // cmd.Wait's result, set before exited is closed
	readDn  chan struct{} // closed when the pty reader has stopped

	mu      sync.Mutex
	buf     []byte
	changed chan struct{}
}

// startOpenSSH writes a fresh key for user and starts ssh on an 80x24 pty
// with a clean environment. The process is killed and reaped, and the pty
// closed, when the test ends.
func startOpenSSH(t *testing.T, dir, port, knownHosts, user string) *opensshClient {
	t.Helper()
	keyPath := writeClientKey(t, dir, user)
	home := filepath.Join(dir, "home-"+user)
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(opensshPath,
		"-F", "/dev/null", // OpenSSH finds ~ through the passwd entry, not $HOME
		"-p", port,
		"-i", keyPath,
		"-o", "IdentitiesOnly=yes",
		"-o", "StrictHostKeyChecking=no",
		"-o", "UserKnownHostsFile="+knownHosts,
		"-o", "GlobalKnownHostsFile=/dev/null",
		"-o", "LogLevel=ERROR",
		"-o", "BatchMode=yes",
		"-o", "ConnectTimeout=10",
		user+"@127.0.0.1")
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
		if t.Failed() {
			t.Logf("%s's ssh output:\n%q", user, c.raw())
		}
	})
	return c
}

func (c *opensshClient) read() {
	defer close(c.readDn)
	p := make([]byte, 32<<10)
	for {
		n, err := c.ptmx.Read(p)
		c.mu.Lock()
		c.buf = append(c.buf, p[:n]...)
		c.mu.Unlock()
		select {
		case c.changed <- struct{}{}:
		default:
		}
		if err != nil {
			return // EIO once ssh has exited, or the pty was closed
		}
	}
}

func (c *opensshClient) raw() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return string(c.buf)
}

func (c *opensshClient) text() string { return sshchattest.StripANSI(c.raw()) }

// waitFor waits until want appears in the output with escapes stripped.
func (c *opensshClient) waitFor(t *testing.T, want string) {
	t.Helper()
	deadline := time.NewTimer(opensshTimeout)
	defer deadline.Stop()
	for {
		if strings.Contains(c.text(), want) {
			return
		}
		select {
		case <-c.changed:
		case <-c.readDn:
			if strings.Contains(c.text(), want) {
				return
			}
			t.Fatalf("%s: output ended before %q appeared; output:\n%q", c.name, want, c.raw())
		case <-deadline.C:
			t.Fatalf("%s: %q did not appear within %v; output:\n%q", c.name, want, opensshTimeout, c.raw())
		}
	}
}

// typeKeys writes keys to the pty as if typed.
func (c *opensshClient) typeKeys(t *testing.T, keys string) {
	t.Helper()
	if _, err := c.ptmx.Write([]byte(keys)); err != nil {
		t.Fatalf("%s: type %q: %v", c.name, keys, err)
	}
}

// waitExit waits for ssh to exit and returns its exit status.
func (c *opensshClient) waitExit(t *testing.T) int {
	t.Helper()
	select {
	case <-c.exited:
	case <-time.After(opensshTimeout):
		t.Fatalf("%s: ssh still running after %v; output:\n%q", c.name, opensshTimeout, c.raw())
	}
	var exitErr *exec.ExitError
	if err := c.waitErr; err != nil && !errors.As(err, &exitErr) {
		t.Fatalf("%s: ssh: %v", c.name, err)
	}
	return c.cmd.ProcessState.ExitCode()
}

// writeClientKey writes a fresh ed25519 key in OpenSSH format, mode 0600,
// and returns its path.
func writeClientKey(t *testing.T, dir, user string) string {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := gossh.MarshalPrivateKey(priv, user+"@sshchat-test")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "id_ed25519_"+user)
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
