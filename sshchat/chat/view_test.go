// Over 400 lines: one subject, rendering and each member's view
// (colours, mentions, bells, time zones, ignores), at the domain level.

package chat

import (
	"regexp"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Warsaw and America/New_York without system zoneinfo
)

// Unit tests of what each member's screen shows: nick colours, mentions,
// the bell, timestamps, ignore, and plain rendering for scripts.

// viewJoin joins a member with the given identity; the fingerprint defaults
// to one derived from the user name.
func viewJoin(t *testing.T, h *Hub, id Identity) *Member {
	t.Helper()
	if id.Fingerprint == "" && !strings.HasPrefix(id.User, "guest") {
		id.Fingerprint = "SHA256:" + id.User
	}
	m, err := h.Join(id, &fakePeer{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// viewTerm joins a member at a colour terminal.
func viewTerm(t *testing.T, h *Hub, user string) *Member {
	t.Helper()
	return viewJoin(t, h, Identity{User: user, Terminal: true})
}

// rendered is one queued event and how the member's screen shows it.
type rendered struct {
	ev  *Event
	out string
}

// viewDrain renders everything queued for m, event by event.
func viewDrain(m *Member, terminal bool) []rendered {
	var out []rendered
	for _, ev := range m.Outbox().Drain(nil) {
		out = append(out, rendered{ev, string(m.Render(nil, ev, terminal))})
	}
	return out
}

// viewText renders everything queued for m as one string.
func viewText(m *Member, terminal bool) string {
	var b strings.Builder
	for _, r := range viewDrain(m, terminal) {
		b.WriteString(r.out)
	}
	return b.String()
}

// viewSaid returns the rendering of the one queued line (message, emote or
// private message) whose text is text, failing if there is not exactly one.
// Announcements and notices queued meanwhile are skipped.
func viewSaid(t *testing.T, m *Member, terminal bool, text string) string {
	t.Helper()
	var found []string
	var all []string
	for _, r := range viewDrain(m, terminal) {
		all = append(all, r.out)
		if r.ev.Text == text && r.ev.Kind != KindNotice && r.ev.Kind != KindAnnounce {
			found = append(found, r.out)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s: %d queued lines with text %q, want 1; queued: %q", m.Nick(), len(found), text, all)
	}
	return found[0]
}

var nickColourRE = regexp.MustCompile(`\x1b\[1;38;5;(\d+)m([^\x1b]+)\x1b\[0m`)

// colourOf returns the colour escape a terminal member sees for the author
// of the queued line with the given text.
func colourOf(t *testing.T, viewer *Member, text string) (colour, nick string) {
	t.Helper()
	out := viewSaid(t, viewer, true, text)
	m := nickColourRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no 256-colour nick in %q", out)
	}
	return m[1], m[2]
}

func TestNickColourFollowsTheKey(t *testing.T) {
	h := quietHub(Config{})
	defer h.Close()
	viewer := viewTerm(t, h, "viewer")
	alice := viewTerm(t, h, "alice")

	h.Handle(alice, "first line")
	c1, nick := colourOf(t, viewer, "first line")
	if nick != "alice" {
		t.Fatalf("coloured nick %q, want alice", nick)
	}
	h.Handle(alice, "/nick wonderland")
	h.Handle(alice, "after the rename")
	c2, nick := colourOf(t, viewer, "after the rename")
	if nick != "wonderland" {
		t.Fatalf("coloured nick %q after /nick, want wonderland", nick)
	}
	if c1 != c2 {
		t.Errorf("alice's colour changed with her nick: %s, then %s", c1, c2)
	}

	// A new session with the same key, under yet another name.
	h.Leave(alice, "quit")
	again := viewJoin(t, h, Identity{User: "rabbit", Fingerprint: "SHA256:alice", Terminal: true})
	h.Handle(again, "second session")
	c3, _ := colourOf(t, viewer, "second session")
	if c3 != c1 {
		t.Errorf("the same key got colour %s in a new session, %s before", c3, c1)
	}
	// And on another hub (another server process) too.
	h2 := quietHub(Config{})
	defer h2.Close()
	viewer2 := viewTerm(t, h2, "viewer")
	other := viewJoin(t, h2, Identity{User: "hatter", Fingerprint: "SHA256:alice", Terminal: true})
	h2.Handle(other, "another server")
	if c4, _ := colourOf(t, viewer2, "another server"); c4 != c1 {
		t.Errorf("the same key got colour %s on another hub, %s on the first", c4, c1)
	}

	// Different keys usually differ: 24 keys spread over several colours,
	// and one nick with different keys is not one colour.
	seen := map[string]bool{}
	for i := range 24 {
		ev := &Event{Kind: KindMessage, From: "same", FromKey: "SHA256:key" + string(rune('A'+i)), Text: "x"}
		m := nickColourRE.FindStringSubmatch(string(ev.Bytes(StyleANSI)))
		if m == nil {
			t.Fatalf("no colour in %q", ev.Bytes(StyleANSI))
		}
		n := mustAtoi(t, m[1])
		if n < 16 || n > 231 {
			t.Errorf("colour %d is outside the 6x6x6 cube (16-231), whose look does not depend on the terminal's palette", n)
		}
		seen[m[1]] = true
	}
	if len(seen) < 8 {
		t.Errorf("24 different keys got only %d distinct colours: %v", len(seen), seen)
	}
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			t.Fatalf("not a number: %q", s)
		}
		n = n*10 + int(c-'0')
	}
	return n
}

func TestMentionsAreWholeWordsIgnoringCase(t *testing.T) {
	for _, tc := range []struct {
		text string
		want bool
	}{
		{"alice", true},
		{"hi alice", true},
		{"alice: are you there?", true},
		{"@alice look", true},
		{"ALICE!", true},
		{"thanks, Alice.", true},
		{"(alice)", true},
		{"alice's idea", true},
		{"malice aforethought", false},
		{"alicep", false},
		{"alice_2 is someone else", false},
		{"alice-bot is someone else", false},
		{"a l i c e", false},
		{"", false},
		{"malice, then alice", true}, // a later whole-word match counts
	} {
		if got := mentions(tc.text, "alice"); got != tc.want {
			t.Errorf("mentions(%q, alice) = %v, want %v", tc.text, got, tc.want)
		}
	}
	if mentions("anything", "") {
		t.Error("an empty nick is mentioned")
	}
	if !mentions("ping Bob_2 now", "bob_2") || mentions("ping bob_23", "bob_2") {
		t.Error("nicks with _ and digits are not matched as whole words")
	}
}

func TestMentionIsMarkedOnTheNamedScreenOnly(t *testing.T) {
	h := quietHub(Config{})
	defer h.Close()
	alice := viewTerm(t, h, "alice")
	bob := viewTerm(t, h, "bob")
	carol := viewJoin(t, h, Identity{User: "carol"}) // a script: no terminal
	bobMono := viewJoin(t, h, Identity{User: "dave", Terminal: true, NoColor: true})

	h.Handle(bob, "alice: lunch?")
	got := viewSaid(t, alice, true, "alice: lunch?")
	if !strings.HasPrefix(got, "\a\x1b[1;31m»\x1b[0m ") {
		t.Errorf("alice's mention %q does not start with the bell and a red »", got)
	}
	if got := viewSaid(t, bobMono, true, "alice: lunch?"); strings.Contains(got, "»") {
		t.Errorf("dave, who is not named, sees a mention marker: %q", got)
	}
	if got := viewSaid(t, bob, true, "alice: lunch?"); strings.Contains(got, "»") || strings.Contains(got, "\a") {
		t.Errorf("bob's own line is marked on his screen: %q", got)
	}
	if got := viewSaid(t, carol, false, "alice: lunch?"); got != "bob: alice: lunch?\n" {
		t.Errorf("a script sees %q", got)
	}

	// Without colour the marker is plain text; an emote names people too.
	h.Handle(alice, "/me waves at DAVE")
	if got := viewSaid(t, bobMono, true, "waves at DAVE"); got != "\a» * alice waves at DAVE\n" {
		t.Errorf("dave (no colour) sees %q, want %q", got, "\a» * alice waves at DAVE\n")
	}
	h.Handle(bob, "malice is not a name")
	if got := viewSaid(t, alice, true, "malice is not a name"); strings.Contains(got, "»") || strings.Contains(got, "\a") {
		t.Errorf("malice marked alice's screen: %q", got)
	}
}

func TestBellModes(t *testing.T) {
	h := quietHub(Config{})
	defer h.Close()
	alice := viewTerm(t, h, "alice")
	bob := viewTerm(t, h, "bob")

	type line struct {
		from   *Member
		say    string // what from types
		text   string // the event's text
		self   bool
		kind   string
		mentio bool
	}
	lines := []line{
		{from: bob, say: "hello room", text: "hello room", kind: "plain line"},
		{from: bob, say: "hey alice", text: "hey alice", kind: "mention", mentio: true},
		{from: bob, say: "/me pokes alice", text: "pokes alice", kind: "emote mention", mentio: true},
		{from: bob, say: "/msg alice psst", text: "psst", kind: "private message"},
		{from: alice, say: "alice talks to herself", text: "alice talks to herself", self: true, kind: "own line"},
		{from: alice, say: "/msg alice note to self", text: "note to self", self: true, kind: "own private message"},
	}
	for _, mode := range []struct {
		name  string
		rings func(l line) bool
	}{
		{"mentions", func(l line) bool { return !l.self && (l.mentio || l.kind == "private message") }},
		{"on", func(l line) bool { return !l.self }},
		{"off", func(line) bool { return false }},
	} {
		h.Handle(alice, "/bell "+mode.name)
		if got := viewText(alice, true); !strings.Contains(got, "Bell: "+mode.name) || strings.Contains(got, "\a") {
			t.Fatalf("/bell %s answered %q", mode.name, got)
		}
		for _, l := range lines {
			h.Handle(l.from, l.say)
			got := viewSaid(t, alice, true, l.text)
			if rings := strings.Count(got, "\a"); rings != map[bool]int{true: 1, false: 0}[mode.rings(l)] {
				t.Errorf("bell %s, %s: alice's screen got %q (%d bells)", mode.name, l.kind, got, rings)
			} else if rings == 1 && got[0] != '\a' {
				t.Errorf("bell %s, %s: the bell is not the first byte of %q", mode.name, l.kind, got)
			}
			viewText(bob, true)
		}
		// Server lines never ring.
		h.Handle(bob, "/nick bobby")
		h.Handle(bob, "/nick bob")
		for _, r := range viewDrain(alice, true) {
			if strings.Contains(r.out, "\a") {
				t.Errorf("bell %s: a server line rang: %q", mode.name, r.out)
			}
		}
	}
	h.Handle(alice, "/bell sometimes")
	if got := viewText(alice, true); !strings.Contains(got, "/bell") {
		t.Errorf("/bell sometimes did not answer with usage: %q", got)
	}
	if alice.Prefs().Bell != BellOff {
		t.Errorf("a bad /bell changed the mode to %v", alice.Prefs().Bell)
	}
}

func TestTimestampsInTheMembersZone(t *testing.T) {
	winter := time.Date(2024, 1, 15, 12, 34, 56, 0, time.UTC) // Warsaw UTC+1, New York UTC-5
	summer := time.Date(2024, 7, 15, 12, 34, 56, 0, time.UTC) // Warsaw UTC+2
	for _, tc := range []struct {
		now                 time.Time
		utc, warsaw, newYrk string
	}{
		{winter, "[12:34] ", "[13:34] ", "[07:34] "},
		{summer, "[12:34] ", "[14:34] ", "[08:34] "},
	} {
		now := tc.now
		h := quietHub(Config{Now: func() time.Time { return now }})
		alice := viewJoin(t, h, Identity{User: "alice"})                         // plain
		bob := viewTerm(t, h, "bob")                                             // colour
		ny := viewJoin(t, h, Identity{User: "carol", TZ: "America/New_York"})    // TZ from the client
		bad := viewJoin(t, h, Identity{User: "dave", TZ: "Not/AZone"})           // ignored
		say := viewJoin(t, h, Identity{User: "erin", TZ: "../../../etc/passwd"}) // ignored

		h.Handle(alice, "no stamps yet")
		if got := viewSaid(t, alice, false, "no stamps yet"); got != "alice: no stamps yet\n" {
			t.Errorf("timestamps are on by default: %q", got)
		}
		for _, m := range []*Member{alice, bob, ny, bad, say} {
			h.Handle(m, "/timestamp on")
		}
		h.Handle(alice, "/tz Europe/Warsaw")
		h.Handle(bob, "/tz Europe/Warsaw")
		if got := viewText(alice, false); !strings.Contains(got, "Time zone: Europe/Warsaw, now "+strings.Trim(tc.warsaw, "[] ")) {
			t.Errorf("/tz answered %q", got)
		}
		for _, m := range []*Member{bob, ny, bad, say} {
			viewText(m, true)
		}

		h.Handle(say, "what time is it")
		if got := viewSaid(t, alice, false, "what time is it"); got != tc.warsaw+"erin: what time is it\n" {
			t.Errorf("%s: alice (Warsaw, plain) sees %q, want %q", now, got, tc.warsaw+"erin: what time is it\n")
		}
		if got := viewSaid(t, bob, true, "what time is it"); !strings.HasPrefix(got, "\x1b[90m"+tc.warsaw+"\x1b[0m") {
			t.Errorf("%s: bob (Warsaw, colour) sees %q, want a dim %q first", now, got, tc.warsaw)
		}
		if got := viewSaid(t, ny, false, "what time is it"); !strings.HasPrefix(got, tc.newYrk) {
			t.Errorf("%s: carol (TZ=America/New_York) sees %q, want %q first", now, got, tc.newYrk)
		}
		if got := viewSaid(t, bad, false, "what time is it"); !strings.HasPrefix(got, tc.utc) {
			t.Errorf("%s: dave (bad TZ) sees %q, want UTC %q first", now, got, tc.utc)
		}
		if got := viewSaid(t, say, false, "what time is it"); !strings.HasPrefix(got, tc.utc) {
			t.Errorf("%s: erin (TZ with ..) sees %q, want UTC %q first", now, got, tc.utc)
		}
		// A private message carries the time too.
		h.Handle(say, "/msg alice psst")
		if got := viewSaid(t, alice, false, "psst"); got != tc.warsaw+"*erin* psst\n" {
			t.Errorf("%s: alice's private message %q", now, got)
		}

		h.Handle(alice, "/tz Mars/Olympus_Mons")
		h.Handle(alice, "/tz ../../etc/passwd")
		if got := viewText(alice, false); strings.Count(got, "Unknown time zone") != 2 {
			t.Errorf("bad /tz answered %q", got)
		}
		if z := alice.Prefs().Zone; z == nil || z.String() != "Europe/Warsaw" {
			t.Errorf("a bad /tz changed the zone to %v", z)
		}
		h.Handle(alice, "/timestamp off")
		h.Handle(say, "stamps off")
		if got := viewSaid(t, alice, false, "stamps off"); got != "erin: stamps off\n" {
			t.Errorf("after /timestamp off alice sees %q", got)
		}
		h.Handle(alice, "/timestamp sometimes")
		if got := viewText(alice, false); !strings.Contains(got, "/timestamp") || alice.Prefs().Timestamps {
			t.Errorf("/timestamp sometimes: %q, timestamps %v", got, alice.Prefs().Timestamps)
		}
		h.Close()
	}
}

func TestReplayedHistoryHasNoPersonalStamp(t *testing.T) {
	now := time.Date(2024, 1, 15, 12, 34, 0, 0, time.UTC)
	h := quietHub(Config{Now: func() time.Time { return now }})
	defer h.Close()
	bob := viewJoin(t, h, Identity{User: "bob"})
	h.Handle(bob, "before you came")
	alice := viewJoin(t, h, Identity{User: "alice", TZ: "Europe/Warsaw"})
	h.Handle(alice, "/timestamp on")
	var replay string
	for _, r := range viewDrain(alice, false) {
		if r.ev.Replay && r.ev.Text == "before you came" {
			replay = r.out
		}
	}
	// History shows its own date and time, once, in the reader's zone
	// (issue 14: it was UTC whatever the zone).
	if replay != "[2024-01-15 13:34] bob: before you came\n" {
		t.Errorf("replayed line %q", replay)
	}
	// A bot gets no replay at all.
	bot := viewJoin(t, h, Identity{User: "bot", Bot: true})
	for _, r := range viewDrain(bot, false) {
		if r.ev.Replay {
			t.Errorf("a bot got history: %q", r.out)
		}
	}
}

func TestIgnoreHidesOnlyThatKeyFromTheIgnorer(t *testing.T) {
	h := quietHub(Config{})
	defer h.Close()
	alice := viewTerm(t, h, "alice")
	bob := viewTerm(t, h, "bob")
	carol := viewTerm(t, h, "carol")
	guest := viewJoin(t, h, Identity{User: "guest"}) // no key: Guest-N
	viewText(alice, true)

	h.Handle(alice, "/ignore BOB")
	if got := viewText(alice, true); !strings.Contains(got, "Ignoring bob") {
		t.Fatalf("/ignore answered %q", got)
	}
	h.Handle(alice, "/ignore "+guest.Nick())
	h.Handle(alice, "/ignore alice")
	if got := viewText(alice, true); !strings.Contains(got, "cannot ignore yourself") {
		t.Errorf("ignoring oneself answered %q", got)
	}

	hidden := []struct {
		who  *Member
		say  string
		text string
	}{
		{bob, "hello alice", "hello alice"},
		{bob, "/me shrugs", "shrugs"},
		{bob, "/msg alice psst", "psst"},
		{guest, "guest line", "guest line"},
		{guest, "/msg alice guest psst", "guest psst"},
	}
	for _, l := range hidden {
		h.Handle(l.who, l.say)
	}
	h.Handle(carol, "carol is seen")
	got := viewDrain(alice, true)
	var shown []string
	for _, r := range got {
		shown = append(shown, r.out)
		if r.out == "" {
			continue
		}
		for _, l := range hidden {
			if r.ev.Text == l.text {
				t.Errorf("alice sees an ignored line: %q", r.out)
			}
		}
	}
	if !strings.Contains(strings.Join(shown, ""), "carol is seen") {
		t.Errorf("alice does not see carol: %q", shown)
	}
	// Carol ignores nobody and sees everything said in the room.
	ctext := viewText(carol, false)
	for _, want := range []string{"bob: hello alice", "* bob shrugs", guest.Nick() + ": guest line"} {
		if !strings.Contains(ctext, want) {
			t.Errorf("carol does not see %q: %q", want, ctext)
		}
	}
	// The ignore follows bob's key across a rename.
	h.Handle(bob, "/nick robert")
	h.Handle(bob, "renamed and still ignored")
	for _, r := range viewDrain(alice, true) {
		if r.ev.Text == "renamed and still ignored" && r.out != "" {
			t.Errorf("a rename escaped the ignore: %q", r.out)
		}
	}
	h.Handle(alice, "/ignore")
	if got := viewText(alice, false); !strings.Contains(got, "You ignore: "+guest.Nick()+", robert") {
		t.Errorf("/ignore lists %q", got)
	}
	h.Handle(alice, "/unignore robert")
	h.Handle(bob, "seen again")
	if got := viewSaid(t, alice, false, "seen again"); got != "robert: seen again\n" {
		t.Errorf("after /unignore alice sees %q", got)
	}
}

func TestPlainRenderingHasNoEscapesOrBells(t *testing.T) {
	now := time.Date(2024, 1, 15, 12, 34, 0, 0, time.UTC)
	h := quietHub(Config{Now: func() time.Time { return now }})
	defer h.Close()
	// A member who would have colour at a terminal, rendered for a
	// non-terminal, with every personal touch switched on.
	alice := viewTerm(t, h, "alice")
	bob := viewTerm(t, h, "bob")
	for _, cmd := range []string{"/bell on", "/timestamp on", "/tz Europe/Warsaw"} {
		h.Handle(alice, cmd)
	}
	h.Handle(bob, "alice: hi")
	h.Handle(bob, "/me waves at alice")
	h.Handle(bob, "/msg alice secret")
	h.Handle(alice, "/msg bob reply")
	h.Handle(alice, "/who")
	h.Handle(bob, "/nick robert")
	h.Handle(alice, "/history")
	events := alice.Outbox().Drain(nil)
	kinds := map[Kind]bool{}
	for _, ev := range events {
		kinds[ev.Kind] = true
		for _, replay := range []bool{false, true} {
			e := ev
			if replay {
				e = ev.asReplay()
			}
			out := string(alice.Render(nil, e, false))
			if strings.ContainsAny(out, "\x1b\a") {
				t.Errorf("plain rendering of %+v has ESC or BEL: %q", e.Text, out)
			}
			if strings.Contains(out, "»") {
				t.Errorf("plain rendering of %q has a mention marker: %q", e.Text, out)
			}
			if !strings.HasSuffix(out, "\n") || strings.Count(out, "\n") != 1 {
				t.Errorf("plain rendering is not one line: %q", out)
			}
			if out := string(e.Bytes(StylePlain)); strings.ContainsAny(out, "\x1b\a") {
				t.Errorf("StylePlain of %q has ESC or BEL: %q", e.Text, out)
			}
		}
	}
	for _, k := range []Kind{KindMessage, KindEmote, KindNotice, KindPrivate, KindPrivateEcho} {
		if !kinds[k] {
			t.Errorf("no event of kind %d was rendered", k)
		}
	}
	// The same events at alice's terminal do ring and colour: the test
	// above would catch something real.
	h.Handle(bob, "alice: again")
	if got := viewSaid(t, alice, true, "alice: again"); !strings.Contains(got, "\a") || !strings.Contains(got, "\x1b[") {
		t.Errorf("terminal rendering %q has no bell or colour", got)
	}
}

func TestThemeMonoTurnsColourOff(t *testing.T) {
	h := quietHub(Config{})
	defer h.Close()
	alice := viewTerm(t, h, "alice")
	bob := viewTerm(t, h, "bob")
	h.Handle(alice, "/theme")
	if got := viewText(alice, true); !strings.Contains(got, "Themes: default, mono. Yours is default.") {
		t.Errorf("/theme lists %q", got)
	}
	h.Handle(alice, "/theme MONO")
	h.Handle(bob, "alice: plain please")
	if got := viewSaid(t, alice, true, "alice: plain please"); got != "\a» bob: alice: plain please\n" {
		t.Errorf("mono theme shows %q", got)
	}
	h.Handle(alice, "/theme neon")
	if got := viewText(alice, true); !strings.Contains(got, "No theme called neon") || alice.Prefs().Theme != ThemeMono {
		t.Errorf("/theme neon: %q, theme %q", got, alice.Prefs().Theme)
	}
	h.Handle(alice, "/theme default")
	h.Handle(bob, "colour again")
	if got := viewSaid(t, alice, true, "colour again"); !strings.Contains(got, "\x1b[1;38;5;") {
		t.Errorf("default theme shows %q", got)
	}
}

// An ignored person's private message is hidden, so it must not become
// what /reply answers: alice would send her answer for carol to bob, the
// person she chose not to hear from, without seeing who it went to until
// the echo.
func TestIgnoredPrivateMessageDoesNotRedirectReply(t *testing.T) {
	h := quietHub(Config{})
	defer h.Close()
	alice := viewJoin(t, h, Identity{User: "alice"})
	bob := viewJoin(t, h, Identity{User: "bob"})
	carol := viewJoin(t, h, Identity{User: "carol"})
	h.Handle(alice, "/ignore bob")
	h.Handle(carol, "/msg alice lunch at noon?")
	h.Handle(bob, "/msg alice (hidden from alice)")
	if got := viewText(alice, false); !strings.Contains(got, "*carol* lunch at noon?") || strings.Contains(got, "hidden from alice") {
		t.Fatalf("alice sees %q", got)
	}
	viewText(bob, false)
	viewText(carol, false)
	h.Handle(alice, "/reply yes, see you there")
	if got := viewText(bob, false); strings.Contains(got, "see you there") {
		t.Errorf("alice's /reply to carol went to bob, whom she ignores (bob got %q); "+
			"probably chat/commands_pm.go private(): target.replyTo is set even when the target ignores the sender", got)
	}
	if got := viewText(carol, false); !strings.Contains(got, "*alice* yes, see you there") {
		t.Errorf("carol did not get alice's /reply: %q", got)
	}
}
