package e2e

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	gossh "golang.org/x/crypto/ssh"

	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// Helpers for the tests that drive the real OpenSSH client: on a pty the way
// a person joins (start), or without one for scripts (run).

const (
	opensshPath    = "/usr/bin/ssh"
	opensshTimeout = 20 * time.Second
)

// requireOpenSSH skips the test when the OpenSSH client is not installed,
// except in CI, where it fails it.
func requireOpenSSH(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(opensshPath); err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("OpenSSH client not available (%v); install openssh-client to run this test", err)
		}
		t.Fatalf("OpenSSH client not available in CI (%v); .ci/run should install openssh-client", err)
	}
}

// opensshHost is what every ssh run against one test server shares: a
// folder for keys and homes, the server's port and an empty known_hosts.
type opensshHost struct {
	dir, port, knownHosts string
}

// newOpenSSHHost checks that OpenSSH is there (requireOpenSSH) and prepares
// to run it against the server listening on addr.
func newOpenSSHHost(t *testing.T, addr string) *opensshHost {
	t.Helper()
	requireOpenSSH(t)
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	knownHosts := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(knownHosts, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return &opensshHost{dir: dir, port: port, knownHosts: knownHosts}
}

// opensshOptions says how to run ssh. Only User is required: the rest's
// zero values give a batch-mode session with a fresh key on an
// xterm-256color pty.
type opensshOptions struct {
	User    string
	KeyPath string   // the identity file; "" writes a fresh key for User (start)
	Term    string   // TERM on the pty; "" is xterm-256color (start only)
	Options []string // more ssh arguments; they win over the defaults
	Bind    string   // the local address to connect from (BindAddress), if set
	// Interactive runs ssh the way a person does, so that the server can
	// explain a refusal: not in batch mode, at the default log level, with
	// keyboard-interactive allowed (one prompt) and passwords not.
	Interactive bool
}

// args returns ssh's arguments up to and including the destination: no
// config file, only keyPath, any host key accepted and none remembered.
func (h *opensshHost) args(keyPath string, o opensshOptions) []string {
	args := []string{
		"-F", "/dev/null", // OpenSSH finds ~ through the passwd entry, not $HOME
		"-p", h.port,
		"-i", keyPath,
		"-o", "IdentitiesOnly=yes",
		"-o", "StrictHostKeyChecking=no",
		"-o", "UserKnownHostsFile=" + h.knownHosts,
		"-o", "GlobalKnownHostsFile=/dev/null",
	}
	// OpenSSH keeps the first value given for an option: the test's own
	// options go before the defaults below so that they win.
	args = append(args, o.Options...)
	if o.Interactive {
		args = append(args,
			"-o", "BatchMode=no",
			"-o", "KbdInteractiveAuthentication=yes",
			"-o", "PasswordAuthentication=no",
			"-o", "NumberOfPasswordPrompts=1")
	} else {
		args = append(args,
			"-o", "LogLevel=ERROR",
			"-o", "BatchMode=yes")
	}
	args = append(args, "-o", "ConnectTimeout=10")
	if o.Bind != "" {
		args = append(args, "-o", "BindAddress="+o.Bind)
	}
	return append(args, o.User+"@127.0.0.1")
}

// command returns ssh with args, run in user's own HOME (kept between runs
// of the same user) with a clean environment; TERM is set unless term is "".
func (h *opensshHost) command(ctx context.Context, t *testing.T, user, term string, args []string) *exec.Cmd {
	t.Helper()
	home := filepath.Join(h.dir, "home-"+user)
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, opensshPath, args...)
	cmd.Env = []string{"HOME=" + home, "PATH=/usr/bin:/bin"}
	if term != "" {
		cmd.Env = append(cmd.Env, "TERM="+term)
	}
	cmd.Env = append(cmd.Env, "LANG=C")
	cmd.Dir = home
	return cmd
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

// start starts ssh as o says on an 80x24 pty. The process is killed and
// reaped, and the pty closed, when the test ends.
func (h *opensshHost) start(t *testing.T, o opensshOptions) *opensshClient {
	t.Helper()
	keyPath := o.KeyPath
	if keyPath == "" {
		keyPath = writeClientKey(t, h.dir, o.User)
	}
	term := o.Term
	if term == "" {
		term = "xterm-256color"
	}
	cmd := h.command(context.Background(), t, o.User, term, h.args(keyPath, o))
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 24, Cols: 80})
	if err != nil {
		t.Fatalf("start ssh as %s: %v", o.User, err)
	}
	c := &opensshClient{
		name:    o.User,
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
			t.Logf("%s's ssh output:\n%q", c.name, c.raw())
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

// run runs `ssh [opts] -p PORT user@127.0.0.1 [command...]` without a pty,
// as a script does, with stdin, and returns stdout, stderr and the exit
// status. The user's key is made on first use and kept, so the same user
// is the same person.
func (h *opensshHost) run(t *testing.T, user string, stdin io.Reader, opts []string, command ...string) (string, string, int) {
	t.Helper()
	keyPath := filepath.Join(h.dir, "id_ed25519_"+user)
	if _, err := os.Stat(keyPath); err != nil {
		keyPath = writeClientKey(t, h.dir, user)
	}
	ctx, cancel := context.WithTimeout(context.Background(), opensshTimeout)
	defer cancel()
	args := append(h.args(keyPath, opensshOptions{User: user, Options: opts}), command...)
	cmd := h.command(ctx, t, user, "", args)
	cmd.Stdin = stdin
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("ssh %s: still running after %v; stdout %q, stderr %q", strings.Join(command, " "), opensshTimeout, stdout.String(), stderr.String())
	}
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		t.Fatalf("ssh %s: %v", strings.Join(command, " "), err)
	}
	return stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()
}

// writeClientKey writes a fresh ed25519 key for user in OpenSSH format,
// mode 0600, in dir, and returns its path.
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
