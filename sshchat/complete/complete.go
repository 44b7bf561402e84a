package complete

import "unicode/utf8"

// Tab is the key x/term passes for the Tab key.
const Tab = '\t'

// Candidates are the words a completion can produce. Commands are given
// without the leading "/" (one is tolerated and dropped), rooms with their
// "#" (one is added when missing). Empty entries, duplicates and entries
// that contain a space or anything sanitize.Text would change are ignored.
type Candidates struct {
	Commands []string // command names without "/", e.g. "help", "nick", "msg"
	Nicks    []string // people online
	Rooms    []string // "#lobby", "#dev"
}

// Completer keeps the cycling state of one session; not safe for concurrent
// use. Its zero value is not usable: call New.
type Completer struct {
	source func() Candidates
	cycle  cycle
}

// cycle is what a Tab needs to replace its own previous completion: the line
// and cursor it produced, where the completed word starts, the matches (as
// inserted text, separator included) and which one is shown.
type cycle struct {
	active  bool
	line    string
	pos     int
	start   int
	matches []string
	i       int
}

// New returns a Completer that asks source for the candidates on the first
// Tab of each cycle (not on every key). A nil source means no candidates.
func New(source func() Candidates) *Completer {
	return &Completer{source: source}
}

// Key handles one key press and has the signature of x/term's
// AutoCompleteCallback; pos is a byte offset into line.
//
// For any key but Tab it forgets the current cycle and returns line, pos,
// false so that x/term handles the key as usual.
//
// For Tab it completes the word that ends at pos (words are separated by
// spaces; the text after pos is kept as it is):
//   - "/" + prefix as the first word of the line: a command, inserted as
//     "/name ";
//   - "#" + prefix anywhere: a room, inserted as "#room ";
//   - any other non-empty word: a nick, inserted as "nick: " when the word
//     starts the line and "nick " elsewhere.
//
// Prefixes match case-insensitively. The matches are sorted
// case-insensitively (ties in byte order) and the first Tab inserts the first
// one, even when there are several: there is deliberately no "longest common
// prefix" step, so one Tab always gives a whole word. Each further Tab with
// the line and cursor exactly as the previous Tab left them replaces that
// completion with the next match, wrapping around after the last; the
// matches are those of the first Tab, so people joining meanwhile do not
// reorder the cycle. A separator is always inserted, even when the text
// after the cursor already starts with a space.
//
// When nothing matches (or the word is an empty nick prefix, or pos is not a
// rune boundary within line) Key returns line, pos, false: Tab is not
// printable, so x/term then ignores it.
func (c *Completer) Key(line string, pos int, key rune) (newLine string, newPos int, ok bool) {
	if key != Tab {
		c.cycle = cycle{}
		return line, pos, false
	}
	if cy := &c.cycle; cy.active && line == cy.line && pos == cy.pos {
		cy.i = (cy.i + 1) % len(cy.matches)
		return cy.apply(line[:cy.start], line[pos:])
	}
	c.cycle = cycle{}
	if pos < 0 || pos > len(line) || (pos < len(line) && !utf8.RuneStart(line[pos])) {
		return line, pos, false
	}
	var cands Candidates
	if c.source != nil {
		cands = c.source()
	}
	start := wordStart(line, pos)
	matches := matchesFor(cands, line[start:pos], start == 0)
	if len(matches) == 0 {
		return line, pos, false
	}
	c.cycle = cycle{active: true, start: start, matches: matches}
	return c.cycle.apply(line[:start], line[pos:])
}

// apply builds the line with the current match between before and after and
// records it as the line the next Tab must see to keep cycling.
func (cy *cycle) apply(before, after string) (string, int, bool) {
	ins := cy.matches[cy.i]
	cy.line = before + ins + after
	cy.pos = cy.start + len(ins)
	return cy.line, cy.pos, true
}

// wordStart returns the byte offset where the word ending at pos begins: just
// after the last space before pos, or 0.
func wordStart(line string, pos int) int {
	for i := pos - 1; i >= 0; i-- {
		if line[i] == ' ' {
			return i + 1
		}
	}
	return 0
}
