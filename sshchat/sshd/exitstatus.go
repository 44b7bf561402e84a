package sshd

import "github.com/sshchat/sshchat/sshchat/chat"

// Exit statuses of a session the chat ended, so that a bot can tell being
// thrown out from leaving (0) or failing (1, 2: see exec.go). A client
// that does not read in time is cut off without any status (OpenSSH then
// exits 255).
const (
	exitKicked  = 3
	exitBanned  = 4
	exitFlooded = 5
)

// removalStatus is the exit status for why the chat ended a session.
func removalStatus(r chat.Removal) int {
	switch r {
	case chat.Kicked:
		return exitKicked
	case chat.Banned:
		return exitBanned
	case chat.Flooded:
		return exitFlooded
	case chat.RoomRemoved:
		// A tail of a room that no longer exists: as starting one fails.
		return exitFailed
	}
	return exitOK
}
