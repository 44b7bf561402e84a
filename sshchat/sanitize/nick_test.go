package sanitize

import (
	"errors"
	"strings"
	"testing"
)

func TestNick(t *testing.T) {
	tests := []struct{ in, want string }{
		{"alice", "alice"},
		{"Alice_Smith-2.0", "Alice_Smith-2.0"},
		{"-.-bob", "bob"},
		{".hidden", "hidden"},
		{"a-.", "a-."},
		{"jöhn doe", "jhndoe"},
		{"\x1b[31mred", "31mred"},
		{"\u202Eevil", "evil"},
		{"root@host", "roothost"},
		{"你好", ""},
		{"", ""},
		{"---", ""},
		{strings.Repeat("x", 30), strings.Repeat("x", MaxNickLen)},
		{"--" + strings.Repeat("y", 30), strings.Repeat("y", MaxNickLen)},
	}
	for _, tt := range tests {
		if got := Nick(tt.in); got != tt.want {
			t.Errorf("Nick(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestValidNick(t *testing.T) {
	valid := []string{"a", "alice", "Bob_2", "x-y.z", "_under", "9lives", strings.Repeat("n", MaxNickLen)}
	for _, s := range valid {
		if err := ValidNick(s); err != nil {
			t.Errorf("ValidNick(%q) = %v, want nil", s, err)
		}
	}
	invalid := []string{"", "-flag", ".dot", "with space", "tab\t", "émile", "a\nb", "\u202Eevil", "x*", strings.Repeat("n", MaxNickLen+1)}
	for _, s := range invalid {
		if err := ValidNick(s); !errors.Is(err, ErrInvalidNick) {
			t.Errorf("ValidNick(%q) = %v, want ErrInvalidNick", s, err)
		}
	}
	if msg := ErrInvalidNick.Error(); !strings.Contains(msg, "1-24") {
		t.Errorf("error text %q does not state the rule", msg)
	}
}

func TestFoldNick(t *testing.T) {
	tests := []struct{ in, want string }{
		{"alice", "alice"},
		{"Alice", "alice"},
		{"ALICE_2-X.Y", "alice_2-x.y"},
		{"", ""},
		{"ÉMILE", "Émile"}, // ASCII only: nicks cannot contain É anyway
	}
	for _, tt := range tests {
		if got := FoldNick(tt.in); got != tt.want {
			t.Errorf("FoldNick(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if FoldNick("Alice") != FoldNick("aLICE") {
		t.Error("case variants fold to different keys")
	}
}
