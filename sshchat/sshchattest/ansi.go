package sshchattest

import "strings"

// StripANSI removes CSI and OSC escape sequences, other ESC pairs and
// carriage returns, which is enough to read what x/term and the server
// wrote as text.
func StripANSI(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\x1b' && i+1 < len(s) && s[i+1] == '[':
			i += 2
			for i < len(s) && (s[i] < 0x40 || s[i] > 0x7e) {
				i++
			}
		case c == '\x1b' && i+1 < len(s) && s[i+1] == ']':
			i += 2
			for i < len(s) && s[i] != '\x07' && !(s[i] == '\x1b' && i+1 < len(s) && s[i+1] == '\\') {
				i++
			}
			if i < len(s) && s[i] == '\x1b' {
				i++
			}
		case c == '\x1b':
			i++
		case c == '\r':
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
