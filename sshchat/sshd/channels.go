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
// up (env, pty-req, then shell or exec) and then ends its stream, and hands
// the channel's requests to the session's handler (channelRequests), whose
// writer answers them (window changes go straight to the session's
// ptyState). So an idle session keeps no goroutine here: neither the
// filter nor the library's loop.
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
	handedOff := false
	defer func() {
		if !handedOff { // else the requests' last owner does (channelRequests.drain)
			g.channelClosed()
		}
	}()
	ch, reqs, err := newChan.Accept()
	if err != nil {
		return
	}
	tracked := &trackedChannel{Channel: ch, done: make(chan struct{})}
	tracked.requests = &channelRequests{srv: s, g: g, ch: tracked, in: reqs}
	lib := &libraryLoop{reqs: make(chan *gossh.Request), done: make(chan struct{})}
	go func() {
		defer close(lib.done)
		defer s.recoverPanic("session requests")
		ssh.DefaultSessionHandler(srv, conn, acceptedChannel{NewChannel: newChan, ch: tracked, reqs: lib.reqs}, channelContext{ctx, tracked})
	}()
	handedOff = s.filterRequests(ctx, tracked.requests, lib)
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

// filterRequests passes the channel's requests that the filter allows on
// to the library's loop until the session starts, and answers the others
// itself (window changes it applies to the session's ptyState). Once the
// shell or command reached the library's loop, whose handler takes the
// requests over, it returns true. Otherwise (the start never came, or the
// channel or connection closed before the library took it) it answers
// every request until the channel's requests end and returns false. A
// channel that has not started a shell or command within the handshake
// timeout closes its connection: it only holds resources.
func (s *Server) filterRequests(ctx ssh.Context, r *channelRequests, lib *libraryLoop) (handedOff bool) {
	f, ch, g := &r.f, r.ch, r.g
	startBy := &startDeadline{t: time.NewTimer(s.cfg.HandshakeTimeout)}
	defer startBy.stop()
	for {
		var req *gossh.Request
		select {
		case rq, ok := <-r.in:
			if !ok {
				return false
			}
			req = rq
		case <-startBy.c():
			if !f.started {
				s.log.Info("session channel not started in time", "addr", g.RemoteAddr().String())
				g.Close()
			}
			continue
		}
		if f.started { // a start the library never took, or an exec refused as too long
			r.afterStart(req)
			continue
		}
		f.ended = f.ended || ch.isClosed()
		switch f.decide(req.Type, req.Payload) {
		case forward:
			switch req.Type {
			case "window-change":
				// Never the library's: its loop blocks on a window change
				// nobody drains, and it has ended once the session runs.
				r.windowChange(req)
				continue
			case "pty-req":
				// The session's terminal state, made here so that window
				// changes have somewhere to go from now on; ptyRequest
				// takes it over (ptyStateOf).
				w, _ := parsePtyWindow(req.Payload)
				ch.pty = newPtyState(w)
			}
			start := f.started // the shell or command; f is the handler's once it is sent
			if start {
				startBy.stop()
			}
			select {
			case lib.reqs <- req:
				if start {
					// The shell or command was the library's last request:
					// its loop starts the session's handler, which owns the
					// requests from now on, and returns.
					lib.end()
					select {
					case <-lib.done:
					case <-ctx.Done():
					}
					return true
				}
			case <-ch.done:
				_ = req.Reply(false, nil)
			case <-lib.done: // the library's loop returned early (a recovered panic)
				_ = req.Reply(false, nil)
			case <-ctx.Done():
				_ = req.Reply(false, nil)
			}
			if start { // the library did not take the start: no handler runs
				lib.end()
			}
		case refuseReq:
			_ = req.Reply(false, nil)
		case closeConn:
			r.tooManyRefused(req)
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
// the session's ptyState from the filter to ptyRequest, and the channel's
// requests from the filter to the session's handler.
type trackedChannel struct {
	gossh.Channel
	done      chan struct{} // closed by Close
	closeOnce sync.Once
	// pty is set by the filter before it forwards the pty-req, so the
	// library's goroutine reads it after (the forwarding is a channel send).
	pty *ptyState
	// requests is set before the library's loop starts; the session's
	// handler takes it over (requestsOf) once the filter returned.
	requests *channelRequests
}

// channelRequest is never sent: trackedChannel answers it itself with
// itself. The library's session hides the channel it embeds, and its
// SendRequest is the channel's own; this is how ptyRequest and the session
// handler, which get only the library's session, find their channel's
// ptyState and requests.
const channelRequest = "channel@sshchat.invalid"

// channelHandoff carries a trackedChannel out of SendRequest, as its error.
type channelHandoff struct{ ch *trackedChannel }

func (*channelHandoff) Error() string { return "sshchat: channel handed over in-process" }

func (c *trackedChannel) SendRequest(name string, wantReply bool, payload []byte) (bool, error) {
	if name == channelRequest {
		return false, &channelHandoff{ch: c}
	}
	return c.Channel.SendRequest(name, wantReply, payload)
}

// trackedOf returns sess's channel, or nil if it is not a trackedChannel.
func trackedOf(sess ssh.Session) *trackedChannel {
	_, err := sess.SendRequest(channelRequest, false, nil)
	var h *channelHandoff
	if errors.As(err, &h) {
		return h.ch
	}
	return nil
}

// ptyStateOf returns the ptyState the filter made for sess's channel, or
// nil if sess's channel is not a trackedChannel.
func ptyStateOf(sess ssh.Session) *ptyState {
	if ch := trackedOf(sess); ch != nil {
		return ch.pty
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
