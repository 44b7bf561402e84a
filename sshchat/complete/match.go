package complete

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sshchat/sshchat/sshchat/sanitize"
)

// matchesFor returns the texts to insert for word, which starts the line if
// atStart, in cycling order, separators included; nil if nothing matches.
func matchesFor(c Candidates, word string, atStart bool) []string {
	switch {
	case atStart && strings.HasPrefix(word, "/"):
		return render(filter(c.Commands, word[1:], "/"), "/", " ")
	case strings.HasPrefix(word, "#"):
		return render(filter(c.Rooms, word[1:], "#"), "#", " ")
	case word == "":
		return nil
	case atStart:
		return render(filter(c.Nicks, word, ""), "", ": ")
	default:
		return render(filter(c.Nicks, word, ""), "", " ")
	}
}

// filter returns the distinct usable candidates, with sigil trimmed off,
// that start with prefix ignoring case, sorted case-insensitively.
func filter(cands []string, prefix, sigil string) []string {
	var out []string
	for _, s := range cands {
		if sigil != "" {
			s = strings.TrimPrefix(s, sigil)
		}
		if usable(s) && hasPrefixFold(s, prefix) && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, compareFold)
	return out
}

func render(names []string, sigil, sep string) []string {
	for i, n := range names {
		names[i] = sigil + n + sep
	}
	return names
}

// usable reports whether s can be inserted into the line as one word.
func usable(s string) bool {
	return s != "" && !strings.ContainsRune(s, ' ') && sanitize.Text(s) == s
}

// hasPrefixFold is strings.HasPrefix under Unicode simple case folding,
// comparing rune by rune (invalid bytes compare as U+FFFD).
func hasPrefixFold(s, prefix string) bool {
	for prefix != "" {
		if s == "" {
			return false
		}
		a, na := utf8.DecodeRuneInString(s)
		b, nb := utf8.DecodeRuneInString(prefix)
		if !equalFoldRune(a, b) {
			return false
		}
		s, prefix = s[na:], prefix[nb:]
	}
	return true
}

func equalFoldRune(a, b rune) bool {
	if a == b {
		return true
	}
	for r := unicode.SimpleFold(a); r != a; r = unicode.SimpleFold(r) {
		if r == b {
			return true
		}
	}
	return false
}

// compareFold orders case-insensitively, then by bytes so that the order is
// total and "Bob" and "bob" always come in the same order.
func compareFold(a, b string) int {
	if c := strings.Compare(strings.ToLower(a), strings.ToLower(b)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}
