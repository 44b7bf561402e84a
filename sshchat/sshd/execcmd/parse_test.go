package execcmd

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		args string // split on spaces; "|" stands for an argument boundary inside quotes
		want Command
	}{
		{"who", Command{Kind: Who}},
		{"WHO", Command{Kind: Who}},
		{"Who --help", Command{Kind: Help}},
		{"help", Command{Kind: Help}},
		{"--help", Command{Kind: Help}},
		{"-h", Command{Kind: Help}},
		{"HELP say", Command{Kind: Help}},

		{"say hi", Command{Kind: Say, Text: "hi"}},
		{"say hello there  world", Command{Kind: Say, Text: "hello there world"}},
		{"SAY #dev hi all", Command{Kind: Say, Room: "#dev", Text: "hi all"}},
		{"say #Dev_2-x hi", Command{Kind: Say, Room: "#Dev_2-x", Text: "hi"}},
		{"say -- #1 fan", Command{Kind: Say, Text: "#1 fan"}},
		{"say hi #dev", Command{Kind: Say, Text: "hi #dev"}},
		{"say --help", Command{Kind: Say, Text: "--help"}},
		{"say a||b  c", Command{Kind: Say, Text: "a  b c"}}, // a word keeps its own spaces; empty words go

		{"tail", Command{Kind: Tail, N: 10}},
		{"tail #dev", Command{Kind: Tail, Room: "#dev", N: 10}},
		{"tail -n 5", Command{Kind: Tail, N: 5}},
		{"tail -n5", Command{Kind: Tail, N: 5}},
		{"tail --lines 7", Command{Kind: Tail, N: 7}},
		{"tail --lines=7", Command{Kind: Tail, N: 7}},
		{"tail --json", Command{Kind: Tail, N: 10, JSON: true}},
		{"tail --json -n 1000 #dev", Command{Kind: Tail, Room: "#dev", N: 1000, JSON: true}},
		{"tail #dev --json -n1 --json", Command{Kind: Tail, Room: "#dev", N: 1, JSON: true}},
		{"tail --since-marker --json", Command{Kind: Tail, N: 10, JSON: true, SinceMarker: true}},
		{"Tail --help", Command{Kind: Help}},

		{"history", Command{Kind: History, N: 50}},
		{"history 20", Command{Kind: History, N: 20}},
		{"history #dev", Command{Kind: History, Room: "#dev", N: 50}},
		{"history --json 1000 #dev", Command{Kind: History, Room: "#dev", N: 1000, JSON: true}},
		{"HISTORY #dev 3 --json", Command{Kind: History, Room: "#dev", N: 3, JSON: true}},
		{"history 007", Command{Kind: History, N: 7}},
		{"history --help", Command{Kind: Help}},
	} {
		t.Run(tc.args, func(t *testing.T) {
			got, err := Parse(split(tc.args))
			if err != nil {
				t.Fatalf("Parse(%q) error: %v", tc.args, err)
			}
			if got != tc.want {
				t.Fatalf("Parse(%q) = %+v, want %+v", tc.args, got, tc.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		args string
		want string // substring of the error
	}{
		{"", `unknown command ""; try: who, say, tail, history`},
		{"bogus", `unknown command "bogus"; try: who, say, tail, history`},
		{"who\x1b[2J", `unknown command "who\x1b[2J"`},
		{"who extra", `unexpected argument "extra"; usage: who`},
		{"who #dev", `unexpected argument "#dev"`},

		{"say", "missing text; usage: say [#room] TEXT..."},
		{"say #dev", "missing text"},
		{"say #dev  ", "missing text"},
		{"say --", "missing text"},
		{"say #bad!room hi", `invalid room "#bad!room"`},
		{"say # hi", `invalid room "#"`},
		{"say #" + strings.Repeat("a", 32) + " hi", "invalid room"},

		{"tail -n", "-n needs a number; usage: tail [#room] [-n N] [--json]"},
		{"tail --lines", "--lines needs a number"},
		{"tail -n 0", `N must be a whole number from 1 to 1000, not "0"`},
		{"tail -n -3", `not "-3"`},
		{"tail -n 1001", `not "1001"`},
		{"tail -n abc", `not "abc"`},
		{"tail -n99999999999999999999", "N must be"},
		{"tail -n 5 -n 6", "line count given twice"},
		{"tail #a #b", "room given twice"},
		{"tail #bad.room", "invalid room"},
		{"tail 20", `unexpected argument "20"; usage: tail`},
		{"tail --JSON", `unexpected argument "--JSON"`},

		{"history 0", `N must be a whole number from 1 to 1000, not "0"`},
		{"history -5", `not "-5"`},
		{"history 1001", `not "1001"`},
		{"history 1e3", `not "1e3"`},
		{"history 5 6", "line count given twice; usage: history [#room] [N] [--json]"},
		{"history #a #b", "room given twice"},
		{"history -n 5", `unexpected argument "-n"`},
		{"history lots", `unexpected argument "lots"`},
	} {
		t.Run(tc.args, func(t *testing.T) {
			got, err := Parse(split(tc.args))
			if err == nil {
				t.Fatalf("Parse(%q) = %+v, want an error containing %q", tc.args, got, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse(%q) error %q does not contain %q", tc.args, err, tc.want)
			}
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("Parse(%q) error is not one line: %q", tc.args, err)
			}
			if got != (Command{}) {
				t.Fatalf("Parse(%q) returned %+v with its error", tc.args, got)
			}
		})
	}
}

func TestParseNoArgs(t *testing.T) {
	if _, err := Parse(nil); err == nil || !strings.Contains(err.Error(), "try: who, say, tail, history") {
		t.Fatalf("Parse(nil) error = %v", err)
	}
}

func TestErrorQuotesLongArgumentsShortly(t *testing.T) {
	long := strings.Repeat("x", 5000) + "\n"
	_, err := Parse([]string{long})
	if err == nil || len(err.Error()) > 120 || strings.Contains(err.Error(), "\n") {
		t.Fatalf("error for a long command name is not one short line: %q", err)
	}
	_, err = Parse([]string{"tail", "-n", "世界" + long})
	if err == nil || len(err.Error()) > 160 || strings.Contains(err.Error(), "\n") {
		t.Fatalf("error for a long count is not one short line: %q", err)
	}
}

func TestValidRoomMatchesChatRule(t *testing.T) {
	// The rule of chat.ValidRoom: "#" and 1-31 of [A-Za-z0-9_-].
	for name, ok := range map[string]bool{
		"#a": true, "#lobby": true, "#A-z_09": true, "#" + strings.Repeat("x", 31): true,
		"": false, "#": false, "lobby": false, "##a": false, "#a b": false, "#é": false,
		"#" + strings.Repeat("x", 32): false, "#a\x00": false,
	} {
		if err := validRoom(name); (err == nil) != ok {
			t.Errorf("validRoom(%q) = %v, want ok=%v", name, err, ok)
		}
	}
}

// split turns a test's argument string into args: words split on single
// spaces, with "|" standing for a space inside one argument.
func split(s string) []string {
	args := strings.Split(s, " ")
	for i, a := range args {
		args[i] = strings.ReplaceAll(a, "|", " ")
	}
	return args
}

func TestQuote(t *testing.T) {
	for s, want := range map[string]string{
		"":                         `""`,
		"who":                      `"who"`,
		"\xff":                     `"\xff"`,
		strings.Repeat("a", 40):    `"` + strings.Repeat("a", 40) + `"`,
		strings.Repeat("a", 41):    `"` + strings.Repeat("a", 40) + `"...`,
		strings.Repeat("\x1d", 9):  `"` + strings.Repeat(`\x1d`, 9) + `"`,
		strings.Repeat("\x1d", 11): `"` + strings.Repeat(`\x1d`, 10) + `"...`,
		strings.Repeat("世", 14):    `"` + strings.Repeat("世", 13) + `"...`,
	} {
		if got := quote(s); got != want {
			t.Errorf("quote(%q) = %s, want %s", s, got, want)
		}
	}
}
