package sanitize

import "errors"

// MaxRoomLen is the longest room name, "#" included.
const MaxRoomLen = 32

// ErrRoomName says what a room name may be.
var ErrRoomName = errors.New("room names are # and 1-31 letters, digits, _ or -")

// ValidRoom reports whether name is a room name: "#" followed by ASCII
// letters, digits, '_' or '-', at most MaxRoomLen bytes in all. The one
// rule, used by the chat and by the parser of `ssh host COMMAND`.
func ValidRoom(name string) error {
	if len(name) < 2 || len(name) > MaxRoomLen || name[0] != '#' {
		return ErrRoomName
	}
	for _, c := range []byte(name[1:]) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '-':
		default:
			return ErrRoomName
		}
	}
	return nil
}
