package natsjs_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/sshchat/sshchat/sshchat/natsjs"
)

// validToken reports whether tok is one NATS subject token that is also a
// valid key-value key: no dots, wildcards, whitespace or controls, not empty.
func validToken(tok string) bool {
	if tok == "" {
		return false
	}
	for _, r := range tok {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-'
		if !ok {
			return false
		}
	}
	return true
}

func FuzzTokenRoundTrip(f *testing.F) {
	for _, seed := range []string{"", "lobby", "a.b", "*", ">", "a b", "$SYS", "..", "\x00\xff", "日本語", "#room", strings.Repeat("z", natsjs.MaxNameBytes)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, name string) {
		tok, err := natsjs.EncodeToken(name)
		if len(name) > natsjs.MaxNameBytes {
			if !errors.Is(err, natsjs.ErrNameTooLong) {
				t.Fatalf("EncodeToken(%d bytes) = %q, %v; want ErrNameTooLong", len(name), tok, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("EncodeToken(%q): %v", name, err)
		}
		if !validToken(tok) {
			t.Fatalf("EncodeToken(%q) = %q: not a single plain token", name, tok)
		}
		back, err := natsjs.DecodeToken(tok)
		if err != nil || back != name {
			t.Fatalf("DecodeToken(EncodeToken(%q)) = %q, %v", name, back, err)
		}
		subject, err := natsjs.Subjects{}.Room(name)
		if err != nil {
			t.Fatalf("Room(%q): %v", name, err)
		}
		if got := strings.Count(subject, "."); got != 2 {
			t.Fatalf("Room(%q) = %q: %d dots, want 2", name, subject, got)
		}
		kind, parsed, err := natsjs.Subjects{}.Parse(subject)
		if err != nil || kind != natsjs.KindRoom || parsed != name {
			t.Fatalf("Parse(%q) = %q, %q, %v", subject, kind, parsed, err)
		}
	})
}

// A token can be read back only in the one spelling EncodeToken writes, so
// two subjects never name the same room.
func TestDecodeTokenRefusesForeignSpellings(t *testing.T) {
	good, _ := natsjs.EncodeToken("lobby")
	for _, tok := range []string{"", "a.b", "*", ">", "LOBBY", strings.ToUpper(good), good + "=", "w", "01"} {
		if name, err := natsjs.DecodeToken(tok); err == nil {
			t.Errorf("DecodeToken(%q) = %q, want an error", tok, name)
		}
	}
}

func TestSubjectsParse(t *testing.T) {
	s := natsjs.Subjects{Prefix: "chat"}
	if got := s.All(); got != "chat.>" {
		t.Fatalf("All() = %q", got)
	}
	direct, _ := s.Direct("alice")
	for subject, want := range map[string]string{direct: natsjs.KindDirect, s.Event(): natsjs.KindEvent} {
		if kind, _, err := s.Parse(subject); err != nil || kind != want {
			t.Errorf("Parse(%q) = %q, %v; want %q", subject, kind, err, want)
		}
	}
	for _, bad := range []string{"other.room.x", "chat.room", "chat.room.a.b", "chat.event.x", "chat.nope.x"} {
		if _, _, err := s.Parse(bad); err == nil {
			t.Errorf("Parse(%q): want an error", bad)
		}
	}
}
