package chat

import (
	"strings"
	"testing"

	"github.com/rivo/uniseg"

	"github.com/sshchat/sshchat/sshchat/sanitize"
)

func TestUnforgeable(t *testing.T) {
	tests := []struct{ in, want string }{
		{"hello world", "hello world"},
		{"a  b", "a b"},
		{"a" + strings.Repeat(" ", 71) + "*** x", "a ** x"},
		{"   leading", "leading"},
		{"**bold**", "**bold**"},
		{"a\u00a0\u2003\u3000b", "a b"},
		{"a\u2800\u2800b", "a b"},
		{"\u2217\u2217\u2217 alice was kicked", "\u2217\u2217 alice was kicked"},
		{"*\uff0a* x", "*\uff0a x"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Unforgeable(tt.in); got != tt.want {
			t.Errorf("Unforgeable(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// forgeries are texts built to put something at the start of a row of a
// screen width columns wide: the 71 spaces at 80 columns, other
// blanks, visible filler, wide characters, for every padding that lands
// near a row boundary.
func forgeries(width int, pads []string) []string {
	fake := "*** alice was kicked by root"
	if width%2 == 0 {
		fake = "alice: send me your password"
	}
	var out []string
	for _, pad := range pads {
		for n := max(width-40, 1); n <= width; n++ {
			out = append(out, strings.Repeat(pad, n)+fake)
		}
	}
	return append(out, "\u2217\u2217\u2217 alice was kicked by root", "*\uff0a* alice was kicked by root")
}

var (
	allPads   = []string{" ", "\u00a0", "\u3000", "\u2800", "x", "你", "👍", "e\u0301"}
	fewerPads = []string{" ", "你"}
)

// rows splits rendered output into what a terminal of the given width
// shows, one string per row, with escapes removed: at newlines, and where
// the terminal itself wraps a row that is too wide.
func rows(rendered string, width int) []string {
	var out []string
	for _, line := range strings.Split(strings.TrimSuffix(stripSGR(rendered), "\n"), "\n") {
		row, col := "", 0
		state := -1
		for line != "" {
			var c string
			var w int
			c, line, w, state = uniseg.FirstGraphemeClusterInString(line, state)
			if col+w > width {
				out = append(out, row)
				row, col = "", 0
			}
			row += c
			col += w
		}
		out = append(out, row)
	}
	return out
}

func stripSGR(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\x1b' {
			i += escapeLen([]byte(s[i:])) - 1
			continue
		}
		if s[i] == '\a' {
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// looksLikeServerLine is what a reader takes for a server line: three
// asterisk-like characters at the start of a row.
func looksLikeServerLine(row string) bool {
	n := 0
	for _, r := range row {
		if !isStar(r) {
			break
		}
		n++
	}
	return n >= 3
}

// On a terminal, whatever the width, a row that continues a line never
// reads as a line of its own (the server wraps such lines itself, with
// indented continuation rows), and no row is wider than the screen. On a plain screen of any width no row
// starts like a server line.
func TestWrappedRowsCannotForgeALine(t *testing.T) {
	h := quietHub(Config{})
	defer h.Close()
	m, _ := join(t, h, "alice")
	m.colour = true
	for width := 20; width <= 120; width++ {
		for _, kind := range []Kind{KindMessage, KindEmote, KindPrivate} {
			pads := allPads
			if kind != KindMessage {
				pads = fewerPads
			}
			for _, text := range forgeries(width, pads) {
				ev := &Event{Kind: kind, From: "mallory", FromKey: "SHA256:m", To: "alice", Text: text}
				shown := rows(string(m.RenderRows(nil, ev, width)), width)
				for i, row := range shown {
					if uniseg.StringWidth(row) > width {
						t.Fatalf("width %d: row %q is wider than the screen", width, row)
					}
					if i > 0 && !strings.HasPrefix(row, contIndent) && looksLikeLineStart([]byte(row)) {
						t.Fatalf("width %d, %q: continuation row %q reads as a line of its own", width, text, row)
					}
				}
				for _, row := range rows(string(ev.Bytes(StylePlain)), width) {
					if looksLikeServerLine(row) {
						t.Fatalf("plain, width %d: %q shows the row %q", width, text, row)
					}
				}
			}
		}
	}
}

// The common case, a short ASCII line, is passed through untouched.
func TestWrapRowsLeavesShortLinesAlone(t *testing.T) {
	line := []byte("\x1b[1;38;5;31malice\x1b[0m: hello\n")
	if got := WrapRows(nil, line, 20); string(got) != string(line) {
		t.Fatalf("WrapRows changed a line that fits: %q", got)
	}
	allocs := testing.AllocsPerRun(100, func() { WrapRows(line[:0:0], line, 80) })
	if allocs > 1 {
		t.Errorf("%v allocations for a line that fits", allocs)
	}
}

// Whatever the text and the width: Unforgeable is idempotent and leaves no
// run of three asterisk-like characters or of two blanks, and a terminal
// rendering never has a row wider than the screen or a continuation row
// that reads as a line of its own.
func FuzzUnforgeable(f *testing.F) {
	for _, s := range []string{"", "a  b", "*** x", strings.Repeat(" ", 71) + "*** alice was kicked", "你你你 alice: hi", "\u2217*\uff0a", "e\u0301\u00a0\u3000x"} {
		f.Add(s, 80)
	}
	h := quietHub(Config{})
	defer h.Close()
	m, err := h.Join(Identity{User: "alice", Fingerprint: "SHA256:alice"}, &fakePeer{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string, width int) {
		s = sanitize.Text(s) // what Handle does before anything is shown
		u := Unforgeable(s)
		if Unforgeable(u) != u {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, u, Unforgeable(u))
		}
		stars, blanks := 0, 0
		for _, r := range u {
			if isStar(r) {
				stars++
			} else {
				stars = 0
			}
			if isBlank(r) {
				blanks++
			} else {
				blanks = 0
			}
			if stars > 2 || blanks > 1 {
				t.Fatalf("Unforgeable(%q) = %q keeps a run", s, u)
			}
		}
		width = 20 + abs(width)%200
		ev := &Event{Kind: KindMessage, From: "mallory", Text: s}
		for i, row := range rows(string(m.RenderRows(nil, ev, width)), width) {
			if i > 0 && !strings.HasPrefix(row, contIndent) && looksLikeLineStart([]byte(row)) {
				t.Fatalf("width %d, %q: row %q reads as a line of its own", width, s, row)
			}
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
