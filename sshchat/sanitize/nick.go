package sanitize

import "errors"

// MaxNickLen is the longest nick in bytes (nicks are ASCII, so also in
// characters). It keeps nick columns narrow and predictable.
const MaxNickLen = 24

// ErrInvalidNick is what ValidNick returns; its text is written for the user
// who chose the nick.
var ErrInvalidNick = errors.New("nick must be 1-24 characters: letters, digits, _ - . (not starting with - or .)")

// Nick derives a nick candidate from arbitrary text such as an SSH user name:
// it keeps only the nick character set, drops leading '-' and '.', and cuts
// the result to MaxNickLen. It returns "" when nothing usable is left; the
// caller then picks a fallback such as "guest".
func Nick(s string) string {
	b := make([]byte, 0, min(len(s), MaxNickLen))
	for i := 0; i < len(s) && len(b) < MaxNickLen; i++ {
		c := s[i]
		if !nickByte(c) {
			continue
		}
		if len(b) == 0 && (c == '-' || c == '.') {
			continue
		}
		b = append(b, c)
	}
	return string(b)
}

// ValidNick returns nil if s can be used as a nick as it is, and
// ErrInvalidNick otherwise. The character set is small and ASCII only so that
// nicks cannot impersonate each other with look-alike characters, and a
// leading '-' or '.' is refused because it reads like a command-line flag or
// a hidden file in logs and scripts.
func ValidNick(s string) error {
	if len(s) == 0 || len(s) > MaxNickLen || s[0] == '-' || s[0] == '.' {
		return ErrInvalidNick
	}
	for i := 0; i < len(s); i++ {
		if !nickByte(s[i]) {
			return ErrInvalidNick
		}
	}
	return nil
}

// FoldNick returns the key under which nicks are compared, so that "Alice"
// and "alice" are the same nick. Nicks are ASCII, so ASCII lower-casing is
// the whole rule; other bytes are left as they are.
func FoldNick(s string) string {
	i := 0
	for i < len(s) && !isUpper(s[i]) {
		i++
	}
	if i == len(s) {
		return s
	}
	b := []byte(s)
	for ; i < len(b); i++ {
		if isUpper(b[i]) {
			b[i] += 'a' - 'A'
		}
	}
	return string(b)
}

func nickByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == '-' || c == '.'
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
