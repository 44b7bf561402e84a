package sshchat

import (
	"fmt"

	"github.com/charmbracelet/ssh"
	gossh "golang.org/x/crypto/ssh"
)

// publicKeyAuth accepts every key: the key is the person's identity, not a
// password. The identity is read later from the session's verified key
// (Session.PublicKey), never from anything stored during this callback,
// which can run for keys the client only offers (CVE-2024-45337).
func (s *Server) publicKeyAuth(ctx ssh.Context, key ssh.PublicKey) (ok bool) {
	defer s.recoverAuth("publickey", &ok)
	if err := checkKeyType(key); err != nil {
		s.log.Info("key refused", "addr", ctx.RemoteAddr().String(), "reason", err.Error())
		return false
	}
	return true
}

// guestAuth lets people without a key in as guests: a keyboard-interactive
// exchange that asks nothing. Password and "none" authentication stay off.
func (s *Server) guestAuth(_ ssh.Context, challenge gossh.KeyboardInteractiveChallenge) (ok bool) {
	defer s.recoverAuth("keyboard-interactive", &ok)
	_, err := challenge("", "", nil, nil)
	return err == nil
}

func (s *Server) recoverAuth(method string, ok *bool) {
	if r := recover(); r != nil {
		s.log.Error("panic recovered", "where", "auth "+method, "panic", fmt.Sprint(r), "stack", stack())
		*ok = false
	}
}
