package complete

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzKey presses Tab up to 8 times on line with the cursor at pos (fed back
// from each result) and checks that Key never panics, keeps the cursor in
// the line and on a rune boundary, keeps the text after the cursor and the
// text before the word, and leaves the line alone when it says ok=false.
func FuzzKey(f *testing.F) {
	for _, s := range []struct {
		line string
		pos  int
		nick string
		tabs uint8
	}{
		{"/ni", 3, "nick", 1}, {"hi al, there", 5, "Alice", 3}, {"#d", 2, "x", 4},
		{"héllo 你好 al 👋🏽", 16, "álvaro", 2}, {"你好", 1, "你", 1}, {"", 0, "", 1},
		{"a\xffb", 2, "a\xff", 2}, {"b", 1, "ǅemal", 5}, {"/msg b", 6, "bob", 9},
	} {
		f.Add(s.line, s.pos, s.nick, s.tabs)
	}
	f.Fuzz(func(t *testing.T, line string, pos int, nick string, tabs uint8) {
		src := func() Candidates {
			c := testSource()
			c.Nicks = append(c.Nicks, nick, strings.ToUpper(nick))
			c.Rooms = append(c.Rooms, "#"+nick)
			c.Commands = append(c.Commands, nick)
			return c
		}
		c := New(src)
		if len(line) > 0 {
			pos %= len(line) + 1 // mostly in range; negative stays negative
		}
		after := ""
		if pos >= 0 && pos <= len(line) {
			after = line[pos:]
		}
		before := line[:wordStart(line, min(max(pos, 0), len(line)))]
		cur, curPos := line, pos
		for i := 0; i <= int(tabs%8); i++ {
			got, gotPos, ok := c.Key(cur, curPos, Tab)
			if !ok {
				if got != cur || gotPos != curPos {
					t.Fatalf("Key(%q, %d) = %q, %d, false: changed the line", cur, curPos, got, gotPos)
				}
				if i > 0 {
					t.Fatalf("Tab %d on %q at %d stopped a cycle", i, cur, curPos)
				}
				return
			}
			if gotPos < 0 || gotPos > len(got) {
				t.Fatalf("Key(%q, %d) = %q, %d: cursor outside the line", cur, curPos, got, gotPos)
			}
			if gotPos < len(got) && !utf8.RuneStart(got[gotPos]) {
				t.Fatalf("Key(%q, %d) = %q, %d: cursor inside a rune", cur, curPos, got, gotPos)
			}
			if got[gotPos:] != after {
				t.Fatalf("Key(%q, %d) = %q, %d: text after the cursor %q not kept", cur, curPos, got, gotPos, after)
			}
			if !strings.HasPrefix(got, before) {
				t.Fatalf("Key(%q, %d) = %q: text before the word %q not kept", cur, curPos, got, before)
			}
			if utf8.ValidString(line) && !utf8.ValidString(got) {
				t.Fatalf("Key(%q, %d) = %q: invalid UTF-8 from a valid line", cur, curPos, got)
			}
			cur, curPos = got, gotPos
		}
		// Any other key ends the cycle without touching the line.
		if got, gotPos, ok := c.Key(cur, curPos, 'a'); ok || got != cur || gotPos != curPos {
			t.Fatalf("Key(%q, %d, 'a') = %q, %d, %v", cur, curPos, got, gotPos, ok)
		}
	})
}
