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
	defer func() { s.metrics.Auth("publickey", ok) }() // after recoverAuth settles ok
	defer s.recoverAuth("publickey", &ok)
	if err := checkKeyType(key); err != nil {
		s.log.Info("key refused", "addr", ctx.RemoteAddr().String(), "reason", err.Error())
		return false
	}
	fingerprint := gossh.FingerprintSHA256(key)
	if admitted, reason := s.hub.Admission(fingerprint, remoteIP(ctx.RemoteAddr())); !admitted {
		s.log.Info("key refused", "addr", ctx.RemoteAddr().String(), "fingerprint", fingerprint, "reason", reason)
		// Only to explain the refusal at the next step; identity never
		// comes from here.
		ctx.SetValue(refusalKey{}, reason)
		return false
	}
	return true
}

type refusalKey struct{}

// guestAuth lets people without a key in as guests: a keyboard-interactive
// exchange that asks nothing. Password and "none" authentication stay off.
//
// It is also where a refusal is explained: the SSH protocol has no field
// for why a key was refused, but OpenSSH prints the instruction text of a
// keyboard-interactive request, so a banned or unlisted person reads one
// line saying why before "Permission denied".
func (s *Server) guestAuth(ctx ssh.Context, challenge gossh.KeyboardInteractiveChallenge) (ok bool) {
	defer func() { s.metrics.Auth("keyboard-interactive", ok) }()
	defer s.recoverAuth("keyboard-interactive", &ok)
	reason, refused := ctx.Value(refusalKey{}).(string)
	if !refused {
		var admitted bool
		admitted, reason = s.hub.Admission("", remoteIP(ctx.RemoteAddr()))
		refused = !admitted
	}
	if refused {
		_, _ = challenge("", reason, nil, nil)
		return false
	}
	_, err := challenge("", "", nil, nil)
	return err == nil
}

func (s *Server) recoverAuth(method string, ok *bool) {
	if r := recover(); r != nil {
		s.log.Error("panic recovered", "where", "auth "+method, "panic", fmt.Sprint(r), "stack", stack())
		*ok = false
	}
}
