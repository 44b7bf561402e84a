package sanitize

import (
	"strings"
	"unicode/utf8"
)

// Truncate returns the longest prefix of s that is at most maxBytes long and
// does not end in the middle of a rune, so that a cut never leaves half a
// character for a terminal to misinterpret. The result is always valid UTF-8:
// invalid bytes in s are first replaced with U+FFFD, as Text does (callers
// normally pass Text's output, where that is a no-op). A maxBytes below zero
// counts as zero.
func Truncate(s string, maxBytes int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, string(utf8.RuneError))
	}
	if len(s) <= maxBytes {
		return s
	}
	if maxBytes <= 0 {
		return ""
	}
	cut := maxBytes
	// s is valid here, so walking back over continuation bytes lands on the
	// first byte of the rune that straddles the limit.
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
