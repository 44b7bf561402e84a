package sshd

import (
	"github.com/charmbracelet/ssh"
	gossh "golang.org/x/crypto/ssh"
)

// channelRequests is a session channel's request stream and what its
// requestFilter has counted so far. It has one owner at a time, each
// handing it to the next, so none of its fields needs a lock:
//
//  1. the channel's filter goroutine (filterRequests), until the shell or
//     command starts: it bounds env, pty-req and exec and feeds the
//     library's request loop, then returns;
//  2. the session handler's goroutine (the start request, sent to the
//     library's loop, starts it): its writer serves the requests in its
//     own select (writeLoop), so an idle session keeps no goroutine for
//     them;
//  3. when the handler is done with them (its end, or at once for a
//     one-shot command that has no writer), a drain goroutine that
//     answers what is left until the channel's requests end, and then
//     counts the channel as closed.
//
// After the start every owner applies the same rules, afterStart.
type channelRequests struct {
	srv *Server
	g   *guardedConn
	ch  *trackedChannel
	in  <-chan *gossh.Request
	f   requestFilter
	// released: a drain goroutine owns the requests; only the handler's
	// goroutine reads or sets it.
	released bool
}

// afterStart answers one request that came after the session started: a
// window change goes to the session's ptyState (never blocking), anything
// else is refused, and a client that keeps sending refused requests loses
// its connection. It does no blocking I/O beyond the reply.
func (r *channelRequests) afterStart(req *gossh.Request) {
	r.f.ended = r.f.ended || r.ch.isClosed()
	switch r.f.decide(req.Type, req.Payload) {
	case forward:
		if req.Type == "window-change" { // after the start, the only request let through
			r.windowChange(req)
			return
		}
		_ = req.Reply(false, nil)
	case closeConn:
		r.tooManyRefused(req)
	default: // refuseReq; commandTooLong cannot come after the start
		_ = req.Reply(false, nil)
	}
}

// windowChange applies a window change the filter let through.
func (r *channelRequests) windowChange(req *gossh.Request) {
	w, ok := parseWindow(req.Payload)
	if ok && r.ch.pty != nil {
		r.ch.pty.changed(w)
	}
	_ = req.Reply(ok, nil)
}

func (r *channelRequests) tooManyRefused(req *gossh.Request) {
	_ = req.Reply(false, nil)
	r.srv.log.Warn("connection closed: too many refused requests", "addr", r.g.RemoteAddr().String(), "type", req.Type)
	r.g.Close()
}

// stream is the request stream for the writer's select: nil (never
// ready) for a session that is not one of sessionChannel's.
func (r *channelRequests) stream() <-chan *gossh.Request {
	if r == nil {
		return nil
	}
	return r.in
}

// release hands the requests to a drain goroutine, once; the handler's
// goroutine calls it when its writer no longer serves them. Until the
// channel's requests end someone must read them: x/crypto queues a
// channel's requests in a buffer of 16, and a full one stops the whole
// connection's reading.
func (r *channelRequests) release() {
	if r == nil || r.released {
		return
	}
	r.released = true
	go r.drain()
}

// drain answers the requests left after the session's writer, until the
// channel's requests end (the channel closed, or the connection), then
// counts the channel as closed.
func (r *channelRequests) drain() {
	defer r.g.channelClosed()
	defer r.srv.recoverPanic("session requests")
	for req := range r.in {
		r.afterStart(req)
	}
}

// requestsOf returns the requests of sess's channel, which the session
// handler owns from its start; nil if sess's channel is not one of
// sessionChannel's.
func requestsOf(sess ssh.Session) *channelRequests {
	if ch := trackedOf(sess); ch != nil {
		return ch.requests
	}
	return nil
}
