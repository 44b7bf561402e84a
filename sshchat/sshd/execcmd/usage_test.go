package execcmd

import (
	"strings"
	"testing"
)

func TestUsageListsEveryCommand(t *testing.T) {
	u := Usage()
	if !strings.HasSuffix(u, "\n") || strings.Count(u, "\n") < 5 {
		t.Fatalf("Usage() is not multi-line text ending in a newline:\n%s", u)
	}
	for k := Who; k <= Help; k++ {
		if !strings.Contains(u, "\n  "+k.String()) {
			t.Errorf("Usage() does not list %s:\n%s", k, u)
		}
	}
	for _, s := range []string{"--json", "-n N", "#room", "1-1000"} {
		if !strings.Contains(u, s) {
			t.Errorf("Usage() does not mention %q", s)
		}
	}
	t.Logf("\n%s", u)
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{Who: "who", Say: "say", Tail: "tail", History: "history", Help: "help", 0: "Kind(0)", 9: "Kind(9)"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", int(k), got, want)
		}
	}
}
