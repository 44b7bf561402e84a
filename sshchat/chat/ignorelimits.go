package chat

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/sshchat/sshchat/sshchat/sanitize"
)

// MaxIgnored is how many people one session may ignore: more than anyone
// needs by hand, and it bounds the set every delivery to them consults.
const MaxIgnored = 100

// fingerprintPrefix starts every key fingerprint: "SHA256:" then the
// unpadded base64 of 32 bytes (43 characters), as OpenSSH prints it.
const fingerprintPrefix = "SHA256:"

// ValidFingerprint reports whether s is written like an SSH key
// fingerprint.
func ValidFingerprint(s string) bool {
	rest, ok := strings.CutPrefix(s, fingerprintPrefix)
	if !ok || len(rest) != base64.RawStdEncoding.EncodedLen(32) {
		return false
	}
	sum, err := base64.RawStdEncoding.Strict().DecodeString(rest)
	return err == nil && len(sum) == 32
}

// checkIgnoreTarget refuses an /ignore argument that names nobody who
// could exist: a malformed fingerprint or a nick nobody could have.
func checkIgnoreTarget(arg string) (refusal string) {
	if strings.HasPrefix(arg, fingerprintPrefix) {
		if !ValidFingerprint(arg) {
			return fmt.Sprintf("Not ignored: %s is not a key fingerprint (SHA256: and 43 characters, as ssh-keygen -l prints).",
				sanitize.Truncate(arg, 60))
		}
		return ""
	}
	if err := sanitize.ValidNick(arg); err != nil {
		return "Not ignored: " + err.Error() + "."
	}
	return ""
}

// ignoreListFullText refuses a new entry once the key ignores MaxIgnored
// people (checked in editIgnored, with every change of the key's sessions
// seen).
var ignoreListFullText = fmt.Sprintf("Not ignored: you already ignore %d people, the limit. /unignore someone first.", MaxIgnored)
