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
// (U+2028, U+2029), and the invisible characters that can hide inside a word
// or make two texts that look the same differ: zero-width spaces, joiners and
// direction marks (U+200B–U+200F), the word joiner and invisible operators
// (U+2060–U+2064), U+FEFF, the soft hyphen U+00AD and the Mongolian vowel
// separator U+180E. A zero-width joiner between two emoji is kept: it is
// how 👩‍💻 is written. Everything else, including CJK, emoji and
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
		case !removed(r) && (r != zwj || joinsEmoji(s, i)):
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
		if (r == utf8.RuneError && size == 1) || removed(r) || (r == zwj && !joinsEmoji(s, i)) {
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
	case r >= 0x200b && r <= 0x200f && r != zwj: // zero width space, non-joiner, LRM, RLM
		return true
	case r >= 0x2060 && r <= 0x2064: // word joiner, invisible operators
		return true
	case r == 0xad || r == 0x180e: // soft hyphen, Mongolian vowel separator
		return true
	}
	return false
}

// zwj is the zero-width joiner, kept only inside emoji sequences.
const zwj = 0x200d

// joinsEmoji reports whether the zero-width joiner at s[i] stands between
// two emoji (an emoji, possibly with a variation selector or skin tone, on
// the left; an emoji on the right), where it joins them into one picture.
func joinsEmoji(s string, i int) bool {
	before, _ := utf8.DecodeLastRuneInString(s[:i])
	after, _ := utf8.DecodeRuneInString(s[i+len("\u200d"):])
	return (emojiLike(before) || before == 0xfe0f) && emojiLike(after)
}

// emojiLike is a cheap test for the pictographs that ZWJ sequences join.
func emojiLike(r rune) bool {
	return r >= 0x1f000 && r <= 0x1faff || r >= 0x2600 && r <= 0x27bf || r >= 0x2300 && r <= 0x23ff || r == 0x2b50 || r == 0x2b55
}
