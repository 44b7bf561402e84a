package chat

import (
	"fmt"
	"strings"

	"github.com/sshchat/sshchat/sshchat/sanitize"
)

// This file explains, on joining, what happened to a user name that was
// not usable as a nick as it was. Nicks are ASCII on purpose (letters,
// digits, _ - .): other scripts bring look-alike letters ("а" Cyrillic and
// "a" Latin) with which one person could pass for another.

// nickNameNote explains how user became wanted, or "" if it is unchanged
// (or nothing was usable: the welcome says that itself).
func nickNameNote(user, wanted string) string {
	if wanted == "" || user == wanted {
		return ""
	}
	var dropped []string
	seen := map[rune]bool{}
	kept := 0
	cut := false
	for _, r := range user {
		switch {
		case r < 0x80 && nickRune(byte(r)) && !(kept == 0 && (r == '-' || r == '.')):
			kept++
			if kept > sanitize.MaxNickLen {
				cut = true
			}
		case !seen[r] && len(dropped) < 8:
			seen[r] = true
			if r == ' ' {
				dropped = append(dropped, "space")
			} else {
				dropped = append(dropped, fmt.Sprintf("%q", string(r)))
			}
		}
	}
	var why []string
	if len(dropped) > 0 {
		why = append(why, "dropped "+strings.Join(dropped, ", "))
	}
	if cut {
		why = append(why, fmt.Sprintf("cut to %d characters", sanitize.MaxNickLen))
	}
	if len(why) == 0 {
		return ""
	}
	return fmt.Sprintf("Your user name %q became %s (%s): nicks are ASCII letters, digits, _ - . up to %d characters. /nick NAME picks another.",
		sanitize.Truncate(user, 64), wanted, strings.Join(why, "; "), sanitize.MaxNickLen)
}

func nickRune(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.'
}

// guestWelcome tells a guest what they are and what a key would give them.
func guestWelcome(nick string) string {
	return fmt.Sprintf("You have no SSH key, so you are the guest %s. Connect with a key to own a nick, keep your settings and ignore list, and catch up on what you missed.", nick)
}
