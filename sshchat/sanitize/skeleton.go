package sanitize

import "strings"

// Skeleton returns the form of a nick under which nicks that look alike
// compare equal, so that "aIice" (capital I) cannot pass for "alice": case
// is folded, then characters that look the same in common terminal fonts
// become one (I, l, 1, | and ! as l; O and 0 as o), and so do the letter
// pairs that read as one letter (rn as m, vv as w, cl as d). Two nicks with
// the same skeleton cannot both be online, and a nick cannot be taken that
// looks like one a key owns.
//
// It is a fold, not a spelling: the result is only for comparison.
func Skeleton(nick string) string {
	var b strings.Builder
	b.Grow(len(nick))
	for i := 0; i < len(nick); i++ {
		c := lookalike(nick[i])
		if i+1 < len(nick) {
			if pair, ok := lookalikePairs[[2]byte{c, lookalike(nick[i+1])}]; ok {
				b.WriteByte(pair)
				i++
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

// lookalike folds one byte: case, then single-character look-alikes.
func lookalike(c byte) byte {
	if isUpper(c) {
		c += 'a' - 'A'
	}
	switch c {
	case 'i', '1', '|', '!':
		return 'l'
	case '0':
		return 'o'
	}
	return c
}

// lookalikePairs are two letters that read as one. No result can start or
// end another pair, so one pass from the left folds them all.
var lookalikePairs = map[[2]byte]byte{
	{'r', 'n'}: 'm',
	{'v', 'v'}: 'w',
	{'c', 'l'}: 'd',
}
