package execcmd

import (
	"fmt"

	"github.com/sshchat/sshchat/sshchat/sanitize"
)

// validRoom checks the syntax of a room name with the chat's one rule
// (sanitize.ValidRoom), naming the argument in the error.
func validRoom(name string) error {
	if err := sanitize.ValidRoom(name); err != nil {
		return fmt.Errorf("invalid room %s: %w", quote(name), err)
	}
	return nil
}
