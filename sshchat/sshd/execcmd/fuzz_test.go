package execcmd

import (
	"strings"
	"testing"
)

// FuzzParse splits its input on spaces like a shell would split a simple
// command line and checks that Parse never panics, that a command it accepts
// is well formed, and that every error is one short line.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"who", "say hi there", "say #dev hi", "say -- #1", "tail -n 5 #dev --json",
		"tail -n5", "tail --lines=1000", "history #dev 20 --json", "history 0",
		"bogus", "", "say", "tail -n", "HELP", "tail -n99999999999999999999",
		"say #\xff x", "history +7", "who\x1b[2J\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		args := strings.Split(s, " ")
		c, err := Parse(args)
		if err != nil {
			msg := err.Error()
			if msg == "" || strings.ContainsAny(msg, "\r\n") || len(msg) > 200 {
				t.Fatalf("Parse(%q) error is not one short line: %q", args, msg)
			}
			if c != (Command{}) {
				t.Fatalf("Parse(%q) returned %+v with its error", args, c)
			}
			return
		}
		if c.Kind < Who || c.Kind > Help {
			t.Fatalf("Parse(%q) = %+v: Kind out of range", args, c)
		}
		switch c.Kind {
		case Tail, History:
			if c.N < 1 || c.N > MaxLines {
				t.Fatalf("Parse(%q) = %+v: N out of range", args, c)
			}
		default:
			if c.N != 0 || c.JSON {
				t.Fatalf("Parse(%q) = %+v: N or JSON set for %s", args, c, c.Kind)
			}
		}
		if c.Room != "" && validRoom(c.Room) != nil {
			t.Fatalf("Parse(%q) = %+v: invalid room", args, c)
		}
		if c.Kind == Say && strings.TrimSpace(c.Text) == "" {
			t.Fatalf("Parse(%q) = %+v: say without text", args, c)
		}
		if c.Kind != Say && c.Text != "" {
			t.Fatalf("Parse(%q) = %+v: text for %s", args, c, c.Kind)
		}
	})
}
