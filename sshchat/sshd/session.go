package sshd

import (
	"errors"
	"fmt"
	"io"
	"net"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/charmbracelet/ssh"
	gossh "golang.org/x/crypto/ssh"

	"github.com/sshchat/sshchat/sshchat/chat"
	"github.com/sshchat/sshchat/sshchat/metrics"
)

// session is one person's SSH session carrying one chat member. It has two
// goroutines: the handler's own, which is the writer (it alone writes chat
// output to the client), and a reader started by the writer, which ends
// when the channel closes.
type session struct {
	srv    *Server
	ssh    ssh.Session
	conn   net.Conn
	member *chat.Member
	// requests are the channel's requests, which the writer answers
	// (writeLoop); nil if the channel is not one of sessionChannel's.
	requests *channelRequests

	// writingSince is when the current write to the client began (unix
	// nanoseconds), or 0 between writes; the watchdog reads it.
	writingSince atomic.Int64
}

// Disconnect implements chat.Peer: it closes the TCP connection, which
// unblocks every read and write on it. Closing the SSH channel instead would
// itself be a write, and could block on a client that stopped reading.
func (se *session) Disconnect(string) { se.conn.Close() }

// sessionMiddleware is the outermost handler: it turns an SSH session into
// a chat member. wish's own chain ends in a no-op, so next is not called.
func (s *Server) sessionMiddleware(ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		defer s.recoverPanic("session")
		// The handler owns its channel's requests from the start; when it
		// is done with them (also after a panic) a drain goroutine answers
		// the rest.
		defer requestsOf(sess).release()
		s.handleSession(sess)
	}
}

// handleSession runs one session on the handler's goroutine, which becomes
// the member's writer. The setup (startSession) and the end (endSession)
// are functions of their own so that their frames are gone while the
// session idles: an idle writer's stack is then shallow enough (under a
// quarter of 8 KiB) for the collector to shrink it to 4 KiB after a write
// grew it, 4 KiB less per session (see docs/ARCHITECTURE.md, memory).
func (s *Server) handleSession(sess ssh.Session) {
	ms := s.startSession(sess)
	if ms == nil {
		return
	}
	defer s.endSession(ms)
	ms.run()
	s.sessionEnded(ms)
}

// memberSession is a started chat session: what its end needs.
type memberSession struct {
	se       *session
	st       *ptyState // nil without a pty
	terminal bool
	conn     *guardedConn
	addr     string
	started  time.Time
	closed   func() // the metrics' count of open sessions
}

func (ms *memberSession) run() {
	if ms.terminal {
		ms.se.runTerminal(ms.st)
	} else {
		ms.se.runPlain() // a bot's window changes block nothing (ptyState.changed)
	}
}

// startSession admits the session and joins its member, or ends a session
// that is not a chat session (a one-shot command, a refusal) and returns nil.
func (s *Server) startSession(sess ssh.Session) (ms *memberSession) {
	ctx := sess.Context()
	conn, ok := ctx.Value(connKey{}).(*guardedConn)
	if !ok {
		return nil
	}
	if !conn.sessionStarted() {
		fmt.Fprintf(sess.Stderr(), "sshchat: at most %d sessions per connection\r\n", maxSessionsPerConn)
		_ = sess.Exit(exitFailed)
		return nil
	}
	defer func() {
		if ms == nil { // else endSession does it
			s.connSessionEnded(conn)
		}
	}()
	if sess.Subsystem() != "" {
		fmt.Fprintf(sess.Stderr(), "sshchat: subsystems are not supported\n")
		_ = sess.Exit(exitUsage)
		return
	}

	s.mu.Lock()
	if s.shuttingDown {
		s.mu.Unlock()
		fmt.Fprintf(sess, "The server is shutting down.\r\n")
		return
	}
	s.sessionsWG.Add(1)
	s.mu.Unlock()
	defer func() {
		if ms == nil {
			s.sessionsWG.Done()
		}
	}()

	// Identity comes from the key the client proved it holds, never from
	// values stored during authentication callbacks.
	id := identityOf(sess, conn)
	if admitted, reason := s.hub.Admission(id.Fingerprint, remoteIP(conn.RemoteAddr())); !admitted {
		fmt.Fprintf(sess.Stderr(), "%s\r\n", reason)
		_ = sess.Exit(exitFailed)
		return
	}
	if sess.RawCommand() != "" {
		defer s.metrics.SessionOpened(metrics.SessionExec)()
		s.runExec(sess, conn, id)
		return
	}

	st, isPty := grantedPty(ctx, sess)
	env := environ(sess.Environ())
	term := env["TERM"]
	if isPty {
		term = st.term
	}
	bot := term == "bot" || env["SSHCHAT_BOT"] == "1"
	id.Terminal = isPty && !bot
	id.NoColor = env["NO_COLOR"] != "" || term == "dumb"
	id.TZ = env["TZ"]
	id.Bot = bot
	if isPty {
		id.Width = func() int { w, _ := st.dims(); return w }
	}
	se := &session{srv: s, ssh: sess, conn: conn, requests: requestsOf(sess)}
	m, err := s.hub.Join(id, se)
	if err != nil {
		fmt.Fprintf(sess, "%s\r\n", err)
		return
	}
	se.member = m
	ms = &memberSession{se: se, st: st, terminal: id.Terminal, conn: conn, addr: id.Addr, started: time.Now(),
		closed: s.metrics.SessionOpened(sessionKind(id.Terminal))}
	s.track(se, true)
	s.log.Info("session start", "nick", m.Nick(), "fingerprint", chat.KeyOrGuest(id.Fingerprint),
		"addr", id.Addr, "pty", isPty, "bot", bot, "client", id.ClientVersion)
	return ms
}

// sessionEnded follows a session that ended without a panic.
func (s *Server) sessionEnded(ms *memberSession) {
	m := ms.se.member
	s.hub.SessionEnded(m) // private messages never written are kept for the next login
	if status := removalStatus(m.Removal()); status != exitOK {
		_ = ms.se.ssh.Exit(status) // kicked, banned or flooding: a bot can tell
	}
	s.log.Info("session end", "nick", m.Nick(), "addr", ms.addr,
		"reason", m.LeaveReason(), "duration", time.Since(ms.started).Round(time.Millisecond))
}

// endSession undoes startSession, also after a panic.
func (s *Server) endSession(ms *memberSession) {
	s.hub.Leave(ms.se.member, "session ended")
	s.track(ms.se, false)
	ms.closed()
	s.sessionsWG.Done()
	s.connSessionEnded(ms.conn)
}

// connSessionEnded counts a session of conn as ended.
func (s *Server) connSessionEnded(conn *guardedConn) {
	conn.sessionEnded(s.cfg.HandshakeTimeout, func() {
		s.log.Info("connection idle without a session", "addr", conn.RemoteAddr().String())
	})
}

func (s *Server) track(se *session, add bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if add {
		s.sessions[se] = struct{}{}
	} else {
		delete(s.sessions, se)
	}
}

// sink is where a session's writer puts rendered chat output.
type sink interface {
	// write shows p (whole lines) to the client.
	write(p []byte) error
	// windows delivers the client's window changes; nil if it has none.
	windows() <-chan ssh.Window
	// resize applies a window change.
	resize(ssh.Window) error
	// finish is the last write before the session ends.
	finish()
}

// writeBuffers lends write buffers to session writers: a buffer is held
// only while a write is being built and sent, so a thousand idle sessions
// hold none (memory per session is what limits how many people a server
// carries).
var writeBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// maxPooledBuffer is the largest buffer given back to the pool; a rare
// burst's buffer is left to the garbage collector.
const maxPooledBuffer = 64 << 10

func getBuffer() *[]byte { return writeBuffers.Get().(*[]byte) }

func putBuffer(b *[]byte) {
	if cap(*b) <= maxPooledBuffer {
		*b = (*b)[:0]
		writeBuffers.Put(b)
	}
}

// writeLoop is the member's writer: it waits for queued events, renders
// them once per style (shared with every other recipient) and writes them
// in one go. It returns when the member has left and the outbox is flushed,
// or when a write fails. It also answers the channel's requests (window
// changes; everything else is refused), so that an idle session keeps no
// goroutine for them. While a write blocks it answers none: x/crypto then
// queues up to 16 and stops reading the connection, which hurts only this
// client, whose write blocks only because it stopped reading (the SSH
// window is 2 MiB, writes are 4 KiB pieces), and the watchdog cuts such a
// write after StuckTimeout.
func (se *session) writeLoop(out sink, render func(dst []byte, ev *chat.Event) []byte) {
	m := se.member
	box := m.Outbox()
	var events []*chat.Event
	windows := out.windows()
	reqs := se.requests.stream()
	for {
		final := false
		select {
		case <-box.Ready():
		case w, ok := <-windows:
			if !ok {
				windows = nil // the client's requests ended; the connection follows
				continue
			}
			se.writeStarted()
			err := out.resize(w)
			se.writeEnded()
			if err != nil {
				se.srv.hub.Leave(m, "write failed")
				return
			}
			continue
		case req, ok := <-reqs:
			if !ok {
				reqs = nil // the channel ended; the connection or the session's end follows
				continue
			}
			se.requests.afterStart(req)
			continue
		case <-m.Done():
			final = true
		}
		events = box.Drain(events[:0])
		pooled := getBuffer()
		buf := *pooled
		for _, ev := range events {
			buf = render(buf, ev)
		}
		var err error
		if len(buf) > 0 {
			se.writeStarted()
			err = out.write(buf)
			se.writeEnded()
		}
		*pooled = buf
		putBuffer(pooled)
		if err == nil {
			se.srv.hub.FanoutWritten(m, events) // the fan-out latency histogram
			se.srv.hub.Written(m, events)       // private messages are forgotten only once written
			se.srv.hub.MarkShown(m, events)     // read markers
		}
		clear(events)
		if cap(events) > 64 {
			events = nil
		}
		if err != nil {
			se.srv.hub.Leave(m, "write failed")
			return
		}
		if final {
			se.writeStarted()
			out.finish()
			se.writeEnded()
			return
		}
	}
}

// handle paces and hands one line to the hub. It reports false when the
// member is gone and the reader should stop.
func (se *session) handle(line string, pacing **time.Timer) bool {
	if !se.pace(pacing) {
		return false
	}
	se.srv.hub.Handle(se.member, line)
	select {
	case <-se.member.Done():
		return false
	default:
		return true
	}
}

// inputEnded leaves the hub when the client's input ends: at its end of
// input (eofReason) or because the connection failed.
func (se *session) inputEnded(err error, eofReason string) {
	reason := "connection lost"
	if errors.Is(err, io.EOF) {
		reason = eofReason
	}
	se.srv.hub.LeaveAfterDelivery(se.member, reason)
}

// pace waits before the next line as long as the hub's pacing says, in the
// member's own reader, so nobody else waits. It reports false when the
// member is gone (left, or cut off for flooding).
func (se *session) pace(timer **time.Timer) bool {
	wait, kick := se.srv.hub.Pace(se.member, se.srv.hub.Now())
	if kick {
		return false
	}
	if wait <= 0 {
		return true
	}
	if *timer == nil {
		*timer = time.NewTimer(wait)
	} else {
		(*timer).Reset(wait)
	}
	select {
	case <-(*timer).C:
		return true
	case <-se.member.Done():
		(*timer).Stop()
		return false
	}
}

// writeStarted and writeEnded bracket every write to the client, so the
// watchdog can see one that has been blocked too long. (Plain calls, not a
// wrapper taking a closure: this is on every delivery.)
func (se *session) writeStarted() { se.writingSince.Store(time.Now().UnixNano()) }
func (se *session) writeEnded()   { se.writingSince.Store(0) }

// identityOf is who the session's client is, from its verified key.
func identityOf(sess ssh.Session, conn net.Conn) chat.Identity {
	id := chat.Identity{
		User:          sess.User(),
		Addr:          conn.RemoteAddr().String(),
		ClientVersion: sess.Context().ClientVersion(),
	}
	if key := sess.PublicKey(); key != nil {
		id.Fingerprint = gossh.FingerprintSHA256(key)
	}
	return id
}

// environ turns "KEY=value" pairs into a map; later pairs win.
func environ(pairs []string) map[string]string {
	env := make(map[string]string, len(pairs))
	for _, kv := range pairs {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return env
}

func stack() string { return string(debug.Stack()) }
