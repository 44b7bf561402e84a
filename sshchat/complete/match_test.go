package complete

import "testing"

func TestHasPrefixFold(t *testing.T) {
	for _, tc := range []struct {
		s, prefix string
		want      bool
	}{
		{"Alice", "", true},
		{"Alice", "al", true},
		{"Alice", "ALICE", true},
		{"Alice", "alicex", false},
		{"Łukasz", "łU", true},
		{"Kelvin", "\u212a", true},  // KELVIN SIGN folds to k
		{"straße", "STRASS", false}, // simple folding only: ß is not "ss"
		{"a\xffb", "A\xff", true},   // invalid bytes compare as U+FFFD
		{"", "a", false},
	} {
		if got := hasPrefixFold(tc.s, tc.prefix); got != tc.want {
			t.Errorf("hasPrefixFold(%q, %q) = %v, want %v", tc.s, tc.prefix, got, tc.want)
		}
	}
}

func TestFilter(t *testing.T) {
	got := filter([]string{"#b", "a", "#A", "a", "", "c d", "e\x07"}, "", "#")
	want := []string{"A", "a", "b"}
	if len(got) != len(want) {
		t.Fatalf("filter = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("filter = %q, want %q", got, want)
		}
	}
}
