package sshd

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
	if admitted, reason := s.limitsAdmit(ctx); !admitted {
		s.log.Info("key refused", "addr", ctx.RemoteAddr().String(), "fingerprint", fingerprint, "reason", reason)
		ctx.SetValue(refusalKey{}, reason)
		return false
	}
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

// refusalShownKey marks a connection whose client was already told why it
// is refused.
type refusalShownKey struct{}

// limitsAdmit checks the caps on established connections at
// authentication, where the client can still be told why it is refused:
// the server full, or the person's address over its cap. The connection
// is counted only when it opens its first channel (sessionChannel).
func (s *Server) limitsAdmit(ctx ssh.Context) (ok bool, reason string) {
	g, found := ctx.Value(connKey{}).(*guardedConn)
	if !found {
		return true, ""
	}
	ok, why := s.limiter.admissible(g.ip)
	if ok {
		return true, ""
	}
	if ctx.Value(refusalShownKey{}) == nil {
		s.metrics.ConnRefused(refusalReason(why)) // once per connection
	}
	switch why {
	case whyServerFull:
		return false, "The server is full, try again later."
	case whyTooManyConn:
		return false, fmt.Sprintf("Too many connections from your address (at most %d), try again later.", s.cfg.MaxConnsPerIP)
	}
	return false, why + "."
}

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
		if admitted, reason = s.limitsAdmit(ctx); admitted {
			admitted, reason = s.hub.Admission("", remoteIP(ctx.RemoteAddr()))
		}
		refused = !admitted
	}
	if refused {
		// OpenSSH tries keyboard-interactive up to three times: the reason
		// is shown at the first and the others fail silently.
		if ctx.Value(refusalShownKey{}) == nil {
			ctx.SetValue(refusalShownKey{}, true)
			_, _ = challenge("", reason, nil, nil)
		}
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
