package chat

import (
	"strings"
	"unicode/utf8"

	"github.com/rivo/uniseg"
)

// What a user writes is shown after their nick, but a terminal wraps a long
// line wherever the width falls, so a row in the middle of someone's text
// begins wherever they arrange it to: "mallory: " + 71 spaces + "*** alice
// was kicked by root" shows a server line at the start of a row on an
// 80-column screen. Two defences:
//
//   - On terminals, whose width the server knows, a line whose wrapped rows
//     would start like a line of their own (a nick and a colon, an asterisk,
//     a bracket, an arrow, the mention mark) is wrapped by the server
//     instead, with every continuation row indented (WrapRows): then a row
//     that does not start with two spaces is the start of a line, and every
//     line starts with a nick or "***", whatever anyone typed. Other lines
//     are left for the terminal to wrap, as before.
//   - For every screen, including plain sessions whose width is unknown and
//     terminals resized later, user text never contains the server marker:
//     runs of asterisk-like characters are cut to two, so no row of any
//     width can start with "***"; and runs of blanks collapse to one space,
//     so text cannot be lined up invisibly against a row boundary.

// contIndent starts every continuation row of a wrapped line.
const contIndent = "  "

// Unforgeable returns user text (a message, an emote, a topic, an away
// note, a reason) with leading blanks removed, runs of blanks collapsed to
// one space and runs of asterisk-like characters cut to two. Clean text is
// returned as it is.
func Unforgeable(s string) string {
	if !needsDefusing(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	blank, stars := true, 0 // true: leading blanks are dropped
	for _, r := range s {
		switch {
		case isBlank(r):
			stars = 0
			if !blank {
				b.WriteByte(' ')
			}
			blank = true
			continue
		case isStar(r):
			stars++
			if stars > 2 {
				continue
			}
		default:
			stars = 0
		}
		blank = false
		b.WriteRune(r)
	}
	return b.String()
}

func needsDefusing(s string) bool {
	blank, stars := true, 0
	for i := 0; i < len(s); {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		i += size
		switch {
		case isBlank(r):
			if blank || r != ' ' {
				return true
			}
			blank, stars = true, 0
		case isStar(r):
			if stars++; stars > 2 {
				return true
			}
			blank = false
		default:
			blank, stars = false, 0
		}
	}
	return false
}

// isBlank reports whether r shows as empty space: the spaces of Unicode
// and the fillers that render blank in most fonts.
func isBlank(r rune) bool {
	switch {
	case r == ' ', r == 0xa0, r == 0x1680, r >= 0x2000 && r <= 0x200a,
		r == 0x202f, r == 0x205f, r == 0x3000, r == 0x2800,
		r == 0x115f, r == 0x1160, r == 0x3164, r == 0xffa0:
		return true
	}
	return false
}

// isStar reports whether r looks like an asterisk.
func isStar(r rune) bool {
	switch r {
	case '*', 0x066d, 0x204e, 0x2051, 0x2055, 0x2217, 0x22c6, 0x2731, 0x2732, 0x2733,
		0x273a, 0x273b, 0x273c, 0x273d, 0x2742, 0x2743, 0x2749, 0x274a, 0x274b,
		0xfe61, 0xff0a:
		return true
	}
	return false
}

// WrapRows appends line (rendered bytes, possibly with SGR escapes and
// ending in "\n") to dst, broken into rows of at most width display cells;
// every row after a line's first starts with contIndent. Escape sequences
// and the bell take no cells; wide characters take two. It runs for every
// terminal recipient of every line, so the common case (ASCII that fits)
// only counts bytes.
func WrapRows(dst, line []byte, width int) []byte {
	if width <= len(contIndent)+2 || fitsASCII(line, width) {
		return append(dst, line...)
	}
	col := 0
	state := -1
	for len(line) > 0 {
		switch c := line[0]; {
		case c == '\x1b':
			n := escapeLen(line)
			dst = append(dst, line[:n]...)
			line, state = line[n:], -1
			continue
		case c < 0x20:
			if c == '\n' {
				col = 0
			}
			dst = append(dst, c)
			line, state = line[1:], -1
			continue
		}
		var cluster []byte
		var w int
		cluster, line, w, state = uniseg.FirstGraphemeCluster(line, state)
		if col+w > width && col > len(contIndent) {
			dst = append(dst, '\n')
			dst = append(dst, contIndent...)
			col = len(contIndent)
		}
		dst = append(dst, cluster...)
		col += w
	}
	return dst
}

// fitsASCII reports whether line is ASCII and at most width cells wide on
// every row, not counting escape sequences and control characters.
func fitsASCII(line []byte, width int) bool {
	col := 0
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case c >= utf8.RuneSelf:
			return false
		case c == '\x1b':
			i += escapeLen(line[i:]) - 1
		case c == '\n':
			col = 0
		case c >= 0x20:
			if col++; col > width {
				return false
			}
		}
	}
	return true
}

// escapeLen is the length of the escape sequence at the start of b (CSI
// sequences are what renderings contain), at least 1.
func escapeLen(b []byte) int {
	if len(b) < 2 || b[1] != '[' {
		return 1
	}
	for i := 2; i < len(b); i++ {
		if b[i] >= 0x40 && b[i] <= 0x7e {
			return i + 1
		}
	}
	return len(b)
}

// RenderRows is Render for a terminal of the given width: a line that the
// terminal would wrap into a row that starts like a line of its own comes
// wrapped by the server, with continuation rows indented.
func (m *Member) RenderRows(dst []byte, ev *Event, width int) []byte {
	start := len(dst)
	dst = m.Render(dst, ev, true)
	if width <= len(contIndent)+2 || fitsASCII(dst[start:], width) || !forgesARow(dst[start:], width) {
		return dst // the common case: nothing to wrap, nothing to copy
	}
	line := append([]byte(nil), dst[start:]...)
	return WrapRows(dst[:start], line, width)
}

// forgesARow reports whether a terminal width cells wide, wrapping line by
// itself, would start a row with something that reads as a line start.
func forgesARow(line []byte, width int) bool {
	col := 0
	state := -1
	for i := 0; i < len(line); {
		c := line[i]
		switch {
		case c == '\x1b':
			i += escapeLen(line[i:])
			state = -1
			continue
		case c < 0x20:
			if c == '\n' {
				col = 0
			}
			i++
			state = -1
			continue
		}
		cluster, _, w, next := uniseg.FirstGraphemeCluster(line[i:], state)
		if col+w > width && col > 0 {
			if looksLikeLineStart(line[i:]) {
				return true
			}
			col = 0
		}
		col += w
		i += len(cluster)
		state = next
	}
	return false
}

// looksLikeLineStart reports whether row (rendered bytes from the start of
// a row on) begins the way a line of the chat does: "nick: ", an asterisk
// ("*** ", "* nick", "*nick*"), "-> ", "[time]", "» ".
func looksLikeLineStart(row []byte) bool {
	for len(row) > 0 && row[0] == '\x1b' {
		row = row[escapeLen(row):]
	}
	if len(row) == 0 {
		return false
	}
	r, _ := utf8.DecodeRune(row)
	if isStar(r) || strings.ContainsRune("[-<>»«(#", r) {
		return true
	}
	for i := 0; i < len(row) && i <= 25; i++ {
		c := row[i]
		if c == ':' {
			return i > 0
		}
		if !nickByte(c) && c != '.' {
			return false
		}
	}
	return false
}
