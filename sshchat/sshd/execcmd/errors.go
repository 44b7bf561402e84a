package execcmd

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// maxQuoted caps how much of an argument an error message repeats.
const maxQuoted = 40

// usageErr is "MSG; usage: USAGE", one line.
func usageErr(usage, format string, a ...any) error {
	return fmt.Errorf(format+"; usage: "+usage, a...)
}

// quote is %q of s cut so that the quoted text is at most maxQuoted bytes
// plus the quotes (and "..." when cut): an error stays one short line
// whatever the argument holds, control bytes included. Invalid UTF-8 shows
// as \x escapes, as %q does.
func quote(s string) string {
	cut := len(s)
	for {
		q := strconv.Quote(s[:cut])
		if len(q) <= maxQuoted+2 {
			if cut < len(s) {
				q += "..."
			}
			return q
		}
		cut = min(cut, maxQuoted+1) - 1
		for back := 0; back < utf8.UTFMax-1 && cut > 0 && !utf8.RuneStart(s[cut]); back++ {
			cut--
		}
	}
}
