package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// Screen tests: the real OpenSSH client in a real terminal (tmux) of a
// given size, and what the screen shows, read with tmux capture-pane.

const tmuxPath = "/usr/bin/tmux"

var tmuxSeq atomic.Int64

// tmuxScreen is one tmux server (on its own socket) running one ssh.
type tmuxScreen struct {
	t      *testing.T
	socket string
}

// requireTmux skips the test when tmux is not installed, except in CI,
// where it fails it.
func requireTmux(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(tmuxPath); err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("tmux not available (%v); install tmux to run this screen test", err)
		}
		t.Fatalf("tmux not available in CI (%v); .ci/run should install tmux", err)
	}
}

// startScreen runs ssh as o says in a cols x rows tmux window.
func startScreen(t *testing.T, h *opensshHost, cols, rows int, o opensshOptions) *tmuxScreen {
	t.Helper()
	requireTmux(t)
	keyPath := o.KeyPath
	if keyPath == "" {
		keyPath = writeClientKey(t, h.dir, o.User)
	}
	home := filepath.Join(h.dir, "home-"+o.User)
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	var quoted []string
	for _, a := range append([]string{opensshPath}, h.args(keyPath, o)...) {
		quoted = append(quoted, "'"+strings.ReplaceAll(a, "'", `'\''`)+"'")
	}
	s := &tmuxScreen{t: t, socket: fmt.Sprintf("sshchat-test-%d-%d", os.Getpid(), tmuxSeq.Add(1))}
	t.Cleanup(func() { _ = s.tmux("kill-server") })
	if err := s.tmux("-f", "/dev/null", "new-session", "-d", "-s", "chat",
		"-x", fmt.Sprint(cols), "-y", fmt.Sprint(rows),
		"-e", "HOME="+home, "-e", "LANG=C",
		"exec "+strings.Join(quoted, " ")); err != nil {
		t.Fatalf("start tmux: %v", err)
	}
	// The window keeps the size asked for, whatever clients attach.
	_ = s.tmux("set-option", "-t", "chat", "window-size", "manual")
	return s
}

func (s *tmuxScreen) tmux(args ...string) error {
	cmd := exec.Command(tmuxPath, append([]string{"-L", s.socket}, args...)...)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "TERM=xterm-256color", "LANG=C"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("tmux %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return nil
}

// screen returns what the window shows now, one string per row.
func (s *tmuxScreen) screen() []string {
	cmd := exec.Command(tmuxPath, "-L", s.socket, "capture-pane", "-p", "-t", "chat")
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LANG=C"}
	out, err := cmd.Output()
	if err != nil {
		return nil
	}
	return strings.Split(strings.TrimRight(string(out), "\n"), "\n")
}

// waitFor waits until the screen shows want and returns the screen.
func (s *tmuxScreen) waitFor(want string) []string {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		rows := s.screen()
		if strings.Contains(strings.Join(rows, "\n"), want) {
			return rows
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the screen never showed %q; it shows:\n%s", want, strings.Join(rows, "\n"))
		}
		time.Sleep(20 * time.Millisecond) // polling the screen, with a deadline
	}
}

// typeLine types text and Enter.
func (s *tmuxScreen) typeLine(text string) {
	s.t.Helper()
	if err := s.tmux("send-keys", "-t", "chat", "-l", text); err != nil {
		s.t.Fatal(err)
	}
	if err := s.tmux("send-keys", "-t", "chat", "Enter"); err != nil {
		s.t.Fatal(err)
	}
}

// clear empties the screen (Ctrl-L redraws it with only the prompt).
func (s *tmuxScreen) clear(prompt string) {
	s.t.Helper()
	if err := s.tmux("send-keys", "-t", "chat", "C-l"); err != nil {
		s.t.Fatal(err)
	}
	s.waitFor(prompt)
}

// checkWordsWhole fails the test if a row of the screen ends inside a word
// that the next row continues: text wrapped by the terminal mid-word.
func checkWordsWhole(t *testing.T, what string, rows []string, cols int, words []string) {
	t.Helper()
	joined := strings.Join(rows, "\n")
	for _, w := range words {
		if !strings.Contains(joined, w) {
			t.Errorf("%s at %d columns: %q is not shown whole:\n%s", what, cols, w, joined)
		}
	}
	for i, r := range rows {
		if len([]rune(r)) > cols {
			t.Errorf("%s: row %d is wider than %d columns: %q", what, i, cols, r)
		}
	}
}

// TestScreenHelpFitsAndWraps: /help in a real terminal of 80x24 fits the
// screen whole (its first and last lines are both shown), and at 40x24 no
// word is broken across rows; /help ban explains ban alone, with examples.
func TestScreenHelpFitsAndWraps(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	h := newOpenSSHHost(t, srv.Addr)
	for _, cols := range []int{80, 40} {
		t.Run(fmt.Sprint(cols), func(t *testing.T) {
			user := fmt.Sprintf("w%d", cols)
			s := startScreen(t, h, cols, 24, opensshOptions{User: user})
			prompt := fmt.Sprintf("[%s #lobby]", user)
			s.waitFor(prompt)
			s.clear(prompt)
			s.typeLine("/help")
			rows := s.waitFor("something that begins with /.")
			text := strings.Join(rows, "\n")
			if !strings.Contains(text, "Commands (/help CMD") {
				t.Errorf("/help does not fit %dx24: its first line scrolled off:\n%s", cols, text)
			}
			t.Logf("/help at %dx24:\n%s", cols, text)
			checkWordsWhole(t, "/help", rows, cols, []string{"completes", "/unignore", "Ctrl-L", "redraws", "something"})

			s.clear(prompt)
			s.typeLine("/help ban")
			rows = s.waitFor("/ban ip:2001:db8::/48 2w")
			text = strings.Join(rows, "\n")
			if strings.Contains(text, "People:") || strings.Contains(text, "/nick") {
				t.Errorf("/help ban lists everything again:\n%s", text)
			}
			t.Logf("/help ban at %dx24:\n%s", cols, text)
			checkWordsWhole(t, "/help ban", rows, cols, []string{"Durations:", "30m", "2w.", "ip:ADDR/BITS", "(operators", "only)"})
		})
	}
}

// TestScreenHistoryInOwnZone: a person whose client sends TZ sees history
// in that zone, in a real terminal of 80x24 and of 40x24.
func TestScreenHistoryInOwnZone(t *testing.T) {
	clock := newFakeClock(time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC))
	srv := sshchattest.Start(t, sshchat.Config{Now: clock.Now})
	bob := dialWelcome(t, srv.Addr, sshchattest.Options{User: "bob"})
	bob.Send("noon in London")
	bob.WaitFor("bob: noon in London")
	clock.Advance(26 * time.Hour)

	h := newOpenSSHHost(t, srv.Addr)
	for _, cols := range []int{80, 40} {
		t.Run(fmt.Sprint(cols), func(t *testing.T) {
			user := fmt.Sprintf("tokyo%d", cols)
			// Two variables in one SetEnv, as README says (OpenSSH
			// keeps the first -o SetEnv only).
			s := startScreen(t, h, cols, 24, opensshOptions{User: user, Options: []string{"-o", "SetEnv=TZ=Asia/Tokyo NO_COLOR=1"}})
			s.waitFor(fmt.Sprintf("[%s #lobby]", user))
			s.typeLine("/history 1")
			s.waitFor("[2026-01-15 21:00] bob: noon in London")
			s.typeLine("/tz")
			// Other notices wrap where the terminal wraps them (only
			// /help wraps itself): look for the words, not the line.
			rows := s.waitFor("Asia/Tokyo (23:00")
			if !strings.Contains(strings.Join(rows, "\n"), "JST)") {
				t.Errorf("/tz does not name the zone:\n%s", strings.Join(rows, "\n"))
			}
			s.typeLine("/theme")
			s.waitFor("shows no colour")
		})
	}
}

// TestScreenCatchUpAfterADay: alice comes back after a day in a real
// terminal and sees what she missed, in her zone: the summary, the lines
// that name her, then the unread lines of #lobby. (README's "Catching up"
// shows this screen.)
func TestScreenCatchUpAfterADay(t *testing.T) {
	clock := newFakeClock(time.Date(2026, 11, 26, 17, 30, 0, 0, time.UTC))
	srv := sshchattest.Start(t, sshchat.Config{Now: clock.Now})
	h := newOpenSSHHost(t, srv.Addr)
	keyPath := writeClientKey(t, h.dir, "alice")
	o := opensshOptions{User: "alice", KeyPath: keyPath, Options: []string{"-o", "SetEnv=TZ=Europe/Warsaw"}}
	s := startScreen(t, h, 80, 24, o)
	s.waitFor("[alice #lobby]")
	s.typeLine("/join #dev")
	s.waitFor("[alice #dev]")
	s.typeLine("/part")
	s.waitFor("[alice #lobby]")
	s.typeLine("see you tomorrow")
	s.waitFor("alice: see you tomorrow")
	_ = s.tmux("kill-server")
	// Lines written to her connection before the server notices it is
	// gone count as shown: wait until it has.
	waitMetrics(t, srv, "alice's session ended", func(m map[string]float64) bool { return m[`sshchat_sessions_open{kind="pty"}`] == 0 })

	bob := dialWelcome(t, srv.Addr, sshchattest.Options{User: "bob"})
	bob.WaitFor("Welcome")
	say := func(c *sshchattest.Client, after time.Duration, text string) {
		clock.Advance(after)
		c.Send(text)
		c.WaitFor(": " + text + "\n")
	}
	say(bob, 14*time.Hour, "morning all")
	say(bob, 20*time.Minute, "alice, the deploy is at noon")
	say(bob, 2*time.Hour, "build is green")
	carol := dialWelcome(t, srv.Addr, sshchattest.Options{User: "carol"})
	say(carol, time.Hour, "@alice can you review #42?")
	say(carol, 5*time.Minute, "lunch?")
	bob.Send("/join #dev")
	bob.WaitFor("You are now in #dev.")
	say(bob, time.Hour, "migrations merged")
	say(bob, time.Minute, "tests take 70 s now")
	clock.Advance(5 * time.Hour)

	s = startScreen(t, h, 80, 24, o)
	// The prompt can be drawn before the catch-up is written: wait for
	// the last unread line instead.
	s.waitFor("carol: lunch?")
	rows := s.waitFor("[alice #lobby]")
	text := strings.Join(rows, "\n")
	t.Logf("alice's screen after a day away:\n%s", text)
	for _, want := range []string{
		"*** #lobby: 5 new lines, 2 mention you; #dev: 2 new lines",
		"*** 2 lines that mention you in #lobby:",
		"*** 5 new lines in #lobby since you were last here:",
		"[2026-11-27 08:50] bob: alice, the deploy is at noon", // 07:50 UTC
		"[2026-11-27 11:55] carol: lunch?",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the screen does not show %q", want)
		}
	}
}
