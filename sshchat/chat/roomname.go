package chat

import (
	"strings"

	"github.com/sshchat/sshchat/sshchat/sanitize"
)

// MaxRoomLen is the longest room name, "#" included.
const MaxRoomLen = sanitize.MaxRoomLen

// ValidRoom reports whether name is a room name (sanitize.ValidRoom).
func ValidRoom(name string) error { return sanitize.ValidRoom(name) }

// FoldRoom is the case-insensitive key of a room name.
func FoldRoom(name string) string { return strings.ToLower(name) }
