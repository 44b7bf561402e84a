package sshd

import (
	gossh "golang.org/x/crypto/ssh"
)

// Bounds on what a client may send on one session channel. charmbracelet/ssh
// v1 bounds none of this itself (it appended every env request to a slice:
// a guest grew a server to 2.5 GiB), so every request passes through a
// requestFilter before the library sees it.
const (
	maxEnvRequests = 64        // env variables kept per session
	maxEnvName     = 64        // bytes of one variable's name
	maxEnvValue    = 1 << 10   // bytes of one variable's value
	maxEnvBytes    = 16 << 10  // bytes of all of a session's variables
	maxPtyPayload  = 8 << 10   // a pty-req: terminal name and modes
	maxWindowReq   = 64        // a window-change is 16 bytes
	maxEarlyReqs   = 128       // requests forwarded before shell or exec
	maxRefusedReqs = 256       // refused requests, then the connection is closed
	maxCommand     = 2 << 10   // bytes of an exec command, checked before it is split into words
	maxReqPayload  = 256 << 10 // x/crypto's own packet limit; here for the fuzz target's sake
)

// verdict is what happens to one channel request.
type verdict int

const (
	forward        verdict = iota // pass it on to the library
	refuseReq                     // answer false; the library never sees it
	closeConn                     // too many refused: close the connection
	commandTooLong                // an exec over maxCommand: answer it with an error and exit status 2
)

// requestFilter decides, request by request, what a session channel's
// client may ask for: a pty, a bounded environment, a window size, then
// one shell or one command. Everything else (agent or X11 forwarding,
// subsystems, signals, a second shell, env after the start, anything at
// all after the session ended) is refused without reaching the library,
// and a client that keeps sending refused requests loses its connection.
// It does no I/O and costs O(size of the request's header) per request.
type requestFilter struct {
	envCount, envBytes int
	early              int // requests forwarded before the start
	refused            int
	pty                bool
	started            bool
	ended              bool // the server closed the channel: refuse everything
}

func (f *requestFilter) decide(typ string, payload []byte) verdict {
	v := f.classify(typ, payload)
	if v == refuseReq {
		f.refused++
		if f.refused > maxRefusedReqs {
			return closeConn
		}
		return v
	}
	if v == forward && !f.started {
		f.early++
	}
	switch typ {
	case "shell", "exec":
		f.started = true
	}
	return v
}

func (f *requestFilter) classify(typ string, payload []byte) verdict {
	if f.ended {
		return refuseReq
	}
	if !f.started && f.early >= maxEarlyReqs {
		return refuseReq
	}
	switch typ {
	case "env":
		if f.started || f.envCount >= maxEnvRequests {
			return refuseReq
		}
		var kv struct{ Key, Value string }
		if len(payload) > maxEnvName+maxEnvValue+8 || gossh.Unmarshal(payload, &kv) != nil {
			return refuseReq
		}
		size := len(kv.Key) + len(kv.Value)
		if kv.Key == "" || len(kv.Key) > maxEnvName || len(kv.Value) > maxEnvValue || f.envBytes+size > maxEnvBytes {
			return refuseReq
		}
		f.envCount++
		f.envBytes += size
		return forward
	case "pty-req":
		if f.started || f.pty || len(payload) > maxPtyPayload {
			return refuseReq
		}
		f.pty = true
		return forward
	case "window-change":
		if !f.pty || len(payload) > maxWindowReq {
			return refuseReq
		}
		return forward
	case "shell":
		if f.started {
			return refuseReq
		}
		return forward
	case "exec":
		if f.started {
			return refuseReq
		}
		// The command is one SSH string: a 4-byte length, then the bytes.
		// Its length is read from the header alone, so that a 250 KB
		// command costs nothing before it is turned away.
		if len(payload) < 4 {
			return refuseReq
		}
		n := uint64(payload[0])<<24 | uint64(payload[1])<<16 | uint64(payload[2])<<8 | uint64(payload[3])
		if n != uint64(len(payload)-4) {
			return refuseReq
		}
		if n > maxCommand {
			return commandTooLong
		}
		return forward
	}
	// auth-agent-req@openssh.com, x11-req, subsystem, signal, break,
	// eow@openssh.com and anything unknown: sshchat uses none of them.
	return refuseReq
}
