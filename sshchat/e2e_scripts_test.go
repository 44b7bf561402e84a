package sshchat_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// The "done when" of the terminal-and-scripts issue, with the real OpenSSH
// client: piped input posts, one-shot commands exit with a meaningful
// status, and Tab completes a nick in an interactive session.

// scriptSSH runs /usr/bin/ssh without a pty for scripts: its own HOME, no
// config file, one key.
type scriptSSH struct {
	dir, port, knownHosts string
}

func newScriptSSH(t *testing.T, addr string) *scriptSSH {
	t.Helper()
	if _, err := os.Stat(opensshPath); err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("OpenSSH client not available (%v); install openssh-client to run this test", err)
		}
		t.Fatalf("OpenSSH client not available in CI (%v)", err)
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	knownHosts := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(knownHosts, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return &scriptSSH{dir: dir, port: port, knownHosts: knownHosts}
}

// run runs `ssh [opts] -p PORT user@127.0.0.1 [command...]` with stdin and
// returns stdout, stderr and the exit status. The user's key is made on
// first use and kept, so the same user is the same person.
func (s *scriptSSH) run(t *testing.T, user string, stdin io.Reader, opts []string, command ...string) (string, string, int) {
	t.Helper()
	keyPath := filepath.Join(s.dir, "id_ed25519_"+user)
	if _, err := os.Stat(keyPath); err != nil {
		keyPath = writeClientKey(t, s.dir, user)
	}
	home := filepath.Join(s.dir, "home-"+user)
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	args := []string{
		"-F", "/dev/null",
		"-p", s.port,
		"-i", keyPath,
		"-o", "IdentitiesOnly=yes",
		"-o", "BatchMode=yes",
		"-o", "StrictHostKeyChecking=no",
		"-o", "UserKnownHostsFile=" + s.knownHosts,
		"-o", "GlobalKnownHostsFile=/dev/null",
		"-o", "LogLevel=ERROR",
		"-o", "ConnectTimeout=10",
	}
	args = append(args, opts...)
	args = append(args, user+"@127.0.0.1")
	args = append(args, command...)
	ctx, cancel := context.WithTimeout(context.Background(), opensshTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, opensshPath, args...)
	cmd.Env = []string{"HOME=" + home, "PATH=/usr/bin:/bin", "LANG=C"}
	cmd.Dir = home
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

var whoLine = regexp.MustCompile(`^[A-Za-z0-9_.-]+\t#[^\t]+(\taway: .*)?$`)

func TestOpenSSHScripts(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	ssh := newScriptSSH(t, srv.Addr)
	watcher := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "watcher"})
	watcher.WaitFor("Welcome to #lobby, watcher!")

	// printf 'hello\n' | ssh -T -p PORT host
	out, errText, code := ssh.run(t, "piper", strings.NewReader("hello\n"), []string{"-T"})
	if code != 0 {
		t.Errorf("piped ssh -T exited %d, want 0; stdout %q, stderr %q", code, out, errText)
	}
	watcher.WaitFor("piper: hello\n")
	if !strings.Contains(out, "Welcome to #lobby, piper!") || !strings.Contains(out, "piper: hello\n") {
		t.Errorf("piped ssh -T printed %q, want the welcome and its own line", out)
	}
	if strings.ContainsAny(out, "\x1b\r\a") {
		t.Errorf("piped ssh -T got escapes, CRs or bells: %q", out)
	}

	// ssh -p PORT host who
	out, errText, code = ssh.run(t, "asker", nil, nil, "who")
	if code != 0 || errText != "" {
		t.Errorf("who exited %d with stderr %q, want 0 and nothing", code, errText)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	found := false
	for _, l := range lines {
		if !whoLine.MatchString(l) {
			t.Errorf("who printed %q, not nick<TAB>#room", l)
		}
		found = found || l == "watcher\t#lobby"
	}
	if !found || !strings.HasSuffix(out, "\n") {
		t.Errorf("who printed %q, want a line watcher<TAB>#lobby", out)
	}
	if strings.Contains(out, "piper") {
		t.Errorf("who lists piper, whose session ended: %q", out)
	}

	// ssh host say hi
	out, errText, code = ssh.run(t, "sayer", nil, nil, "say", "hi", "there")
	if code != 0 || out != "" || errText != "" {
		t.Errorf("say exited %d, stdout %q, stderr %q; want 0 and no output", code, out, errText)
	}
	watcher.WaitFor("sayer: hi there\n")

	// A bogus command: status 2, a usage line on stderr, nothing on stdout.
	out, errText, code = ssh.run(t, "sayer", nil, nil, "frobnicate", "--now")
	if code != 2 {
		t.Errorf("a bogus command exited %d, want 2; stderr %q", code, errText)
	}
	if out != "" {
		t.Errorf("a bogus command printed %q on stdout", out)
	}
	for _, want := range []string{"frobnicate", "who", "say", "tail", "history"} {
		if !strings.Contains(errText, want) {
			t.Errorf("a bogus command's stderr %q does not mention %q", errText, want)
		}
	}
	// say with nothing to say is a usage error too.
	if _, errText, code := ssh.run(t, "sayer", nil, nil, "say"); code != 2 || errText == "" {
		t.Errorf("say without text exited %d with stderr %q, want 2 and a reason", code, errText)
	}

	// Piped input again, now that the room has history: a plain session
	// replays it, a bot (SetEnv=SSHCHAT_BOT=1) does not.
	out, _, code = ssh.run(t, "reader", strings.NewReader("reading\n"), []string{"-T"})
	if code != 0 || !strings.Contains(out, "piper: hello") {
		t.Errorf("a plain ssh -T session exited %d and printed %q, want the history with piper: hello", code, out)
	}
	out, _, code = ssh.run(t, "bridge", strings.NewReader("from the bridge\n"), []string{"-T", "-o", "SetEnv=SSHCHAT_BOT=1"})
	if code != 0 {
		t.Errorf("the bot session exited %d, want 0", code)
	}
	watcher.WaitFor("bridge: from the bridge\n")
	if strings.Contains(out, "piper: hello") || strings.Contains(out, "sayer: hi there") {
		t.Errorf("the bot session (SetEnv=SSHCHAT_BOT=1) got history: %q", out)
	}
	if !strings.Contains(out, "Welcome to #lobby, bridge!") || strings.ContainsAny(out, "\x1b\r") {
		t.Errorf("the bot session printed %q, want the plain protocol", out)
	}
}

func TestOpenSSHTabCompletesNick(t *testing.T) {
	if _, err := os.Stat(opensshPath); err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("OpenSSH client not available (%v); install openssh-client to run this test", err)
		}
		t.Fatalf("OpenSSH client not available in CI (%v)", err)
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
	bobby := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "bobby"})
	bobby.WaitFor("Welcome to #lobby, bobby!")

	alice := startOpenSSH(t, dir, port, knownHosts, "alice")
	alice.waitFor(t, "Welcome to #lobby, alice! 2 online.")
	alice.typeKeys(t, "bo\thi\r")
	bobby.WaitFor("alice: bobby: hi\n")

	// Mid-line, a nick is completed with a space, not ": ".
	alice.typeKeys(t, "thanks bob\tfor that\r")
	bobby.WaitFor("alice: thanks bobby for that\n")
	// A command after "/".
	alice.typeKeys(t, "/whoi\tbobby\r")
	alice.waitFor(t, "bobby: key SHA256:")

	alice.typeKeys(t, "/quit\r")
	if code := alice.waitExit(t); code != 0 {
		t.Errorf("alice's ssh exited %d after /quit, want 0", code)
	}
}

// startOpenSSHWith is startOpenSSH with extra ssh options and the pty's TERM.
func startOpenSSHWith(t *testing.T, dir, port, knownHosts, user, term string, opts ...string) *opensshClient {
	t.Helper()
	keyPath := writeClientKey(t, dir, user)
	home := filepath.Join(dir, "home-"+user)
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	args := []string{
		"-F", "/dev/null", "-p", port, "-i", keyPath,
		"-o", "IdentitiesOnly=yes",
		"-o", "StrictHostKeyChecking=no",
		"-o", "UserKnownHostsFile=" + knownHosts,
		"-o", "GlobalKnownHostsFile=/dev/null",
		"-o", "LogLevel=ERROR",
		"-o", "BatchMode=yes",
		"-o", "ConnectTimeout=10",
	}
	args = append(append(args, opts...), user+"@127.0.0.1")
	cmd := exec.Command(opensshPath, args...)
	cmd.Env = []string{"HOME=" + home, "PATH=/usr/bin:/bin", "TERM=" + term, "LANG=C"}
	cmd.Dir = home
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 24, Cols: 80})
	if err != nil {
		t.Fatalf("start ssh as %s: %v", user, err)
	}
	c := &opensshClient{name: user, cmd: cmd, ptmx: ptmx, exited: make(chan struct{}), readDn: make(chan struct{}), changed: make(chan struct{}, 1)}
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

// TestOpenSSHNoColourAndBotTerm: `ssh -o SetEnv=NO_COLOR=1` and TERM=dumb
// give no colour in a real interactive session, TERM=bot gives the plain
// protocol; a default session does get colour.
func TestOpenSSHNoColourAndBotTerm(t *testing.T) {
	if _, err := os.Stat(opensshPath); err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("OpenSSH client not available (%v); install openssh-client to run this test", err)
		}
		t.Fatalf("OpenSSH client not available in CI (%v)", err)
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
	bob := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "bob"})
	bob.WaitFor("Welcome")
	bob.Send("history before the bot")
	bob.WaitFor("bob: history before the bot")

	clients := map[string]*opensshClient{
		"default":       startOpenSSHWith(t, dir, port, knownHosts, "colour", "xterm-256color"),
		"NO_COLOR":      startOpenSSHWith(t, dir, port, knownHosts, "nocolor", "xterm-256color", "-o", "SetEnv=NO_COLOR=1"),
		"TERM=dumb":     startOpenSSHWith(t, dir, port, knownHosts, "dumb", "dumb"),
		"TERM=bot, pty": startOpenSSHWith(t, dir, port, knownHosts, "termbot", "bot", "-tt"),
	}
	for _, c := range clients {
		c.waitFor(t, "Welcome to #lobby, "+c.name+"!")
	}
	bob.Send("colour, dumb, nocolor and termbot: hello")
	for _, c := range clients {
		c.waitFor(t, "bob: colour, dumb, nocolor and termbot: hello")
	}
	if !viewSGR.MatchString(clients["default"].raw()) {
		t.Errorf("the default session got no colour, so this test proves nothing: %q", clients["default"].raw())
	}
	for _, name := range []string{"NO_COLOR", "TERM=dumb", "TERM=bot, pty"} {
		if sgr := viewSGR.FindAllString(clients[name].raw(), -1); len(sgr) > 0 {
			t.Errorf("%s: colour codes %q in %q", name, sgr, clients[name].raw())
		}
	}
	bot := clients["TERM=bot, pty"]
	if raw := bot.raw(); strings.Contains(raw, "history before the bot") || strings.Contains(raw, "\x1b") {
		t.Errorf("TERM=bot got history or escapes: %q", raw)
	}
	bot.typeKeys(t, "beep from the bot\r")
	bob.WaitFor("termbot: beep from the bot\n")
}
