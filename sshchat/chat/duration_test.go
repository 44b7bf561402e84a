package chat

import (
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Duration
	}{
		{"30s", 30 * time.Second},
		{"10m", 10 * time.Minute},
		{"10M", 10 * time.Minute},
		{"2h", 2 * time.Hour},
		{"7d", 7 * 24 * time.Hour},
		{"2w", 14 * 24 * time.Hour},
		{"1d12h", 36 * time.Hour},
		{"1h0m30s", time.Hour + 30*time.Second},
		{"3650d", maxDuration},
		{"87600h", maxDuration},
	} {
		got, err := ParseDuration(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, in := range []string{"", "0s", "0d0h", "10", "m", "d10", "1.5h", "-1h", "+1h", "1h-", "1 h", "5ms", "1y",
		"3651d", "87600h1s", "522w", "9223372036854775807s", "99999999999999999999d", strings.Repeat("1s", 17)} {
		if d, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", in, d)
		}
	}
}

// FuzzParseDuration: ParseDuration never panics; what it accepts is more
// than nothing and at most ten years; what formatDuration writes reads back
// as the same duration; and where Go's own parser also reads the text, both
// agree.
func FuzzParseDuration(f *testing.F) {
	for _, seed := range []string{"10m", "1d12h", "2w", "0s", "3650d", "3651d", "87600h1s", "9223372036854775807s",
		"1x", "", "10", "m", "1h-1m", "\u0663m", "10M", "1h30m", "52w1d", "00000000000000000000001s"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			if d != 0 {
				t.Fatalf("ParseDuration(%q) = %v with error %v, want 0", s, d, err)
			}
			return
		}
		if d <= 0 || d > maxDuration {
			t.Fatalf("ParseDuration(%q) = %v, outside (0, 10 years]", s, d)
		}
		if d%time.Second != 0 {
			t.Fatalf("ParseDuration(%q) = %v, not whole seconds", s, d)
		}
		text := formatDuration(d)
		back, err := ParseDuration(text)
		if err != nil || back != d {
			t.Fatalf("ParseDuration(%q) = %v, formatted %q, read back as %v, %v", s, d, text, back, err)
		}
		if goD, err := time.ParseDuration(s); err == nil && goD != d {
			t.Fatalf("ParseDuration(%q) = %v, but time.ParseDuration reads %v", s, d, goD)
		}
	})
}
