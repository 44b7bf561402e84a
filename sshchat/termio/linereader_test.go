package termio

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

type lineResult struct {
	line    string
	tooLong bool
}

// readLines returns every line a LineReader reads from r and checks that the
// input ends with io.EOF (twice, so that the error sticks).
func readLines(t *testing.T, r io.Reader, max int) []lineResult {
	t.Helper()
	lr := NewLineReader(r, max)
	var got []lineResult
	for {
		line, tooLong, err := lr.ReadLine()
		if err != nil {
			if err != io.EOF {
				t.Fatalf("ReadLine: %v", err)
			}
			if _, _, err := lr.ReadLine(); err != io.EOF {
				t.Fatalf("ReadLine after EOF: %v", err)
			}
			return got
		}
		got = append(got, lineResult{line, tooLong})
	}
}

func TestLineReader(t *testing.T) {
	long := strings.Repeat("x", 10000)
	tests := []struct {
		name, in string
		max      int
		want     []lineResult
	}{
		{"empty input", "", 10, nil},
		{"lf", "a\nb\n", 10, []lineResult{{"a", false}, {"b", false}}},
		{"cr", "a\rb\r", 10, []lineResult{{"a", false}, {"b", false}}},
		{"crlf", "a\r\nb\r\n", 10, []lineResult{{"a", false}, {"b", false}}},
		{"empty lines", "\n\r\n\r\r\n", 10, []lineResult{{"", false}, {"", false}, {"", false}, {"", false}}},
		{"lf cr is two endings", "a\n\rb", 10, []lineResult{{"a", false}, {"", false}, {"b", false}}},
		{"last line without ending", "a\nlast", 10, []lineResult{{"a", false}, {"last", false}}},
		{"exactly max", "abcde\n", 5, []lineResult{{"abcde", false}}},
		{"too long", "abcdefgh\nok\n", 5, []lineResult{{"abcde", true}, {"ok", false}}},
		{"too long at eof", "abcdefgh", 5, []lineResult{{"abcde", true}}},
		{"too long then crlf", "abcdefgh\r\nok", 5, []lineResult{{"abcde", true}, {"ok", false}}},
		{"very long", long + "\n" + long + "\rz", 100, []lineResult{{long[:100], true}, {long[:100], true}, {"z", false}}},
		{"rune not split", "aé\n", 2, []lineResult{{"a", true}}},
		{"rune not split 4 bytes", "ab👋\n", 5, []lineResult{{"ab", true}}},
		{"rune fits", "aé\n", 3, []lineResult{{"aé", false}}},
		{"raw bytes kept", "\x1b[2J\x00\xff\tx\n", 100, []lineResult{{"\x1b[2J\x00\xff\tx", false}}},
		{"invalid bytes cut anywhere", "a\x80\x80\x80\x80\n", 2, []lineResult{{"a\x80", true}}},
		{"zero counts as one", "ab\n", 0, []lineResult{{"a", true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check := func(how string, got []lineResult) {
				if len(got) != len(tt.want) {
					t.Fatalf("%s: %q -> %+v, want %+v", how, tt.in, got, tt.want)
				}
				for i := range got {
					if got[i] != tt.want[i] {
						t.Errorf("%s: line %d = %+v, want %+v", how, i, got[i], tt.want[i])
					}
				}
			}
			check("whole", readLines(t, strings.NewReader(tt.in), tt.max))
			check("byte by byte", readLines(t, iotest.OneByteReader(strings.NewReader(tt.in)), tt.max))
		})
	}
}

// CR at the end of one read and LF at the start of the next is one ending.
func TestLineReaderSplitCRLF(t *testing.T) {
	got := readLines(t, &chunkReader{chunks: []string{"a\r", "\nb\r", "\n"}, err: io.EOF}, 10)
	if len(got) != 2 || got[0].line != "a" || got[1].line != "b" {
		t.Errorf("lines = %+v, want [a b]", got)
	}
}

// A read error other than EOF comes after the pending line, and sticks.
func TestLineReaderError(t *testing.T) {
	boom := errors.New("boom")
	lr := NewLineReader(io.MultiReader(strings.NewReader("partial"), iotest.ErrReader(boom)), 100)
	if line, _, err := lr.ReadLine(); line != "partial" || err != nil {
		t.Fatalf("ReadLine = %q, %v; want \"partial\", nil", line, err)
	}
	for range 2 {
		if _, _, err := lr.ReadLine(); !errors.Is(err, boom) {
			t.Fatalf("ReadLine = %v, want boom", err)
		}
	}
}

// Memory stays bounded: the kept part of a huge line does not grow.
func TestLineReaderBoundedMemory(t *testing.T) {
	lr := NewLineReader(io.MultiReader(strings.NewReader(strings.Repeat("x", 1<<20)), strings.NewReader("\n")), 64)
	line, tooLong, err := lr.ReadLine()
	if err != nil || !tooLong || len(line) != 64 {
		t.Fatalf("ReadLine = %d bytes, %v, %v", len(line), tooLong, err)
	}
	if c := cap(lr.line); c > 1024 {
		t.Errorf("line buffer grew to %d bytes", c)
	}
}
