package sshd

import (
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
	filtered := make(chan *gossh.Request)
	libraryDone := make(chan struct{})
	go func() {
		defer close(libraryDone)
		defer s.recoverPanic("session requests")
		ssh.DefaultSessionHandler(srv, conn, acceptedChannel{NewChannel: newChan, ch: tracked, reqs: filtered}, channelContext{ctx, tracked})
	}()
	s.filterRequests(ctx, g, tracked, reqs, filtered)
	close(filtered)
	<-libraryDone
}

// filterRequests passes the channel's requests that f allows on to out,
// answers the others itself, and returns when the channel's requests end.
// A channel that has not started a shell or command within the handshake
// timeout closes its connection: it only holds resources.
func (s *Server) filterRequests(ctx ssh.Context, g *guardedConn, ch *trackedChannel, in <-chan *gossh.Request, out chan<- *gossh.Request) {
	var f requestFilter
	startBy := time.NewTimer(s.cfg.HandshakeTimeout)
	defer startBy.Stop()
	for {
		var req *gossh.Request
		select {
		case r, ok := <-in:
			if !ok {
				return
			}
			req = r
		case <-startBy.C:
			if !f.started {
				s.log.Info("session channel not started in time", "addr", g.RemoteAddr().String())
				g.Close()
			}
			continue
		}
		f.ended = f.ended || ch.isClosed()
		switch f.decide(req.Type, req.Payload) {
		case forward:
			if f.started {
				startBy.Stop()
			}
			// The library's loop may never take it: a window change can
			// block it once the session stopped draining them.
			select {
			case out <- req:
			case <-ch.done:
				_ = req.Reply(false, nil)
			case <-ctx.Done():
				_ = req.Reply(false, nil)
			}
		case refuseReq:
			_ = req.Reply(false, nil)
		case closeConn:
			_ = req.Reply(false, nil)
			s.log.Warn("connection closed: too many refused requests", "addr", g.RemoteAddr().String(), "type", req.Type)
			g.Close()
		case commandTooLong:
			startBy.Stop()
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
// ended), after which the filter refuses every request.
type trackedChannel struct {
	gossh.Channel
	done      chan struct{} // closed by Close
	closeOnce sync.Once
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
