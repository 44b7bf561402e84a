package chat

import "testing"

func TestMentionsTreatDotsInNicks(t *testing.T) {
	for _, tc := range []struct {
		text string
		want bool
	}{
		{"thanks bob.", true},
		{"bob. you there?", true},
		{"bob.smith: hi", false},
		{"ask jane.bob", false},
		{"...bob...", true},
	} {
		if got := mentions(tc.text, "bob"); got != tc.want {
			t.Errorf("mentions(%q, bob) = %v, want %v", tc.text, got, tc.want)
		}
	}
	if !mentions("hi bob.smith!", "bob.smith") {
		t.Error("a nick with a dot is not found")
	}
}
