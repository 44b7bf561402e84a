package termio

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"golang.org/x/term"
)

// terminalLines feeds in through a KeyReader into an x/term Terminal and
// returns the lines it reads until the input ends.
func terminalLines(t *testing.T, in io.Reader, max int) []string {
	t.Helper()
	rw := struct {
		io.Reader
		io.Writer
	}{NewKeyReader(in, max), io.Discard}
	tm := term.NewTerminal(rw, "> ")
	var lines []string
	for {
		line, err := tm.ReadLine()
		if errors.Is(err, io.EOF) {
			return lines
		}
		if err != nil && !errors.Is(err, term.ErrPasteIndicator) {
			t.Fatalf("ReadLine: %v", err)
		}
		lines = append(lines, line)
	}
}

// The keys KeyReader translates really edit the line in x/term.
func TestTerminalEditing(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"ss3 home", "bc\x1bOHa\r", "abc"},
		{"vt220 home", "bc\x1b[1~a\r", "abc"},
		{"rxvt home", "bc\x1b[7~a\r", "abc"},
		{"vt220 end", "bc\x1bOHa\x1b[4~d\r", "abcd"},
		{"rxvt end", "bc\x1bOHa\x1b[8~d\r", "abcd"},
		{"ss3 end", "bc\x1bOHa\x1bOFd\r", "abcd"},
		{"ss3 left", "ac\x1bODb\r", "abc"},
		{"ss3 left right", "ac\x1bOD\x1bOCb\r", "acb"},
		{"keypad does not leak", "a\x1bOPb\x1bOqc\r", "abc"},
		{"ctrl left moves by word", "foo bar\x1b[1;5Dx\r", "foo xbar"},
		{"alt backspace deletes word", "foo bar\x1b\x7f\r", "foo "},
		{"unknown key does not eat the next letter", "a\x1b[7^b\r", "ab"},
		{"paste keeps only text", "\x1b[200~a\x03b\x04c\x1b[2Jd\te\x1b[201~\r", "abcd e"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := terminalLines(t, strings.NewReader(tt.in), 100)
			if len(got) != 1 || got[0] != tt.want {
				t.Errorf("whole: %q -> %q, want [%q]", tt.in, got, tt.want)
			}
			got = terminalLines(t, iotest.OneByteReader(strings.NewReader(tt.in)), 100)
			if len(got) != 1 || got[0] != tt.want {
				t.Errorf("byte by byte: %q -> %q, want [%q]", tt.in, got, tt.want)
			}
		})
	}
}

// x/term returns an extra empty line when CR and LF arrive in separate
// reads; KeyReader prevents it.
func TestTerminalSplitCRLF(t *testing.T) {
	in := &chunkReader{chunks: []string{"a\r", "\nb\r", "\n"}, err: io.EOF}
	got := terminalLines(t, in, 100)
	if strings.Join(got, "|") != "a|b" {
		t.Errorf("lines = %q, want [a b]", got)
	}
}

// A pasted line is bounded by KeyReader (x/term's own limit does not apply
// to pastes), and Ctrl-C still works on an over-long line.
func TestTerminalPasteCap(t *testing.T) {
	in := "\x1b[200~" + strings.Repeat("x", 10000) + "\x1b[201~\r" + strings.Repeat("y", 50) + "\x03"
	got := terminalLines(t, strings.NewReader(in), 20)
	if len(got) != 1 || got[0] != strings.Repeat("x", 20) {
		t.Errorf("lines = %q, want one line of 20 x", got)
	}
}
