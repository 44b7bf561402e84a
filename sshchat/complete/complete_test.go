package complete

import (
	"testing"
)

func testSource() Candidates {
	return Candidates{
		Commands: []string{"nick", "help", "msg", "me", "join", "who", "whois"},
		Nicks:    []string{"bob", "Alice", "alex", "Łukasz", "ürsula", "bobby"},
		Rooms:    []string{"#lobby", "#dev", "#Design", "#lounge"},
	}
}

type step struct {
	line    string
	pos     int // -1: end of line
	want    string
	wantPos int // -1: end of want
	wantOK  bool
}

func run(t *testing.T, c *Completer, s step) (string, int) {
	t.Helper()
	pos := s.pos
	if pos < 0 {
		pos = len(s.line)
	}
	wantPos := s.wantPos
	if wantPos < 0 {
		wantPos = len(s.want)
	}
	got, gotPos, ok := c.Key(s.line, pos, Tab)
	if got != s.want || gotPos != wantPos || ok != s.wantOK {
		t.Fatalf("Key(%q, %d, Tab) = %q, %d, %v; want %q, %d, %v",
			s.line, pos, got, gotPos, ok, s.want, wantPos, s.wantOK)
	}
	return got, gotPos
}

func TestRules(t *testing.T) {
	for _, tc := range []struct {
		name string
		step
	}{
		{"command", step{"/ni", -1, "/nick ", -1, true}},
		{"command case-insensitive", step{"/NI", -1, "/nick ", -1, true}},
		{"command first of several", step{"/w", -1, "/who ", -1, true}},
		{"bare slash lists commands", step{"/", -1, "/help ", -1, true}},
		{"command no match", step{"/zz", -1, "/zz", 3, false}},
		{"slash word not at start is a nick prefix", step{"hi /bo", -1, "hi /bo", 6, false}},
		{"room", step{"/join #lo", -1, "/join #lobby ", -1, true}},
		{"room at start", step{"#dev", -1, "#dev ", -1, true}},
		{"room case-insensitive", step{"see #DE", -1, "see #Design ", -1, true}},
		{"room no match", step{"#zz", -1, "#zz", 3, false}},
		{"nick at start gets colon", step{"bo", -1, "bob: ", -1, true}},
		{"nick elsewhere gets space", step{"hi ali", -1, "hi Alice ", -1, true}},
		{"nick sorted case-insensitively", step{"hi al", -1, "hi alex ", -1, true}},
		{"nick case-insensitive", step{"ALE", -1, "alex: ", -1, true}},
		{"nick in command argument", step{"/msg bobb", -1, "/msg bobby ", -1, true}},
		{"nick no match", step{"hi zed", -1, "hi zed", 6, false}},
		{"empty line", step{"", -1, "", 0, false}},
		{"empty word after space", step{"hi ", -1, "hi ", 3, false}},
		{"non-ASCII nick folds", step{"łu", -1, "Łukasz: ", -1, true}},
		{"non-ASCII nick upper prefix", step{"ÜR", -1, "ürsula: ", -1, true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run(t, New(testSource), tc.step)
		})
	}
}

func TestMidLine(t *testing.T) {
	c := New(testSource)
	// Cursor after "al" in "hi al, how are you": the rest is kept.
	line := "hi al, how are you"
	got, pos := run(t, c, step{line, 5, "hi alex , how are you", 8, true})
	got, pos = run(t, c, step{got, pos, "hi Alice , how are you", 9, true})
	run(t, c, step{got, pos, "hi alex , how are you", 8, true})
	// Cursor in the middle of a word: only the part before the cursor counts.
	run(t, New(testSource), step{"bobXYZ tail", 2, "bob: bXYZ tail", 5, true})
}

func TestUnicodeAround(t *testing.T) {
	c := New(testSource)
	line := "héllo 你好 al 👋🏽 ok"
	pos := len("héllo 你好 al")
	want := "héllo 你好 alex  👋🏽 ok"
	got, gotPos := run(t, c, step{line, pos, want, len("héllo 你好 alex "), true})
	run(t, c, step{got, gotPos, "héllo 你好 Alice  👋🏽 ok", len("héllo 你好 Alice "), true})

	// A position inside a multi-byte rune is refused, not split.
	run(t, New(testSource), step{"你好", 1, "你好", 1, false})
	// Out of range positions are refused.
	run(t, New(testSource), step{"bo", 3, "bo", 3, false})
	if l, p, ok := New(testSource).Key("bo", -1, Tab); ok || l != "bo" || p != -1 {
		t.Fatalf("Key(%q, -1, Tab) = %q, %d, %v; want unchanged, false", "bo", l, p, ok)
	}
}

func TestCycleWraps(t *testing.T) {
	c := New(testSource)
	line, pos := run(t, c, step{"b", -1, "bob: ", -1, true})
	line, pos = run(t, c, step{line, pos, "bobby: ", -1, true})
	line, pos = run(t, c, step{line, pos, "bob: ", -1, true})
	run(t, c, step{line, pos, "bobby: ", -1, true})
}

func TestCycleStableOrder(t *testing.T) {
	// The order is the sorted one whatever order the source gives, exact
	// duplicates count once, and case-only twins come in byte order.
	order := [][]string{
		{"zed", "Bob", "bob", "amy", "Bea", "bob", "Zoe"},
		{"Zoe", "bob", "Bea", "zed", "Bob", "amy"},
	}
	for _, nicks := range order {
		c := New(func() Candidates { return Candidates{Nicks: nicks} })
		line, pos := run(t, c, step{"x B", -1, "x Bea ", -1, true})
		line, pos = run(t, c, step{line, pos, "x Bob ", -1, true})
		line, pos = run(t, c, step{line, pos, "x bob ", -1, true})
		run(t, c, step{line, pos, "x Bea ", -1, true})
	}
}

func TestSingleMatchRepeats(t *testing.T) {
	c := New(testSource)
	line, pos := run(t, c, step{"/jo", -1, "/join ", -1, true})
	run(t, c, step{line, pos, "/join ", -1, true})
}

func TestOtherKeyResetsCycle(t *testing.T) {
	calls := 0
	src := func() Candidates { calls++; return testSource() }
	c := New(src)
	line, pos := run(t, c, step{"b", -1, "bob: ", -1, true})
	if l, p, ok := c.Key(line, pos, 'x'); ok || l != line || p != pos {
		t.Fatalf("Key('x') = %q, %d, %v; want unchanged, false", l, p, ok)
	}
	// The same line again after another key starts a new cycle: "bob: " is
	// now a fresh word list ("" after the space), which does not complete.
	run(t, c, step{line, pos, line, pos, false})
	// A new word starts a new cycle from the first match and asks the
	// source again.
	run(t, c, step{"hi b", -1, "hi bob ", -1, true})
	if calls != 3 {
		t.Errorf("source called %d times, want 3 (once per cycle start)", calls)
	}
}

func TestEditedLineStartsNewCycle(t *testing.T) {
	c := New(testSource)
	run(t, c, step{"b", -1, "bob: ", -1, true})
	// The user changed the line without a key reaching the callback
	// (Backspace, Ctrl-W): the next Tab completes the new word.
	run(t, c, step{"a", -1, "alex: ", -1, true})
}

func TestCandidatesCleaned(t *testing.T) {
	src := func() Candidates {
		return Candidates{
			Commands: []string{"/quit", "", "qu ux", "quote"},
			Nicks:    []string{"ev\x1b[2Jil", "eve", "", "ev e", "eve"},
			Rooms:    []string{"dev", "#dev"},
		}
	}
	c := New(src)
	line, pos := run(t, c, step{"/q", -1, "/quit ", -1, true})
	run(t, c, step{line, pos, "/quote ", -1, true})
	c = New(src)
	line, pos = run(t, c, step{"ev", -1, "eve: ", -1, true})
	run(t, c, step{line, pos, "eve: ", -1, true})
	c = New(src)
	line, pos = run(t, c, step{"#d", -1, "#dev ", -1, true})
	run(t, c, step{line, pos, "#dev ", -1, true}) // "dev" and "#dev" are one room
}

func TestNilSource(t *testing.T) {
	c := New(nil)
	run(t, c, step{"/he", -1, "/he", 3, false})
}
