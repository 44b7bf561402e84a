package store

import (
	"context"
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Searcher is an optional capability of a store: full-text search of a
// room's history. The chat offers /search only on a store that has it.
type Searcher interface {
	// Search returns up to limit messages of room whose text matches query
	// (case-insensitive words; FTS5 if the driver has it, else LIKE), oldest first.
	// Every term of ParseSearch(query) must appear (a word of MinPrefixLen
	// letters or more matches as a prefix: "deploy" finds "deployed"; a
	// shorter one matches whole); the newest limit matches are returned.
	// A query without words returns nothing. Its cost is bounded: it
	// returns ErrSearchTooManyTerms, ErrSearchBusy or ErrSearchTooBroad
	// (wrapped) instead of running long.
	Search(ctx context.Context, room, query string, limit int) ([]Message, error)
}

// The bounds of one search, the same in every backend. A search's cost
// grows with its number of terms and, far more, with its prefix terms: a
// prefix of one or two letters ("a"*) stands for thousands of distinct
// words, and the index has to merge all of their lists of lines.
const (
	// MaxSearchTerms is how many different words one search may hold.
	MaxSearchTerms = 8
	// MinPrefixLen is the shortest word (in letters) matched as a word
	// prefix; shorter words match only themselves ("go" finds "go", not
	// "gopher").
	MinPrefixLen = 3
	// MaxSearchWordLen bounds a word (in bytes); a longer one is cut to a
	// prefix of this length.
	MaxSearchWordLen = 64
)

// Errors a Search returns when it refuses or stops a query. Backends wrap
// them; test with errors.Is.
var (
	// ErrSearchTooManyTerms: the query holds more than MaxSearchTerms
	// different words. Nothing was searched.
	ErrSearchTooManyTerms = errors.New("search has too many words")
	// ErrSearchTooBroad: the search ran out of its time budget before it
	// finished; its words match too many lines.
	ErrSearchTooBroad = errors.New("search too broad")
	// ErrSearchBusy: every search slot stayed taken until the caller's
	// context ended. Nothing was searched.
	ErrSearchBusy = errors.New("search busy")
)

// SearchTerm is one word of a normalized search.
type SearchTerm struct {
	Word   string // lower case, letters and digits only, not empty
	Prefix bool   // match words that start with Word, not only Word itself
}

// ParseSearch splits query into the terms a backend searches for: runs of
// letters and digits, lower-cased, each kept once, and a word implied by a
// longer prefix term dropped ("deploy deployed" is "deployed"*). Words of
// MinPrefixLen letters or more are prefixes; shorter ones match whole. A
// query without words gives no terms and no error; one with more than
// MaxSearchTerms different words gives ErrSearchTooManyTerms.
func ParseSearch(query string) ([]SearchTerm, error) {
	var terms []SearchTerm
	// The query is cut into words without building a slice of all of
	// them: a 1000-byte line of "a a a ..." holds 500.
	rest := query
	for rest != "" {
		start := strings.IndexFunc(rest, isWordRune)
		if start < 0 {
			break
		}
		rest = rest[start:]
		end := strings.IndexFunc(rest, func(r rune) bool { return !isWordRune(r) })
		if end < 0 {
			end = len(rest)
		}
		word := strings.ToLower(rest[:end])
		rest = rest[end:]
		term := SearchTerm{Word: word, Prefix: utf8.RuneCountInString(word) >= MinPrefixLen}
		if len(term.Word) > MaxSearchWordLen {
			term.Word = cutRunes(term.Word, MaxSearchWordLen)
			term.Prefix = true
		}
		var err error
		if terms, err = addTerm(terms, term); err != nil {
			return nil, err
		}
	}
	return terms, nil
}

// addTerm adds t to terms unless a term already there implies it, and
// drops the terms t implies. It refuses a term past MaxSearchTerms.
func addTerm(terms []SearchTerm, t SearchTerm) ([]SearchTerm, error) {
	for _, old := range terms {
		if implies(old, t) {
			return terms, nil
		}
	}
	kept := terms[:0]
	for _, old := range terms {
		if !implies(t, old) {
			kept = append(kept, old)
		}
	}
	if len(kept) >= MaxSearchTerms {
		return nil, ErrSearchTooManyTerms
	}
	return append(kept, t), nil
}

// implies reports whether every line matching a matches b too.
func implies(a, b SearchTerm) bool {
	switch {
	case a == b:
		return true
	case !b.Prefix:
		return false // b matches one word; a differs from it
	default:
		return strings.HasPrefix(a.Word, b.Word)
	}
}

// isWordRune reports whether r belongs to a search word.
func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// cutRunes cuts s to at most n bytes without splitting a rune.
func cutRunes(s string, n int) string {
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
