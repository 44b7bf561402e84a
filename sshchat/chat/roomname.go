package chat

import (
	"errors"
	"strings"
)

// MaxRoomLen is the longest room name, "#" included.
const MaxRoomLen = 32

var errRoomName = errors.New("room names are # and 1-31 letters, digits, _ or -")

// ValidRoom reports whether name is a room name: "#" followed by ASCII
// letters, digits, '_' or '-', at most MaxRoomLen bytes in all.
func ValidRoom(name string) error {
	if len(name) < 2 || len(name) > MaxRoomLen || name[0] != '#' {
		return errRoomName
	}
	for _, c := range []byte(name[1:]) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '-':
		default:
			return errRoomName
		}
	}
	return nil
}

// FoldRoom is the case-insensitive key of a room name.
func FoldRoom(name string) string { return strings.ToLower(name) }
