package sshd

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/charmbracelet/ssh"
	gossh "golang.org/x/crypto/ssh"
)

// maxChannelsPerConn bounds the session channels one connection may hold
// open, started or not. It is above maxSessionsPerConn so that a fifth
// session still gets its one-line answer; beyond it the channel open
// itself is refused. Without it, 20,000 channels opened in 1.4 s held
// 20,019 goroutines for as long as one chat session stayed open.
const maxChannelsPerConn = 8

// sessionChannel replaces the library's handler of "session" channel opens:
// it counts the channel against the connection, accepts it, and passes the
// library a channel whose request stream went through a requestFilter.
//
// The library's request loop (DefaultSessionHandler) runs only until the
// session starts: the filter forwards it the requests that set the session
// up (env, pty-req, then shell or exec) and then ends its stream, and from
// then on answers every request itself (window changes go straight to the
// session's ptyState). So an idle session costs one goroutine here, the
// filter, instead of the filter and the library's loop.
func (s *Server) sessionChannel(srv *ssh.Server, conn *gossh.ServerConn, newChan gossh.NewChannel, ctx ssh.Context) {
	defer s.recoverPanic("session channel")
	g, ok := ctx.Value(connKey{}).(*guardedConn)
	if !ok {
		_ = newChan.Reject(gossh.ConnectionFailed, "sshchat: no connection")
		return
	}
	// The first channel establishes the connection: it leaves the
	// startups and counts against the caps of established connections.
	if ok, why := s.limiter.establish(g.slot); !ok {
		s.log.Info("channel refused", "addr", g.RemoteAddr().String(), "reason", why)
		_ = newChan.Reject(gossh.Prohibited, "sshchat: "+why+", try again later")
		return
	}
	if !g.channelOpened() {
		_ = newChan.Reject(gossh.ResourceShortage, fmt.Sprintf("sshchat: at most %d channels per connection", maxChannelsPerConn))
		return
	}
	defer g.channelClosed()
	ch, reqs, err := newChan.Accept()
	if err != nil {
		return
	}
	tracked := &trackedChannel{Channel: ch, done: make(chan struct{})}
	lib := &libraryLoop{reqs: make(chan *gossh.Request), done: make(chan struct{})}
	go func() {
		defer close(lib.done)
		defer s.recoverPanic("session requests")
		ssh.DefaultSessionHandler(srv, conn, acceptedChannel{NewChannel: newChan, ch: tracked, reqs: lib.reqs}, channelContext{ctx, tracked})
	}()
	s.filterRequests(ctx, g, tracked, reqs, lib)
	lib.end()
	lib.wait()
}

// libraryLoop is the library's request loop for one channel, fed by the
// filter until the session starts.
type libraryLoop struct {
	reqs  chan *gossh.Request // unbuffered: a send returns once the loop took it
	done  chan struct{}       // closed when the loop has returned
	ended bool                // reqs is closed; only the filter's goroutine reads or sets it
}

// end closes the loop's request stream (once); the loop returns after the
// requests it already took.
func (l *libraryLoop) end() {
	if !l.ended {
		l.ended = true
		close(l.reqs)
	}
}

// wait waits for the loop to return, then lets its channels go: the
// filter keeps l for the rest of a session that may last for days.
func (l *libraryLoop) wait() {
	if l.done != nil {
		<-l.done
		l.done, l.reqs = nil, nil
	}
}

// filterRequests passes the channel's requests that f allows on to the
// library's loop until the session starts, answers the others itself
// (window changes it applies to the session's ptyState), and returns when
// the channel's requests end. A channel that has not started a shell or
// command within the handshake timeout closes its connection: it only
// holds resources.
func (s *Server) filterRequests(ctx ssh.Context, g *guardedConn, ch *trackedChannel, in <-chan *gossh.Request, lib *libraryLoop) {
	var f requestFilter
	startBy := &startDeadline{t: time.NewTimer(s.cfg.HandshakeTimeout)}
	defer startBy.stop()
	for {
		var req *gossh.Request
		select {
		case r, ok := <-in:
			if !ok {
				return
			}
			req = r
		case <-startBy.c():
			if !f.started {
				s.log.Info("session channel not started in time", "addr", g.RemoteAddr().String())
				g.Close()
			}
			continue
		}
		f.ended = f.ended || ch.isClosed()
		switch f.decide(req.Type, req.Payload) {
		case forward:
			switch req.Type {
			case "window-change":
				// Never the library's: its loop blocks on a window change
				// nobody drains, and it has ended once the session runs.
				w, ok := parseWindow(req.Payload)
				if ok && ch.pty != nil {
					ch.pty.changed(w)
				}
				_ = req.Reply(ok, nil)
				continue
			case "pty-req":
				// The session's terminal state, made here so that window
				// changes have somewhere to go from now on; ptyRequest
				// takes it over (ptyStateOf).
				w, _ := parsePtyWindow(req.Payload)
				ch.pty = newPtyState(w)
			}
			if f.started {
				startBy.stop()
			}
			if lib.ended { // a request that sets up a session that is set up
				_ = req.Reply(false, nil)
				continue
			}
			select {
			case lib.reqs <- req:
			case <-ch.done:
				_ = req.Reply(false, nil)
			case <-ctx.Done():
				_ = req.Reply(false, nil)
			}
			if f.started {
				// The shell or command was the library's last request:
				// its loop starts the session and returns.
				lib.end()
				select {
				case <-lib.done:
					lib.wait() // returns at once
				case <-ctx.Done():
				}
			}
		case refuseReq:
			_ = req.Reply(false, nil)
		case closeConn:
			_ = req.Reply(false, nil)
			s.log.Warn("connection closed: too many refused requests", "addr", g.RemoteAddr().String(), "type", req.Type)
			g.Close()
		case commandTooLong:
			startBy.stop()
			f.ended = true
			s.log.Info("command refused: too long", "addr", g.RemoteAddr().String(), "bytes", len(req.Payload)-4)
			_ = req.Reply(true, nil)
			fmt.Fprintf(ch.Stderr(), "sshchat: command too long (%d bytes; at most %d)\n", len(req.Payload)-4, maxCommand)
			status := struct{ Status uint32 }{exitUsage}
			_, _ = ch.SendRequest("exit-status", false, gossh.Marshal(&status))
			_ = ch.Close()
		}
	}
}

// startDeadline is the time a session channel has to start a shell or a
// command. Its timer is dropped once stopped, so that the filter keeps no
// timer for the rest of a session that may last for days.
type startDeadline struct{ t *time.Timer }

// c is the timer's channel; nil (never ready) once stopped.
func (d *startDeadline) c() <-chan time.Time {
	if d.t == nil {
		return nil
	}
	return d.t.C
}

func (d *startDeadline) stop() {
	if d.t != nil {
		d.t.Stop()
		d.t = nil
	}
}

// channelOpened counts a new channel, or reports false when the connection
// already holds maxChannelsPerConn.
func (c *guardedConn) channelOpened() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.channels >= maxChannelsPerConn {
		return false
	}
	c.channels++
	return true
}

func (c *guardedConn) channelClosed() {
	c.mu.Lock()
	c.channels--
	c.mu.Unlock()
}

// trackedChannel notes that the server closed the channel (the session
// ended), after which the filter refuses every request. It also carries
// the session's ptyState from the filter to ptyRequest.
type trackedChannel struct {
	gossh.Channel
	done      chan struct{} // closed by Close
	closeOnce sync.Once
	// pty is set by the filter before it forwards the pty-req, so the
	// library's goroutine reads it after (the forwarding is a channel send).
	pty *ptyState
}

// ptyStateRequest is never sent: trackedChannel answers it itself with its
// ptyState. The library's session hides the channel it embeds, and its
// SendRequest is the channel's own; this is how ptyRequest, which gets
// only the library's session, finds the state of its channel.
const ptyStateRequest = "pty-state@sshchat.invalid"

// ptyHandoff carries a ptyState out of SendRequest, as its error.
type ptyHandoff struct{ st *ptyState }

func (*ptyHandoff) Error() string { return "sshchat: pty state handed over in-process" }

func (c *trackedChannel) SendRequest(name string, wantReply bool, payload []byte) (bool, error) {
	if name == ptyStateRequest {
		return false, &ptyHandoff{st: c.pty}
	}
	return c.Channel.SendRequest(name, wantReply, payload)
}

// ptyStateOf returns the ptyState the filter made for sess's channel, or
// nil if sess's channel is not a trackedChannel.
func ptyStateOf(sess ssh.Session) *ptyState {
	_, err := sess.SendRequest(ptyStateRequest, false, nil)
	var h *ptyHandoff
	if errors.As(err, &h) {
		return h.st
	}
	return nil
}

// parseWindow reads a window-change payload: columns, rows, and the two
// pixel sizes, as uint32 (RFC 4254 6.7).
func parseWindow(p []byte) (ssh.Window, bool) {
	if len(p) < 16 {
		return ssh.Window{}, false
	}
	u := func(b []byte) int { return int(binary.BigEndian.Uint32(b)) }
	return ssh.Window{Width: u(p), Height: u(p[4:]), WidthPixels: u(p[8:]), HeightPixels: u(p[12:])}, true
}

// parsePtyWindow reads the size in a pty-req payload: the terminal name
// (an SSH string), then the window as in a window-change (RFC 4254 6.2).
func parsePtyWindow(p []byte) (ssh.Window, bool) {
	if len(p) < 4 {
		return ssh.Window{}, false
	}
	n := uint64(binary.BigEndian.Uint32(p))
	if n > uint64(len(p)-4) {
		return ssh.Window{}, false
	}
	return parseWindow(p[4+n:])
}

func (c *trackedChannel) Close() error {
	c.closeOnce.Do(func() { close(c.done) })
	return c.Channel.Close()
}

func (c *trackedChannel) isClosed() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// acceptedChannel hands the library a channel this server already
// accepted, with the filtered request stream.
type acceptedChannel struct {
	gossh.NewChannel
	ch   gossh.Channel
	reqs <-chan *gossh.Request
}

func (a acceptedChannel) Accept() (gossh.Channel, <-chan *gossh.Request, error) {
	return a.ch, a.reqs, nil
}

func (a acceptedChannel) Reject(gossh.RejectionReason, string) error {
	return errors.New("channel already accepted")
}

// guardProtocol makes the server take only what sshchat uses: session
// channels, through sessionChannel; no other channel type (direct-tcpip,
// x11, auth agent), no global request (tcpip-forward and the like are
// answered false) and no port forwarding of either kind.
func (s *Server) guardProtocol(srv *ssh.Server) {
	srv.ChannelHandlers = map[string]ssh.ChannelHandler{"session": s.sessionChannel}
	srv.RequestHandlers = map[string]ssh.RequestHandler{}
	srv.LocalPortForwardingCallback = func(ssh.Context, string, uint32) bool { return false }
	srv.ReversePortForwardingCallback = func(ssh.Context, string, uint32) bool { return false }
}
