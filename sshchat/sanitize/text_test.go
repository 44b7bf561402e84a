package sanitize

import (
	"strings"
	"testing"
)

func TestText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"plain", "hello, world", "hello, world"},
		{"cjk emoji combining", "你好 👋🏽 e\u0301 👩\u200d💻", "你好 👋🏽 e\u0301 👩\u200d💻"},
		{"tab", "a\tb\t\tc", "a b  c"},
		{"clear screen", "\x1b[2Jgone", "[2Jgone"},
		{"osc title", "\x1b]0;title\x07rest", "]0;titlerest"},
		{"c1 csi", "\u009b31mred", "31mred"},
		{"c1 range", "a\u0080b\u009fc", "abc"},
		{"bidi override", "\u202Eevil", "evil"},
		{"bidi all", "\u202a\u202b\u202c\u202d\u202ex\u2066\u2067\u2068\u2069", "x"},
		{"line separators", "a\u2028b\u2029c", "abc"},
		{"bom", "\ufeffhi", "hi"},
		{"newlines", "line1\nline2\r\nline3\r", "line1line2line3"},
		{"fake announcement", "hi\n * alice is now an operator", "hi * alice is now an operator"},
		{"nul and del", "a\x00b\x7fc", "abc"},
		{"bell backspace", "a\x07\x08b", "ab"},
		{"invalid utf8", "a\xffb\xc3", "a\uFFFDb\uFFFD"},
		{"overlong encoding", "\xc0\xaf", "\uFFFD\uFFFD"},
		{"surrogate encoding", "\xed\xa0\x80", "\uFFFD\uFFFD\uFFFD"},
		{"replacement char kept", "\uFFFD", "\uFFFD"},
		{"invisible removed", "a\u200bb\u200cc\u200dd\u200ee\u200ff\u2060g\u2061h\u2064i\u00adj\u180ek\ufeffl", "abcdefghijkl"},
		{"zwj inside a word removed", "ad\u200dmin", "admin"},
		{"emoji zwj sequences kept", "👩\u200d💻 🏳\ufe0f\u200d🌈 👨🏽\u200d🚀", "👩\u200d💻 🏳\ufe0f\u200d🌈 👨🏽\u200d🚀"},
		{"zwj at the ends removed", "\u200d👩\u200d", "👩"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Text(tt.in); got != tt.want {
				t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// The clean case must not allocate: Text runs on every message.
func TestTextCleanDoesNotAllocate(t *testing.T) {
	s := strings.Repeat("hello wörld 你好 👋 ", 20)
	allocs := testing.AllocsPerRun(100, func() {
		if Text(s) != s {
			t.Fatal("clean string changed")
		}
	})
	if allocs != 0 {
		t.Errorf("Text on clean input: %v allocations, want 0", allocs)
	}
}

func BenchmarkTextClean(b *testing.B) {
	s := strings.Repeat("the quick brown fox jumps over the lazy dog 你好 ", 4)
	b.ReportAllocs()
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		Text(s)
	}
}

func BenchmarkTextDirty(b *testing.B) {
	s := strings.Repeat("the quick brown fox\x1b[2J jumps\u202e over\tthe lazy dog ", 4)
	b.ReportAllocs()
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		Text(s)
	}
}
