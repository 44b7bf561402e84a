package store

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseSearch(t *testing.T) {
	w := func(word string) SearchTerm { return SearchTerm{Word: word} }
	p := func(word string) SearchTerm { return SearchTerm{Word: word, Prefix: true} }
	cases := []struct {
		query string
		want  []SearchTerm
	}{
		{"", nil},
		{"  %% -- ", nil},
		{"Deploy", []SearchTerm{p("deploy")}},
		{"a", []SearchTerm{w("a")}},
		{"go GO Go", []SearchTerm{w("go")}},
		{"it's", []SearchTerm{w("it"), w("s")}},
		{"100% done", []SearchTerm{p("100"), p("done")}},
		{"deploy deployed", []SearchTerm{p("deployed")}},
		{"deployed deploy", []SearchTerm{p("deployed")}},
		{"de deploy", []SearchTerm{w("de"), p("deploy")}},
		{"été Ünïcode", []SearchTerm{p("été"), p("ünïcode")}},
		{strings.Repeat("a ", 500), []SearchTerm{w("a")}},
		{strings.Repeat("x", 100), []SearchTerm{p(strings.Repeat("x", MaxSearchWordLen))}},
		{"a b c d e f g h", []SearchTerm{w("a"), w("b"), w("c"), w("d"), w("e"), w("f"), w("g"), w("h")}},
	}
	for _, c := range cases {
		got, err := ParseSearch(c.query)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseSearch(%.40q) = %v, %v; want %v", c.query, got, err, c.want)
		}
	}
}

// TestSearchWithTooManyWordsIsRefused: a query of more than MaxSearchTerms
// different words is refused before any backend sees it.
func TestSearchWithTooManyWordsIsRefused(t *testing.T) {
	for _, q := range []string{"a b c d e f g h i", "alpha bravo charlie delta echo foxtrot golf hotel india"} {
		if got, err := ParseSearch(q); !errors.Is(err, ErrSearchTooManyTerms) {
			t.Errorf("ParseSearch(%q) = %v, %v; want ErrSearchTooManyTerms", q, got, err)
		}
	}
}

func FuzzParseSearch(f *testing.F) {
	for _, seed := range []string{"a a a a a a a a a a a a a a a a", "deploy deployed", "it's", "\xff\xfeab", "ÉTÉ été", "İstanbul"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, query string) {
		terms, err := ParseSearch(query)
		if err != nil {
			if !errors.Is(err, ErrSearchTooManyTerms) {
				t.Fatalf("ParseSearch(%q): unexpected error %v", query, err)
			}
			return
		}
		if len(terms) > MaxSearchTerms {
			t.Fatalf("ParseSearch(%q) gave %d terms", query, len(terms))
		}
		for i, term := range terms {
			if term.Word == "" || len(term.Word) > MaxSearchWordLen*2 {
				t.Fatalf("ParseSearch(%q): term %q", query, term.Word)
			}
			if strings.ContainsAny(term.Word, "\"*:^()") || !utf8.ValidString(term.Word) {
				t.Fatalf("ParseSearch(%q): term %q holds what a query language could read", query, term.Word)
			}
			if !term.Prefix && utf8.RuneCountInString(term.Word) >= MinPrefixLen && len(term.Word) <= MaxSearchWordLen {
				t.Fatalf("ParseSearch(%q): long term %q is not a prefix", query, term.Word)
			}
			if term.Prefix && utf8.RuneCountInString(term.Word) < MinPrefixLen {
				t.Fatalf("ParseSearch(%q): short term %q is a prefix", query, term.Word)
			}
			for j, other := range terms {
				if i != j && implies(other, term) {
					t.Fatalf("ParseSearch(%q): term %v is implied by %v", query, term, other)
				}
			}
		}
	})
}
