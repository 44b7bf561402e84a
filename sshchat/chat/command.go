package chat

import (
	"fmt"
	"strings"
)

// ParseCommand splits a line that starts with "/" into a lower-case command
// name and its argument text. A line that does not start with "/", or starts
// with "//" (the way to say something that begins with a slash), is not a
// command.
func ParseCommand(line string) (name, args string, ok bool) {
	if !strings.HasPrefix(line, "/") || strings.HasPrefix(line, "//") {
		return "", "", false
	}
	rest := line[1:]
	if i := strings.IndexAny(rest, " \t"); i >= 0 {
		name, args = rest[:i], strings.TrimSpace(rest[i+1:])
	} else {
		name = rest
	}
	return strings.ToLower(name), args, true
}

// splitWord returns the first space-separated word of s and the trimmed
// rest.
func splitWord(s string) (word, rest string) {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		return s[:i], strings.TrimSpace(s[i+1:])
	}
	return s, ""
}

// countArg reads the optional count of command cmd ("/history 100"): def
// when absent, at most most. It shows the usage and reports false when the
// argument is not a positive number.
func (h *Hub) countArg(m *Member, cmd, args string, def, most int) (int, bool) {
	if args == "" {
		return def, true
	}
	var n int
	if _, err := fmt.Sscanf(args, "%d", &n); err != nil || n < 1 {
		h.usage(m, cmd)
		return 0, false
	}
	return min(n, most), true
}
