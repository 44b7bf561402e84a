package termio

import (
	"bytes"
	"fmt"
	"io"
	"testing"
	"testing/iotest"
	"unicode/utf8"
)

func FuzzKeyReader(f *testing.F) {
	for _, s := range []string{
		"hello\r", "bc\x1bOHa\r", "\x1b[1~\x1b[4~\x1b[7~\x1b[8~", "\x1bOA\x1bOB\x1bOC\x1bOD\x1bOP",
		"\x1b[200~a\x03\tb\x1b[2J\r\n\x1b[201~", "a\r\nb\x1b[X\nc", "\x1b[1;5C\x1bb\x1b\x7f",
		"\xff\xe4\xbd\x1b", "\x1b[" + "123456789012345678", "\x1b[[A\x1bO\x1b[C",
	} {
		f.Add([]byte(s), uint8(8))
	}
	f.Fuzz(func(t *testing.T, in []byte, m uint8) {
		max := int(m) + 1
		whole, err := io.ReadAll(NewKeyReader(bytes.NewReader(in), max))
		if err != nil {
			t.Fatal(err)
		}
		kr := NewKeyReader(iotest.OneByteReader(bytes.NewReader(in)), max)
		split, err := io.ReadAll(iotest.OneByteReader(kr))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(whole, split) {
			t.Fatalf("%q: whole %q, byte by byte %q", in, whole, split)
		}
		if bytes.Contains(whole, []byte("\x1bO")) {
			t.Fatalf("%q -> %q: raw SS3 in output", in, whole)
		}
		if err := checkKeyStream(whole, max); err != nil {
			t.Fatalf("%q -> %q: %v", in, whole, err)
		}
	})
}

// checkKeyStream verifies what x/term will see: only escape sequences it
// understands (only the end marker inside a paste), no control bytes inside
// a paste, no CR LF pair, valid UTF-8 text without U+FFFD, and at most max
// text bytes per line. An unfinished CSI may end the stream (flushed at EOF).
func checkKeyStream(out []byte, max int) error {
	known := []string{"\x1b[A", "\x1b[B", "\x1b[C", "\x1b[D", "\x1b[H", "\x1b[F", "\x1b[3~", "\x1b[1;3C", "\x1b[1;3D", "\x1b[200~"}
	paste, line := false, 0
	for i := 0; i < len(out); {
		c := out[i]
		switch {
		case c == esc:
			n := 0
			if paste {
				if bytes.HasPrefix(out[i:], []byte("\x1b[201~")) {
					n, paste = 6, false
				}
			} else {
				for _, k := range known {
					if bytes.HasPrefix(out[i:], []byte(k)) {
						n, paste = len(k), k == "\x1b[200~"
					}
				}
			}
			if n == 0 {
				if !paste && unfinishedCSI(out[i:]) {
					return nil
				}
				return fmt.Errorf("unexpected escape sequence at %d (paste %v)", i, paste)
			}
			i += n
		case c == '\r' || c == '\n':
			if c == '\n' && i > 0 && out[i-1] == '\r' {
				return fmt.Errorf("CR LF at %d", i-1)
			}
			line = 0
			i++
		case c < 0x20 || c == 0x7f:
			if paste {
				return fmt.Errorf("control byte %#x in paste at %d", c, i)
			}
			i++
		default:
			r, size := utf8.DecodeRune(out[i:])
			if r == utf8.RuneError {
				return fmt.Errorf("invalid UTF-8 or U+FFFD at %d", i)
			}
			if line += size; line > max {
				return fmt.Errorf("line longer than %d bytes at %d", max, i)
			}
			i += size
		}
	}
	return nil
}

// unfinishedCSI reports whether b is ESC, or ESC [ followed only by
// parameter and intermediate bytes (or the second '[' of a Linux console
// function key).
func unfinishedCSI(b []byte) bool {
	if len(b) == 1 {
		return true
	}
	if b[1] != '[' {
		return false
	}
	for j, c := range b[2:] {
		if (c < 0x20 || c > 0x3f) && !(j == 0 && c == '[') {
			return false
		}
	}
	return true
}

func FuzzLineReader(f *testing.F) {
	for _, s := range []string{
		"a\nb\n", "a\r\nb\rc", "\r\n\r\n\n\r", "abcdefgh\r\nok", "aé👋\n", "a\x80\x80\x80\n", "no ending",
	} {
		f.Add([]byte(s), uint8(4))
	}
	f.Fuzz(func(t *testing.T, in []byte, m uint8) {
		max := int(m) + 1
		whole := fuzzLines(t, bytes.NewReader(in), max)
		split := fuzzLines(t, iotest.OneByteReader(bytes.NewReader(in)), max)
		want := refLines(in, max)
		if fmt.Sprint(whole) != fmt.Sprint(split) || fmt.Sprint(whole) != fmt.Sprint(want) {
			t.Fatalf("%q: whole %+v, byte by byte %+v, want %+v", in, whole, split, want)
		}
		for _, l := range whole {
			if bytes.ContainsAny([]byte(l.line), "\r\n") || len(l.line) > max {
				t.Fatalf("%q: bad line %+v", in, l)
			}
		}
	})
}

func fuzzLines(t *testing.T, r io.Reader, max int) []lineResult {
	lr := NewLineReader(r, max)
	var got []lineResult
	for {
		line, tooLong, err := lr.ReadLine()
		if err == io.EOF {
			return got
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, lineResult{line, tooLong})
	}
}

// refLines is the obvious, unbounded implementation of LineReader.
func refLines(in []byte, max int) []lineResult {
	var lines []lineResult
	add := func(seg []byte) {
		if len(seg) <= max {
			lines = append(lines, lineResult{string(seg), false})
			return
		}
		cut := runeCut(seg, max)
		if cut < max-utf8.UTFMax+1 || !bytes.HasPrefix(seg, seg[:cut]) {
			panic("bad cut")
		}
		lines = append(lines, lineResult{string(seg[:cut]), true})
	}
	start := 0
	for i := 0; i < len(in); i++ {
		if in[i] != '\r' && in[i] != '\n' {
			continue
		}
		add(in[start:i])
		if in[i] == '\r' && i+1 < len(in) && in[i+1] == '\n' {
			i++
		}
		start = i + 1
	}
	if start < len(in) {
		add(in[start:])
	}
	return lines
}
