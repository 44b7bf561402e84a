package sanitize

import (
	"strings"
	"unicode/utf8"
)

// Text returns s made safe to print inside one line of someone else's
// terminal. Invalid UTF-8 becomes U+FFFD; TAB becomes one space (its width
// depends on the viewer's cursor, which would break alignment and can hide
// text); every other control character is removed, and so are characters
// that change how later text is displayed or split into lines: C0 (including
// CR, LF and ESC), DEL, C1, the bidi embeddings, overrides and isolates
// (U+202A–U+202E, U+2066–U+2069), the Unicode line and paragraph separators
// (U+2028, U+2029) and U+FEFF. Everything else, including CJK, emoji and
// combining marks, is kept.
//
// When nothing needs changing, s itself is returned without allocating:
// almost every message is clean, and Text runs on all of them.
func Text(s string) string {
	i := firstUnsafe(s)
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '\t':
				b.WriteByte(' ')
			case c >= 0x20 && c != 0x7f:
				b.WriteByte(c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case !removed(r):
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// firstUnsafe returns the index of the first byte of s that Text would
// change, or len(s) when s is already clean.
func firstUnsafe(s string) int {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return i
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || removed(r) {
			return i
		}
		i += size
	}
	return len(s)
}

// removed reports whether Text drops the non-ASCII rune r.
func removed(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f: // C1 controls, e.g. U+009B is an 8-bit CSI
		return true
	case r >= 0x202a && r <= 0x202e: // LRE RLE PDF LRO RLO
		return true
	case r >= 0x2066 && r <= 0x2069: // LRI RLI FSI PDI
		return true
	case r == 0x2028 || r == 0x2029: // line and paragraph separator
		return true
	case r == 0xfeff: // zero width no-break space / byte order mark
		return true
	}
	return false
}
