package chat

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzParseCommand(f *testing.F) {
	for _, seed := range []string{"/who", "/msg bob hi", "//x", "/", "/ME\tdances", "plain", "/nick \xff", "/\u00e9t\u00e9 x"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, line string) {
		name, args, ok := ParseCommand(line)
		isCommand := strings.HasPrefix(line, "/") && !strings.HasPrefix(line, "//")
		if ok != isCommand {
			t.Fatalf("ParseCommand(%q) ok=%v", line, ok)
		}
		if !ok {
			if name != "" || args != "" {
				t.Fatalf("not a command but name=%q args=%q", name, args)
			}
			return
		}
		if strings.ContainsAny(name, " \t") {
			t.Fatalf("name %q contains a space", name)
		}
		if args != strings.TrimSpace(args) {
			t.Fatalf("args %q not trimmed", args)
		}
		if utf8.ValidString(line) && !utf8.ValidString(name+args) {
			t.Fatalf("valid input gave invalid output")
		}
		if !strings.Contains(strings.ToLower(line), name) {
			t.Fatalf("name %q not from %q", name, line)
		}
	})
}
