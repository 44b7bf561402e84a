// Over 400 lines: one subject, history (scrollback, /history, /search,
// retention) through real sessions, with its fixtures.

package e2e

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
	gossh "golang.org/x/crypto/ssh"
)

// checkScrollback checks that text holds, after the heading "Last N lines
// of room:", exactly the history lines want (each "[time] " + want[i]),
// and that the next line is not from history.
func checkScrollback(t *testing.T, who, text, room string, want []string) {
	t.Helper()
	heading := fmt.Sprintf("*** Last %d lines of %s:", len(want), room)
	if len(want) == 1 {
		heading = fmt.Sprintf("*** Last 1 line of %s:", room)
	}
	ls := lines(text)
	at := -1
	for i, l := range ls {
		if strings.HasPrefix(l, "*** Last ") {
			if l != heading {
				t.Errorf("%s: scrollback heading %q, want %q", who, l, heading)
			}
			at = i
			break
		}
	}
	if at < 0 {
		t.Errorf("%s: no scrollback heading %q in:\n%s", who, heading, text)
		return
	}
	var got []string
	for _, l := range ls[at+1:] {
		p := historyPrefix.FindString(l)
		if p == "" {
			break
		}
		got = append(got, l[len(p):])
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s: scrollback shows %d lines:\n%s\nwant %d lines:\n%s", who, len(got), strings.Join(got, "\n"), len(want), strings.Join(want, "\n"))
	}
}

func numbered(from, to int, format string) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprintf(format, i))
	}
	return out
}

// TestScrollbackOnJoin: a newcomer sees the last 50 lines, set apart, then
// live lines, nothing twice and nothing missing; also after a restart.
func TestScrollbackOnJoin(t *testing.T) {
	srv := startDurable(t, sshchat.Config{})
	alice := dialWelcome(t, srv.Addr, sshchattest.Options{User: "alice"})
	for i := 1; i <= 60; i++ {
		alice.Send(fmt.Sprintf("line %03d", i))
	}
	alice.WaitFor("alice: line 060\n")
	want := numbered(11, 60, "alice: line %03d")

	bob := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "bob"})
	bob.WaitFor("bob joined #lobby.")
	alice.Send("live one")
	text := bob.WaitFor("alice: live one\n")
	checkScrollback(t, "bob", text, "#lobby", want)
	if strings.Count(text, "line 060") != 1 || strings.Contains(text, "line 010") {
		t.Errorf("bob's scrollback repeats or overshoots:\n%s", text)
	}
	if live := lines(text[strings.LastIndex(text, "line 060"):]); len(live) < 2 {
		t.Errorf("no lines after the scrollback")
	}
	for _, l := range lines(text) {
		if strings.HasSuffix(l, "alice: live one") && l != "alice: live one" {
			t.Errorf("a live line is shown as %q, want it without a time", l)
		}
	}
	// On a terminal, history is dim as well.
	tty := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "tty", PTY: true})
	tty.WaitFor("alice: line 060")
	if raw := tty.Raw(); !strings.Contains(raw, "\x1b[90m[") {
		t.Errorf("scrollback is not set apart (dim) on a terminal:\n%q", raw)
	}

	// A room of its own: history is per room.
	alice.Send("/join #other")
	alice.WaitFor("You are now in #other.")
	alice.Send("other room line")
	alice.WaitFor("alice: other room line")
	carol := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "carol"})
	carol.WaitFor("carol joined #lobby.")
	checkScrollback(t, "carol", carol.Text(), "#lobby", append(numbered(12, 60, "alice: line %03d"), "alice: live one"))
	if strings.Contains(carol.Text(), "other room line") {
		t.Errorf("#lobby's scrollback shows a line of #other")
	}

	// After a restart, lines said before it are replayed.
	srv = restart(t, srv)
	dave := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "dave"})
	dave.WaitFor("dave joined #lobby.")
	checkScrollback(t, "dave after a restart", dave.Text(), "#lobby", append(numbered(12, 60, "alice: line %03d"), "alice: live one"))
	before := len(dave.Text())
	dave.Send("/join #other")
	text = dave.WaitFor("dave joined #other.")
	checkScrollback(t, "dave in #other after a restart", text[before:], "#other", []string{"alice: other room line"})
}

// TestScrollbackAfterRestartIgnoresAnnouncements: announcements share the
// room's order in the store but are not history; after a restart a newcomer
// still sees the last 50 lines said, however many announcements (here
// topic changes) came after them.
func TestScrollbackAfterRestartIgnoresAnnouncements(t *testing.T) {
	srv := startDurable(t, sshchat.Config{})
	alice := dialWelcome(t, srv.Addr, sshchattest.Options{User: "alice"})
	alice.Send("/join #busy")
	alice.WaitFor("You are now in #busy.")
	for i := 1; i <= 60; i++ {
		alice.Send(fmt.Sprintf("said %03d", i))
	}
	for i := 1; i <= 60; i++ {
		alice.Send(fmt.Sprintf("/topic topic %03d", i))
	}
	alice.WaitFor("alice set the topic: topic 060\n")
	want := numbered(11, 60, "alice: said %03d")

	bob := dialWelcome(t, srv.Addr, sshchattest.Options{User: "bob"})
	before := len(bob.Text())
	bob.Send("/join #busy")
	checkScrollback(t, "bob before the restart", bob.WaitFor("bob joined #busy.")[before:], "#busy", want)

	srv = restart(t, srv)
	carol := dialWelcome(t, srv.Addr, sshchattest.Options{User: "carol"})
	before = len(carol.Text())
	carol.Send("/join #busy")
	checkScrollback(t, "carol after the restart", carol.WaitFor("carol joined #busy.")[before:], "#busy", want)
}

var floodLine = regexp.MustCompile(`^(\[\d{4}-\d\d-\d\d \d\d:\d\d\] )?sender: n=(\d{3})$`)

// TestScrollbackJoinWhileSending stresses "subscribe, replay, go live":
// people join while lines are being said, and each sees, from their first
// line on, every line exactly once and in order, history before live.
func TestScrollbackJoinWhileSending(t *testing.T) {
	const total, joiners = 200, 5
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))

	srv := startDurable(t, sshchat.Config{})
	sender := dialWelcome(t, srv.Addr, sshchattest.Options{User: "sender"})

	// Joiner i starts connecting once the sender has seen line at[i] come
	// back, and connects while the sender goes on.
	type dialed struct {
		c   *sshchattest.Client
		err error
	}
	at := make([]int, joiners)
	keys := make([]gossh.Signer, joiners)
	results := make([]chan dialed, joiners)
	for i := range at {
		at[i] = rng.IntN(total - 50)
		keys[i] = sshchattest.NewKey(t)
		results[i] = make(chan dialed, 1)
	}
	t.Logf("seed %d: joins start after lines %v", seed, at)
	started := make([]bool, joiners)
	for n := 0; n < total; n++ {
		if _, err := io.WriteString(sender.Stdin(), fmt.Sprintf("n=%03d\n", n)); err != nil {
			t.Fatal(err)
		}
		sender.WaitFor(fmt.Sprintf("sender: n=%03d\n", n))
		for i := range at {
			if !started[i] && at[i] <= n {
				started[i] = true
				go func() {
					c, err := sshchattest.TryDial(t, srv.Addr, sshchattest.Options{User: fmt.Sprintf("joiner%d", i), Key: keys[i]})
					results[i] <- dialed{c, err}
				}()
			}
		}
	}
	for i := range joiners {
		var r dialed
		select {
		case r = <-results[i]:
		case <-time.After(sshchattest.DefaultTimeout):
			t.Fatalf("joiner %d did not connect", i)
		}
		if r.err != nil {
			t.Fatalf("joiner %d: %v", i, r.err)
		}
		text := r.c.WaitFor(fmt.Sprintf("sender: n=%03d\n", total-1))
		checkContiguous(t, fmt.Sprintf("joiner%d", i), text, total)
	}
}

// checkContiguous checks what one joiner saw of the sender's lines: history
// (at most 50 lines, under its heading) then live lines, together every
// line from the first one seen to the last exactly once and in order, and
// starting at the very first line when the scrollback was not full.
func checkContiguous(t *testing.T, who, text string, total int) {
	t.Helper()
	var nums []int
	history, live := 0, 0
	for _, l := range lines(text) {
		m := floodLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[2])
		if m[1] != "" {
			if live > 0 {
				t.Errorf("%s: history line %q after live lines", who, l)
			}
			history++
		} else {
			live++
		}
		nums = append(nums, n)
	}
	t.Logf("%s: %d history + %d live lines, from n=%03d", who, history, live, nums[0])
	for j, n := range nums {
		if n != nums[0]+j {
			t.Errorf("%s: line %d is n=%03d, want n=%03d (a gap or a duplicate at the join):\n%v", who, j, n, nums[0]+j, nums)
			break
		}
	}
	if last := nums[len(nums)-1]; last != total-1 {
		t.Errorf("%s: last line n=%03d, want n=%03d", who, last, total-1)
	}
	if history > 50 {
		t.Errorf("%s: %d lines of scrollback, want at most 50", who, history)
	}
	if history < 50 && nums[0] != 0 {
		t.Errorf("%s: scrollback of %d lines starts at n=%03d: lines before it are missing", who, history, nums[0])
	}
	if history > 0 {
		heading := fmt.Sprintf("*** Last %d %s of #lobby:\n", history, map[bool]string{true: "line", false: "lines"}[history == 1])
		if !strings.Contains(text, heading) {
			t.Errorf("%s: no heading %q", who, heading)
		}
	}
}

// TestHistoryAndSearch: /history N and /search TEXT show lines of the
// current room only.
func TestHistoryAndSearch(t *testing.T) {
	srv := startDurable(t, sshchat.Config{})
	alice := dialWelcome(t, srv.Addr, sshchattest.Options{User: "alice"})
	bob := dialWelcome(t, srv.Addr, sshchattest.Options{User: "bob"})
	bob.Send("apple in the lobby")
	bob.WaitFor("bob: apple in the lobby")
	alice.Send("/join #dev")
	alice.WaitFor("alice joined #dev.")
	said := []string{"apple pie", "banana split", "Cherry APPLE tart", "/me eats an apple", "grape juice", "nothing here"}
	for _, s := range said {
		alice.Send(s)
	}
	alice.WaitFor("alice: nothing here\n")
	shown := []string{"alice: apple pie", "alice: banana split", "alice: Cherry APPLE tart", "* alice eats an apple", "alice: grape juice", "alice: nothing here"}

	// check compares a block of replayed lines with want (without times).
	check := func(t *testing.T, cmd, heading string, want []string) {
		t.Helper()
		out := block(t, alice, cmd)
		ls := lines(out)
		if ls[0] != heading {
			t.Errorf("%s: heading %q, want %q", cmd, ls[0], heading)
		}
		var got []string
		for _, l := range ls[1:] {
			p := historyPrefix.FindString(l)
			if p == "" {
				t.Errorf("%s: line %q has no time", cmd, l)
			}
			got = append(got, l[len(p):])
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: got\n%s\nwant\n%s", cmd, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	t.Run("history", func(t *testing.T) {
		check(t, "/history", "*** Last 6 lines of #dev:", shown)
		check(t, "/history 2", "*** Last 2 lines of #dev:", shown[4:])
		check(t, "/history 1", "*** Last 1 line of #dev:", shown[5:])
		check(t, "/history 500", "*** Last 6 lines of #dev:", shown)
		check(t, "/history 100000", "*** Last 6 lines of #dev:", shown)
		for _, bad := range []string{"/history 0", "/history -3", "/history many"} {
			if out := block(t, alice, bad); out != "*** Usage: /history [N]\n" {
				t.Errorf("%s: got %q", bad, out)
			}
		}
		bob.WaitFor("alice left #lobby.")
		if out := block(t, bob, "/history"); !strings.HasPrefix(out, "*** Last 1 line of #lobby:\n[") || !strings.HasSuffix(out, "] bob: apple in the lobby\n") || len(lines(out)) != 2 {
			t.Errorf("/history in #lobby: got %q", out)
		}
		bob.Send("/join #empty")
		bob.WaitFor("You are now in #empty.")
		bob.WaitFor("bob joined #empty.")
		if out := block(t, bob, "/history"); out != "*** No history in #empty yet.\n" {
			t.Errorf("/history in an empty room: got %q", out)
		}
		bob.Send("/part")
		bob.WaitFor("You are now in #lobby.")
		bob.WaitCount("bob joined #lobby.", 2)
	})
	t.Run("search", func(t *testing.T) {
		check(t, "/search apple", `*** 3 lines in #dev match "apple":`, []string{shown[0], shown[2], shown[3]})
		check(t, "/search app", `*** 3 lines in #dev match "app":`, []string{shown[0], shown[2], shown[3]})
		check(t, "/search juice", `*** 1 line in #dev matches "juice":`, []string{shown[4]})
		check(t, "/search APPLE tart", `*** 1 line in #dev matches "APPLE tart":`, []string{shown[2]})
		check(t, "/search banana", `*** 1 line in #dev matches "banana":`, []string{shown[1]})
		if out := block(t, alice, "/search durian"); out != "*** Nothing in #dev matches \"durian\".\n" {
			t.Errorf("/search with no match: got %q", out)
		}
		if out := block(t, alice, "/search banana durian"); out != "*** Nothing in #dev matches \"banana durian\".\n" {
			t.Errorf("/search needs every word: got %q", out)
		}
		if out := block(t, alice, "/search lobby"); out != "*** Nothing in #dev matches \"lobby\".\n" {
			t.Errorf("/search found a line of another room: %q", out)
		}
		if out := block(t, alice, "/search"); out != "*** Usage: /search TEXT\n" {
			t.Errorf("/search without text: got %q", out)
		}
		if out := block(t, bob, "/search apple"); !strings.HasPrefix(out, `*** 1 line in #lobby matches "apple":`) || strings.Contains(out, "pie") {
			t.Errorf("/search in #lobby: got %q", out)
		}
	})
}

// signalHandler is a slog handler that closes a channel when a record with
// a given message is logged, so that tests wait for background work
// without polling.
type signalHandler struct {
	slog.Handler
	msg  string
	once *sync.Once
	seen chan struct{}
}

func (h signalHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.once.Do(func() { close(h.seen) })
	}
	return h.Handler.Handle(ctx, r)
}

func (h signalHandler) WithAttrs(as []slog.Attr) slog.Handler {
	h.Handler = h.Handler.WithAttrs(as)
	return h
}

func (h signalHandler) WithGroup(name string) slog.Handler {
	h.Handler = h.Handler.WithGroup(name)
	return h
}

// TestRetention: lines older than --retention are gone after the prune that
// runs at start.
func TestRetention(t *testing.T) {
	clock := newFakeClock(time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC))
	srv := startDurable(t, sshchat.Config{Retention: time.Hour, Now: clock.Now})
	alice := dialWelcome(t, srv.Addr, sshchattest.Options{User: "alice"})
	alice.Send("old one")
	alice.Send("old two")
	alice.WaitFor("alice: old two\n")
	clock.Advance(2 * time.Hour)
	alice.Send("new one")
	alice.WaitFor("alice: new one\n")
	if out := block(t, alice, "/history"); out != "*** Last 3 lines of #lobby:\n[2025-03-04 10:00] alice: old one\n[2025-03-04 10:00] alice: old two\n[2025-03-04 12:00] alice: new one\n" {
		t.Fatalf("/history before pruning: %q", out)
	}

	srv.Stop(t)
	logs := &sshchattest.LogBuffer{}
	pruned := signalHandler{
		Handler: slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}),
		msg:     "pruned history", once: &sync.Once{}, seen: make(chan struct{}),
	}
	cfg := srv.Cfg
	cfg.Logger = slog.New(pruned)
	srv = sshchattest.Start(t, cfg)
	select {
	case <-pruned.seen:
	case <-time.After(sshchattest.DefaultTimeout):
		t.Fatalf("no prune at start; log:\n%s", logs.String())
	}
	t.Log(strings.TrimSpace(logs.String()[strings.Index(logs.String(), "level=INFO msg=\"pruned history\""):]))

	bob := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "bob"})
	bob.WaitFor("bob joined #lobby.")
	if out := block(t, bob, "/history"); out != "*** Last 1 line of #lobby:\n[2025-03-04 12:00] alice: new one\n" {
		t.Errorf("/history after pruning: %q", out)
	}
	if out := block(t, bob, "/search old"); out != "*** Nothing in #lobby matches \"old\".\n" {
		t.Errorf("/search finds pruned lines: %q", out)
	}
	// Someone joining after the prune must not be shown pruned lines
	// either.
	if strings.Contains(bob.Text(), "old one") {
		t.Errorf("a newcomer's scrollback shows lines past retention:\n%s", bob.Text())
	}
}
