package execcmd

import "fmt"

// maxRoomLen is the longest room name, "#" included (chat.MaxRoomLen).
const maxRoomLen = 32

// validRoom checks the syntax of a room name the way chat.ValidRoom does;
// this package may not import chat, so the rule is repeated here and pinned
// by tests.
func validRoom(name string) error {
	ok := len(name) >= 2 && len(name) <= maxRoomLen && name[0] == '#'
	for i := 1; ok && i < len(name); i++ {
		c := name[i]
		ok = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-'
	}
	if !ok {
		return fmt.Errorf("invalid room %s: room names are # and 1-31 letters, digits, _ or -", quote(name))
	}
	return nil
}
