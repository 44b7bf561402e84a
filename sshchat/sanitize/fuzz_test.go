package sanitize

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzText(f *testing.F) {
	for _, s := range []string{
		"", "hello", "\x1b[2J", "\x1b]0;title\x07", "\u009b31m", "\u202Eevil",
		"a\xffb", "line\r\nnext", "你好👋🏽", "\t\u2028\ufeff",
		"ad\u200bmin", "👩\u200d💻", "\u200d👩\u200d\u200d💻", "soft\u00adhyphen\u180e\u2060\u2064",
	} {
		f.Add(s, 8)
	}
	f.Fuzz(func(t *testing.T, s string, n int) {
		out := Text(s)
		if !utf8.ValidString(out) {
			t.Fatalf("Text(%q) = %q: invalid UTF-8", s, out)
		}
		for i, r := range out {
			if r < 0x20 || r == 0x7f || removed(r) {
				t.Fatalf("Text(%q) = %q: contains %U", s, out, r)
			}
			if r == zwj && !joinsEmoji(out, i) {
				t.Fatalf("Text(%q) = %q: a zero-width joiner outside an emoji sequence", s, out)
			}
		}
		if again := Text(out); again != out {
			t.Fatalf("Text not idempotent: %q -> %q -> %q", s, out, again)
		}
		n %= 1 << 16 // keep the cap in the range of input sizes
		limit := max(n, 0)
		cut := Truncate(out, n)
		if len(cut) > limit || !utf8.ValidString(cut) || out[:len(cut)] != cut {
			t.Fatalf("Truncate(%q, %d) = %q: too long or not a valid prefix", out, n, cut)
		}
		if len(out) > limit && len(cut) < limit-utf8.UTFMax+1 {
			t.Fatalf("Truncate(%q, %d) = %q: cut more than one rune short", out, n, cut)
		}
		if raw := Truncate(s, n); len(raw) > limit || !utf8.ValidString(raw) {
			t.Fatalf("Truncate(%q, %d) = %q: too long or invalid", s, n, raw)
		}
	})
}

func FuzzNick(f *testing.F) {
	for _, s := range []string{"", "alice", "-.-bob", "root@host", "jöhn doe", "\x1b[31m", "---"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Nick(s)
		if n != "" {
			if err := ValidNick(n); err != nil {
				t.Fatalf("Nick(%q) = %q, which ValidNick refuses", s, n)
			}
		}
		if ValidNick(s) == nil && Nick(s) != s {
			t.Fatalf("valid nick %q changed by Nick to %q", s, Nick(s))
		}
		if FoldNick(FoldNick(s)) != FoldNick(s) {
			t.Fatalf("FoldNick not idempotent on %q", s)
		}
	})
}

func FuzzSkeleton(f *testing.F) {
	for _, s := range []string{"alice", "aIice", "a1ice", "ALICE", "rnallory", "vvalter", "cloe", "O0o", "vvv", "rrnn", "|!1Il"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k := Skeleton(s)
		if Skeleton(k) != k {
			t.Fatalf("Skeleton not idempotent: %q -> %q -> %q", s, k, Skeleton(k))
		}
		if Skeleton(FoldNick(s)) != k {
			t.Fatalf("case changes the skeleton of %q", s)
		}
		if len(k) > len(s) {
			t.Fatalf("Skeleton(%q) = %q is longer", s, k)
		}
		for _, bad := range []string{"I", "i", "1", "|", "!", "0", "O", "rn", "vv", "cl"} {
			if strings.Contains(k, bad) {
				t.Fatalf("Skeleton(%q) = %q still contains %q", s, k, bad)
			}
		}
		if ValidNick(s) == nil && ValidNick(k) != nil && k != "" && k[0] != '-' && k[0] != '.' {
			t.Fatalf("Skeleton(%q) = %q leaves the nick character set", s, k)
		}
	})
}
