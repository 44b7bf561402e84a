package sshd

import (
	"bytes"
	"fmt"
	"os"

	gossh "golang.org/x/crypto/ssh"
)

// writePublicHostKey keeps path+".pub" equal to the host key's public half
// in authorized_keys format, so that an operator can publish it (or turn
// it into a known_hosts line) without reading the private key. It is
// rewritten only when missing or different.
func writePublicHostKey(path string, signer gossh.Signer) error {
	pubPath := path + ".pub"
	line := bytes.TrimSuffix(gossh.MarshalAuthorizedKey(signer.PublicKey()), []byte("\n"))
	want := append(line, " sshchat host key\n"...)
	if have, err := os.ReadFile(pubPath); err == nil && bytes.Equal(have, want) {
		return nil
	}
	tmp := pubPath + ".tmp"
	if err := os.WriteFile(tmp, want, 0o644); err != nil {
		return fmt.Errorf("write public host key: %w", err)
	}
	if err := os.Rename(tmp, pubPath); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write public host key: %w", err)
	}
	return nil
}
