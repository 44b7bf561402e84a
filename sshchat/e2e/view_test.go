// Over 400 lines: one subject, what each member's screen shows (colours,
// mentions, bells, time zones, ignores, themes), through real sessions.

package e2e

import (
	"regexp"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// Integration tests over SSH of what each person's screen shows: colour and
// its absence, timestamps, the bell and mentions, away and ignore,
// preferences across a restart, the MOTD, and the bot mode.

// viewSGR matches a colour/attribute escape (Select Graphic Rendition).
// x/term's own cursor movements (ESC[K, ESC[nA, ESC[J …) do not end in m.
var viewSGR = regexp.MustCompile(`\x1b\[[0-9;]*m`)

// viewNow is the injected time: 12:34 UTC in January, so 13:34 in
// Warsaw and 07:34 in New York.
var viewNow = time.Date(2024, 1, 15, 12, 34, 56, 0, time.UTC)

func viewClock() time.Time { return viewNow }

// viewPtyAs returns options for a session with a pty whose TERM is term
// (sshchattest always asks for xterm-256color). Such a client is not
// marked PTY for sshchattest, so type lines with Write(line + "\r").
func viewPtyAs(user, term string, key gossh.Signer, env ...string) sshchattest.Options {
	return sshchattest.Options{User: user, Key: key, BeforeShell: func(s *gossh.Session) {
		if err := s.RequestPty(term, 24, 80, gossh.TerminalModes{}); err != nil {
			panic("pty request refused: " + err.Error())
		}
		viewSetenv(s, env...)
	}}
}

// viewEnv returns BeforeShell sending the given KEY=value pairs.
func viewEnv(env ...string) func(*gossh.Session) {
	return func(s *gossh.Session) { viewSetenv(s, env...) }
}

func viewSetenv(s *gossh.Session, env ...string) {
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if err := s.Setenv(k, v); err != nil {
			panic("env " + k + " refused: " + err.Error())
		}
	}
}

// viewSince returns what c received (raw) after offset.
func viewSince(c *sshchattest.Client, offset int) string { return c.Raw()[offset:] }

// viewLine returns the received text line (escapes stripped) that contains
// want, failing unless there is exactly one.
func viewLine(t *testing.T, c *sshchattest.Client, want string) string {
	t.Helper()
	return lineWith(t, c.WaitFor(want), want)
}

func TestNoColourForNoColorDumbAndMono(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	colour := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "colour", PTY: true})
	colour.WaitFor("Welcome to #lobby, colour!")
	noColor := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "nocolor", PTY: true, BeforeShell: viewEnv("NO_COLOR=1")})
	noColor.WaitFor("Welcome to #lobby, nocolor!")
	dumb := sshchattest.Dial(t, srv.Addr, viewPtyAs("dumb", "dumb", nil))
	dumb.WaitFor("Welcome to #lobby, dumb!")
	mono := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "mono", PTY: true})
	mono.WaitFor("Welcome to #lobby, mono!")
	speaker := dialWelcome(t, srv.Addr, sshchattest.Options{User: "speaker"})

	mono.Send("/theme")
	mono.WaitFor("Themes: default, mono. Yours is default. /theme NAME switches.")
	noColor.Send("/theme")
	noColor.WaitFor("Your session shows no colour (no terminal, NO_COLOR, or TERM=dumb).")
	mono.Send("/theme mono")
	mono.WaitFor("Theme: mono.")
	mono.Send("/theme")
	mono.WaitFor("Yours is mono.")

	marks := map[*sshchattest.Client]int{}
	for _, c := range []*sshchattest.Client{colour, noColor, dumb, mono} {
		marks[c] = len(c.Raw())
	}
	speaker.Send("a line in colour, or not")
	speaker.Send("/me waves at everyone")
	speaker.Send("/msg dumb private words")
	speaker.Send("/msg mono private words")
	speaker.Send("/msg nocolor private words")
	speaker.Send("last line")
	for _, c := range []*sshchattest.Client{colour, noColor, dumb, mono} {
		c.WaitFor("speaker: last line")
	}
	if got := viewSince(colour, marks[colour]); !viewSGR.MatchString(got) {
		t.Fatalf("the control session (xterm-256color) got no colour, so this test proves nothing: %q", got)
	}
	for name, c := range map[string]*sshchattest.Client{"NO_COLOR=1": noColor, "TERM=dumb": dumb, "/theme mono": mono} {
		got := viewSince(c, marks[c])
		if !strings.Contains(sshchattest.StripANSI(got), "* speaker waves at everyone") {
			t.Errorf("%s: the emote is missing from %q", name, got)
		}
		if sgr := viewSGR.FindAllString(got, -1); len(sgr) > 0 {
			t.Errorf("%s: message lines carry colour codes %q: %q", name, sgr, got)
		}
	}
	for name, c := range map[string]*sshchattest.Client{"NO_COLOR=1": noColor, "TERM=dumb": dumb, "/theme mono": mono} {
		if !strings.Contains(c.Text(), "*speaker* private words") {
			t.Errorf("%s: the private message is missing", name)
		}
		// Nothing the server wrote to them, from the welcome on, has colour.
		if sgr := viewSGR.FindAllString(c.Raw(), -1); len(sgr) > 0 && c != mono {
			t.Errorf("%s: the session received colour codes %q", name, sgr)
		}
	}
	dumb.Write("hi from a dumb terminal\r")
	speaker.WaitFor("dumb: hi from a dumb terminal")
}

func TestTimestampsInTheMembersZoneOverSSH(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{Now: viewClock})
	warsaw := dialWelcome(t, srv.Addr, sshchattest.Options{User: "warsaw", PTY: true})
	ny := dialWelcome(t, srv.Addr, sshchattest.Options{User: "ny", BeforeShell: viewEnv("TZ=America/New_York")})
	utc := dialWelcome(t, srv.Addr, sshchattest.Options{User: "utc"})
	speaker := dialWelcome(t, srv.Addr, sshchattest.Options{User: "speaker"})

	warsaw.Send("/tz")
	warsaw.WaitFor("Your time zone is UTC (12:34 UTC).")
	warsaw.Send("/tz Europe/Warsaw")
	warsaw.WaitFor("Time zone: Europe/Warsaw, now 13:34 CET.")
	ny.Send("/tz")
	ny.WaitFor("Your time zone is America/New_York (07:34 EST).")
	for _, c := range []*sshchattest.Client{warsaw, ny, utc} {
		c.Send("/timestamp on")
		c.WaitFor("Timestamps on.")
	}
	speaker.Send("what time is it?")
	if got := viewLine(t, warsaw, "speaker: what time is it?"); !strings.Contains(got, "[13:34] speaker: what time is it?") {
		t.Errorf("Warsaw sees %q, want [13:34]", got)
	}
	if got := viewLine(t, ny, "speaker: what time is it?"); got != "[07:34] speaker: what time is it?" {
		t.Errorf("New York (TZ sent by the client) sees %q, want [07:34]", got)
	}
	if got := viewLine(t, utc, "speaker: what time is it?"); got != "[12:34] speaker: what time is it?" {
		t.Errorf("UTC sees %q, want [12:34]", got)
	}
	if got := viewLine(t, speaker, "speaker: what time is it?"); got != "speaker: what time is it?" {
		t.Errorf("the speaker, without timestamps, sees %q", got)
	}
	warsaw.Send("/timestamp off")
	warsaw.WaitFor("Timestamps off.")
	speaker.Send("no more stamps")
	if got := viewLine(t, warsaw, "speaker: no more stamps"); strings.Contains(got, "[13:34]") {
		t.Errorf("after /timestamp off Warsaw sees %q", got)
	}
}

func TestBellAndMentionBytes(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	alice := dialWelcome(t, srv.Addr, sshchattest.Options{User: "alice", PTY: true})
	dumb := dialWelcome(t, srv.Addr, viewPtyAs("carol", "dumb", nil))
	script := dialWelcome(t, srv.Addr, sshchattest.Options{User: "script"})
	bob := dialWelcome(t, srv.Addr, sshchattest.Options{User: "bob"})

	// say has bob send line, waits until alice shows it, and returns the
	// raw bytes alice received for it.
	say := func(line, shown string) string {
		t.Helper()
		start := len(alice.Raw())
		bob.Send(line)
		alice.WaitFor(shown)
		return viewSince(alice, start)
	}
	bells := func(s string) int { return strings.Count(s, "\a") }

	// Default: mentions and private messages ring.
	got := say("alice: lunch?", "bob: alice: lunch?")
	if bells(got) != 1 || !strings.Contains(got, "\a\x1b[1;31m»\x1b[0m ") {
		t.Errorf("a mention (bell mentions) arrived as %q, want one \\a and a red »", got)
	}
	if got := say("Alice, are you there", "bob: Alice, are you there"); bells(got) != 1 || !strings.Contains(got, "»") {
		t.Errorf("a capitalised mention arrived as %q", got)
	}
	if got := say("talking about malice", "bob: talking about malice"); bells(got) != 0 || strings.Contains(got, "»") {
		t.Errorf("'malice' rang or marked alice: %q", got)
	}
	if got := say("/msg alice psst", "*bob* psst"); bells(got) != 1 {
		t.Errorf("a private message (bell mentions) arrived as %q, want one \\a", got)
	}
	// The dumb terminal (carol) sees the marker as plain text; the script
	// sees neither.
	bob.Send("carol: you too")
	if got := viewLine(t, dumb, "bob: carol: you too"); !strings.Contains(got, "\a» bob: carol: you too") {
		t.Errorf("carol (TERM=dumb) sees %q, want the bell and a plain » before the line", got)
	}
	bob.Send("script: ping")
	if got := script.WaitFor("bob: script: ping"); strings.ContainsAny(got, "\a\x1b") || strings.Contains(got, "»") {
		t.Errorf("a session without a pty got a bell, an escape or a marker: %q", got)
	}
	script.Send("hi @alice from a script")
	alice.WaitFor("script: hi @alice from a script")
	// lunch?, Alice, psst, @alice: four rings; malice and the lines for
	// carol and script none.
	if got := alice.Raw(); strings.Count(got, "\a") != 4 {
		t.Errorf("alice's screen rang %d times so far, want 4: %q", strings.Count(got, "\a"), got)
	}

	alice.Send("/bell off")
	alice.WaitFor("Bell: off.")
	if got := say("alice: quiet now", "bob: alice: quiet now"); bells(got) != 0 || !strings.Contains(got, "»") {
		t.Errorf("with /bell off a mention arrived as %q, want a » and no \\a", got)
	}
	if got := say("/msg alice quiet psst", "*bob* quiet psst"); bells(got) != 0 {
		t.Errorf("with /bell off a private message arrived as %q", got)
	}

	alice.Send("/bell on")
	alice.WaitFor("Bell: on.")
	if got := say("anyone?", "bob: anyone?"); bells(got) != 1 {
		t.Errorf("with /bell on a plain line arrived as %q, want one \\a", got)
	}
	start := len(alice.Raw())
	alice.Send("my own line")
	alice.WaitFor("alice: my own line")
	if got := viewSince(alice, start); bells(got) != 0 {
		t.Errorf("alice's own line rang her bell: %q", got)
	}

	alice.Send("/bell mentions")
	alice.WaitFor("Bell: mentions.")
	if got := say("no names here", "bob: no names here"); bells(got) != 0 {
		t.Errorf("back to /bell mentions, a plain line arrived as %q", got)
	}
}

func TestAwayIsShownToOthers(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	alice := dialWelcome(t, srv.Addr, sshchattest.Options{User: "alice"})
	bob := dialWelcome(t, srv.Addr, sshchattest.Options{User: "bob"})

	alice.Send("/away lunch \x1b[31mbreak")
	alice.WaitFor("You are marked away (lunch [31mbreak). /back when you return.")
	if got := block(t, bob, "/who"); !strings.Contains(got, "*** 2 in #lobby: ") || !strings.Contains(got, "alice (away: lunch [31mbreak)") {
		t.Errorf("/who shows %q", got)
	}
	if got := block(t, bob, "/whois alice"); !hasLine(got, "*** alice is away: lunch [31mbreak") {
		t.Errorf("/whois shows %q", got)
	}
	// The private message is answered once it is stored, after the echo.
	bob.Send("/msg alice are you there?")
	bob.WaitFor("-> *alice* are you there?\n*** alice is away: lunch [31mbreak\n")
	alice.WaitFor("*bob* are you there?")
	if strings.Contains(bob.Raw(), "\x1b") {
		t.Errorf("an escape in the away reason reached bob: %q", bob.Raw())
	}

	alice.Send("/back")
	alice.WaitFor("Welcome back.")
	if got := block(t, bob, "/who"); strings.Contains(got, "away") || !strings.Contains(got, "alice") {
		t.Errorf("/who after /back shows %q", got)
	}
	start := len(bob.Text())
	bob.Send("/msg alice welcome back")
	bob.Send("/msg alice second")
	if got := bob.WaitFor("-> *alice* second\n")[start:]; strings.Contains(got, "is away") {
		t.Errorf("messaging someone back from away still says they are away: %q", got)
	}
	alice.Send("/back")
	alice.WaitFor("You were not away.")
	alice.Send("/away")
	alice.WaitFor("You are marked away (away).")
}

func TestIgnoreHidesLinesAndPMsFromTheIgnorerOnly(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	alice := dialWelcome(t, srv.Addr, sshchattest.Options{User: "alice", PTY: true})
	bob := dialWelcome(t, srv.Addr, sshchattest.Options{User: "bob"})
	carol := dialWelcome(t, srv.Addr, sshchattest.Options{User: "carol"})

	alice.Send("/ignore bob")
	alice.WaitFor("Ignoring bob: you will not see their lines or private messages.")
	bob.Send("/msg alice secret for alice")
	bob.WaitFor("-> *alice* secret for alice")
	bob.Send("/msg carol secret for carol")
	bob.Send("bob speaks to the room")
	bob.Send("/me dances")
	carol.WaitFor("* bob dances")
	carol.Send("carol's marker")
	alice.WaitFor("carol: carol's marker")
	text := alice.Text()
	for _, hidden := range []string{"secret for alice", "bob speaks to the room", "bob dances"} {
		if strings.Contains(text, hidden) {
			t.Errorf("alice, who ignores bob, sees %q", hidden)
		}
	}
	ctext := carol.Text()
	for _, want := range []string{"*bob* secret for carol", "bob: bob speaks to the room", "* bob dances"} {
		if !strings.Contains(ctext, want) {
			t.Errorf("carol, who ignores nobody, does not see %q", want)
		}
	}
	if strings.Contains(ctext, "secret for alice") {
		t.Error("carol sees bob's private message to alice")
	}
	// Bob can still see alice.
	alice.Send("alice still talks")
	bob.WaitFor("alice: alice still talks")

	alice.Send("/unignore bob")
	alice.WaitFor("No longer ignoring bob.")
	bob.Send("seen again")
	alice.WaitFor("bob: seen again")
}

func TestPreferencesComeBackAfterRestart(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{Now: viewClock})
	key := sshchattest.NewKey(t)
	alice := dialWelcome(t, srv.Addr, sshchattest.Options{User: "alice", Key: key, PTY: true})
	for _, cmd := range []struct{ send, want string }{
		{"/theme mono", "Theme: mono."},
		{"/timestamp on", "Timestamps on."},
		{"/tz Europe/Warsaw", "Time zone: Europe/Warsaw, now 13:34 CET."},
		{"/bell off", "Bell: off."},
	} {
		alice.Send(cmd.send)
		alice.WaitFor(cmd.want)
	}
	// A guest's choices are for the session only.
	guest := dialWelcome(t, srv.Addr, sshchattest.Options{Guest: true, PTY: true})
	guest.Send("/theme mono")
	guest.WaitFor("Theme: mono (for this session: guests' choices are not kept).")

	srv = restart(t, srv, alice, guest)
	alice = sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "alice", Key: key, PTY: true})
	alice.WaitFor("Welcome to #lobby, alice!")
	bob := dialWelcome(t, srv.Addr, sshchattest.Options{User: "bob"})

	alice.Send("/theme")
	alice.WaitFor("Yours is mono.")
	alice.Send("/tz")
	alice.WaitFor("Your time zone is Europe/Warsaw (13:34 CET).")
	start := len(alice.Raw())
	bob.Send("alice: do you remember?")
	if got := viewLine(t, alice, "bob: alice: do you remember?"); !strings.Contains(got, "[13:34] » bob: alice: do you remember?") {
		t.Errorf("after the restart alice sees %q, want her Warsaw timestamp and the marker", got)
	}
	got := viewSince(alice, start)
	if strings.Contains(got, "\a") {
		t.Errorf("bell off was forgotten: %q", got)
	}
	if sgr := viewSGR.FindAllString(got, -1); len(sgr) > 0 {
		t.Errorf("theme mono was forgotten: colour codes %q in %q", sgr, got)
	}

	// Another key gets the defaults.
	other := dialWelcome(t, srv.Addr, sshchattest.Options{User: "other", PTY: true})
	other.Send("/theme")
	other.WaitFor("Yours is default.")
	other.Send("/tz")
	other.WaitFor("Your time zone is UTC (12:34 UTC).")
}

func TestMOTDIsShownSanitized(t *testing.T) {
	motd := "Be \x1b[31mnice\x1b[0m\a here\r\n\x1b]0;pwned\a\u202eevil\u202c title\n\n   \n\u009b31mlast\x7f line"
	srv := sshchattest.Start(t, sshchat.Config{MOTD: motd})
	plain := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "plain"})
	text := plain.WaitFor("Welcome to #lobby, plain!")
	want := "*** Be [31mnice[0m here\n*** ]0;pwnedevil title\n*** 31mlast line\n*** Welcome to #lobby, plain!"
	if !strings.HasPrefix(text, want) {
		t.Errorf("the MOTD arrived as %q, want it to start with %q", text, want)
	}
	if raw := plain.Raw(); strings.ContainsAny(raw, "\x1b\a\u202e\u202c\u009b\x7f\r") {
		t.Errorf("the MOTD carried control characters to a plain session: %q", raw)
	}
	term := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "term", PTY: true})
	term.WaitFor("Welcome to #lobby, term!")
	raw := term.Raw()
	for _, bad := range []string{"\x1b[31m", "\x1b]0;", "\a", "\u202e", "\u009b"} {
		if strings.Contains(raw, bad) {
			t.Errorf("the MOTD carried %q to a terminal: %q", bad, raw)
		}
	}
	if !strings.Contains(term.Text(), "*** Be [31mnice[0m here") {
		t.Errorf("the terminal's MOTD: %q", term.Text())
	}
}

func TestBotModeHasPlainProtocolAndNoReplay(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	human := dialWelcome(t, srv.Addr, sshchattest.Options{User: "human"})
	human.Send("old line one")
	human.Send("old line two")
	human.WaitFor("human: old line two")

	// Control: a plain session that is not a bot gets the history.
	reader := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "reader"})
	reader.WaitFor("human: old line one")

	for _, tc := range []struct {
		name string
		opts sshchattest.Options
	}{
		{"SSHCHAT_BOT=1", sshchattest.Options{User: "envbot", BeforeShell: viewEnv("SSHCHAT_BOT=1")}},
		{"TERM=bot", viewPtyAs("termbot", "bot", nil)},
	} {
		bot := sshchattest.Dial(t, srv.Addr, tc.opts)
		nick := tc.opts.User
		bot.WaitFor("Welcome to #lobby, " + nick + "!")
		live := "live line for " + nick
		human.Send(live)
		text := bot.WaitFor("human: " + live + "\n")
		if strings.Contains(text, "old line") || strings.Contains(text, "Last ") {
			t.Errorf("%s: the bot got history: %q", tc.name, text)
		}
		raw := bot.Raw()
		if strings.ContainsAny(raw, "\x1b\a\r") {
			t.Errorf("%s: the bot's stream is not the plain protocol (escapes, bells or CRs): %q", tc.name, raw)
		}
		if !strings.Contains(raw, "\nhuman: "+live+"\n") {
			t.Errorf("%s: the live line is not a plain LF-ended line: %q", tc.name, raw)
		}
		// A bot's lines end in LF and are posted as said.
		bot.Write("hello from " + nick + "\n")
		human.WaitFor(nick + ": hello from " + nick)
		bot.Write("/me beeps\n")
		human.WaitFor("* " + nick + " beeps")
		bot.Close()
	}
}
