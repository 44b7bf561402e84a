package e2e

import (
	"regexp"
	"strings"
	"testing"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// The "done when" of the terminal-and-scripts issue, with the real OpenSSH
// client: piped input posts, one-shot commands exit with a meaningful
// status, and Tab completes a nick in an interactive session.

var whoLine = regexp.MustCompile(`^[A-Za-z0-9_.-]+\t#[^\t]+(\taway: .*)?$`)

func TestOpenSSHScripts(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	ssh := newOpenSSHHost(t, srv.Addr)
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
	srv := sshchattest.Start(t, sshchat.Config{})
	ssh := newOpenSSHHost(t, srv.Addr)
	bobby := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "bobby"})
	bobby.WaitFor("Welcome to #lobby, bobby!")

	alice := ssh.start(t, opensshOptions{User: "alice"})
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

// TestOpenSSHNoColourAndBotTerm: `ssh -o SetEnv=NO_COLOR=1` and TERM=dumb
// give no colour in a real interactive session, TERM=bot gives the plain
// protocol; a default session does get colour.
func TestOpenSSHNoColourAndBotTerm(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	ssh := newOpenSSHHost(t, srv.Addr)
	bob := dialWelcome(t, srv.Addr, sshchattest.Options{User: "bob"})
	bob.Send("history before the bot")
	bob.WaitFor("bob: history before the bot")

	clients := map[string]*opensshClient{
		"default":       ssh.start(t, opensshOptions{User: "colour", Term: "xterm-256color"}),
		"NO_COLOR":      ssh.start(t, opensshOptions{User: "nocolor", Term: "xterm-256color", Options: []string{"-o", "SetEnv=NO_COLOR=1"}}),
		"TERM=dumb":     ssh.start(t, opensshOptions{User: "dumb", Term: "dumb"}),
		"TERM=bot, pty": ssh.start(t, opensshOptions{User: "termbot", Term: "bot", Options: []string{"-tt"}}),
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
