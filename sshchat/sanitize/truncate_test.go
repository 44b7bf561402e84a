package sanitize

import "testing"

func TestTruncate(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"hello", 10, "hello"},
		{"hello", 5, "hello"},
		{"hello", 3, "hel"},
		{"hello", 0, ""},
		{"hello", -1, ""},
		{"", 3, ""},
		{"héllo", 2, "h"}, // é is two bytes: never cut it in half
		{"héllo", 3, "hé"},
		{"你好", 4, "你"},
		{"你好", 5, "你"},
		{"你好", 6, "你好"},
		{"👋x", 3, ""},
		{"👋x", 4, "👋"},
		{"a\xffb", 10, "a\uFFFDb"}, // repaired, then fits
		{"a\xffb", 3, "a"},         // repaired to 5 bytes, U+FFFD does not fit
	}
	for _, tt := range tests {
		if got := Truncate(tt.in, tt.max); got != tt.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}
