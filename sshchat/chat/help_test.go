package chat

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestWrapWordsBreaksAtSpacesOnly(t *testing.T) {
	text := "  People: /msg NICK TEXT  /reply TEXT  /who  /whois NICK  /ignore [NICK]  /unignore NICK"
	for _, width := range []int{75, 35, 20} {
		got := wrapWords(text, width, 4)
		if strings.Join(strings.Fields(strings.Join(got, " ")), " ") != strings.Join(strings.Fields(text), " ") {
			t.Errorf("width %d: words changed: %q", width, got)
		}
		for i, l := range got {
			if utf8.RuneCountInString(l) > width {
				t.Errorf("width %d: line %q is too long", width, l)
			}
			if i > 0 && !strings.HasPrefix(l, "    ") {
				t.Errorf("width %d: continuation %q not indented", width, l)
			}
		}
	}
	if got := wrapWords(strings.Repeat("x", 40), 16, 2); len(got) != 3 || got[0] != strings.Repeat("x", 16) {
		t.Errorf("a long word: %q", got)
	}
}
