package sshd

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/charmbracelet/ssh"

	"github.com/sshchat/sshchat/sshchat/chat"
	"github.com/sshchat/sshchat/sshchat/sshd/execcmd"
)

// Exit statuses of one-shot commands.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
)

// runExec serves `ssh host COMMAND ...` for scripts: who, say, tail and
// history, with an exit status that says how it went.
func (s *Server) runExec(sess ssh.Session, conn net.Conn, id chat.Identity) {
	cmd, err := execcmd.Parse(sess.Command())
	if err != nil {
		fmt.Fprintf(sess.Stderr(), "sshchat: %s\n\n%s", err, execcmd.Usage())
		_ = sess.Exit(exitUsage)
		return
	}
	s.log.Info("one-shot", "command", cmd.Kind.String(), "fingerprint", chat.KeyOrGuest(id.Fingerprint), "addr", id.Addr)
	if cmd.Kind != execcmd.Tail {
		// No writer loop answers this command's requests (a tail's does):
		// a drain goroutine does, for the short while the command runs.
		requestsOf(sess).release()
	}
	// The watchdog sees chat sessions and tails only: these writes are
	// guarded here (a history in JSON can be several MiB, past the window
	// of a client that stopped reading).
	out := &stuckGuard{w: sess, conn: conn, timeout: s.cfg.StuckTimeout}
	status := exitOK
	switch cmd.Kind {
	case execcmd.Help:
		io.WriteString(out, execcmd.Usage())
	case execcmd.Who:
		var buf []byte
		for _, w := range s.hub.Who() {
			line := w.Nick + "\t" + w.Room
			if w.Away != "" {
				line += "\taway: " + w.Away
			}
			buf = append(append(buf, line...), '\n')
		}
		if _, err := out.Write(buf); err != nil {
			status = exitFailed
		}
	case execcmd.Say:
		if _, err := s.hub.Post(id, cmd.Room, cmd.Text); err != nil {
			fmt.Fprintf(sess.Stderr(), "sshchat: not posted: %s\n", err)
			status = exitFailed
		}
	case execcmd.History:
		if err := s.hub.ChargeHistory(id, cmd.N); err != nil {
			fmt.Fprintf(sess.Stderr(), "sshchat: %s\n", err)
			status = exitFailed
			break
		}
		room, events, err := s.hub.Recent(cmd.Room, cmd.N)
		if err != nil {
			fmt.Fprintf(sess.Stderr(), "sshchat: %s\n", err)
			status = exitFailed
			break
		}
		var buf []byte
		for _, ev := range events {
			buf = appendLogLine(buf, room, ev, cmd.JSON)
		}
		if _, err := out.Write(buf); err != nil {
			status = exitFailed
		}
	case execcmd.Tail:
		status = s.tail(sess, conn, id, cmd)
	}
	_ = sess.Exit(status)
}

// tail prints a room's last lines and then streams new ones until the
// client goes away: subscribe first, print history, then skip the live
// lines the history already covered.
func (s *Server) tail(sess ssh.Session, conn net.Conn, id chat.Identity, cmd execcmd.Command) int {
	if err := s.hub.ChargeHistory(id, cmd.N); err != nil {
		fmt.Fprintf(sess.Stderr(), "sshchat: %s\n", err)
		return exitFailed
	}
	se := &session{srv: s, ssh: sess, conn: conn, requests: requestsOf(sess)}
	m, err := s.hub.Watch(id, cmd.Room, se)
	if err != nil {
		fmt.Fprintf(sess.Stderr(), "sshchat: %s\n", err)
		return exitFailed
	}
	se.member = m
	s.track(se, true)
	defer s.track(se, false)
	defer s.hub.Leave(m, "tail ended")

	var last uint64
	room := ""
	if cmd.SinceMarker {
		room, last, err = s.tailSinceMarker(se, cmd)
	} else {
		room, last, err = s.tailRecent(se, cmd)
	}
	if err != nil {
		fmt.Fprintf(sess.Stderr(), "sshchat: %s\n", err)
		return exitFailed
	}
	// The tail runs until the connection goes: not until the end of the
	// client's input, which is closed at once by `ssh -n` and in scripts.
	go func() {
		defer s.recoverPanic("tail watch")
		select {
		case <-sess.Context().Done():
			s.hub.Leave(m, "client closed")
		case <-m.Done():
		}
	}()
	se.writeLoop(plainSink{chunkWriter{sess}}, func(dst []byte, ev *chat.Event) []byte {
		if !ev.Said() || ev.Seq <= last {
			return dst
		}
		return appendLogLine(dst, room, ev, cmd.JSON)
	})
	status := removalStatus(m.Removal()) // 0 unless a ban, a kick or the room's removal ended it
	if status != exitOK {
		fmt.Fprintf(sess.Stderr(), "sshchat: %s\n", m.LeaveReason())
	}
	return status
}

// tailRecent prints the room's last cmd.N lines and returns the room's name
// and the Seq of the last line printed.
func (s *Server) tailRecent(se *session, cmd execcmd.Command) (room string, last uint64, err error) {
	room, events, err := s.hub.Recent(cmd.Room, cmd.N)
	if err != nil {
		return "", 0, err
	}
	return room, last, s.writeLogLines(se, room, events, cmd.JSON, &last)
}

// tailSinceMarker prints every line after the key's bot marker, a page at
// a time (the last cmd.N lines if it has no marker in the room yet), moving
// the marker as pages are written.
func (s *Server) tailSinceMarker(se *session, cmd execcmd.Command) (room string, last uint64, err error) {
	if err := s.hub.TrackTail(se.member); err != nil {
		return "", 0, err
	}
	after, ok, err := s.hub.TailMarker(se.member, cmd.Room)
	if err != nil {
		return "", 0, err
	}
	if !ok {
		return s.tailRecent(se, cmd)
	}
	last = after
	const page = execcmd.MaxLines
	for {
		var events []*chat.Event
		room, events, err = s.hub.Since(cmd.Room, last, page)
		if err != nil {
			return "", 0, err
		}
		if err := s.writeLogLines(se, room, events, cmd.JSON, &last); err != nil {
			return "", 0, err
		}
		if len(events) < page {
			return room, last, nil
		}
	}
}

// writeLogLines writes events as history lines and records them as shown;
// last becomes the Seq of the last one.
func (s *Server) writeLogLines(se *session, room string, events []*chat.Event, asJSON bool, last *uint64) error {
	var buf []byte
	for _, ev := range events {
		buf = appendLogLine(buf, room, ev, asJSON)
		*last = max(*last, ev.Seq)
	}
	se.writeStarted()
	_, err := se.ssh.Write(buf)
	se.writeEnded()
	if err != nil {
		return err
	}
	s.hub.MarkShown(se.member, events)
	return nil
}

// logLine is the JSON form of a line for bots.
type logLine struct {
	Room        string `json:"room"`
	From        string `json:"from"`
	Fingerprint string `json:"fingerprint"`
	Text        string `json:"text"`
	TS          string `json:"ts"`
	Seq         uint64 `json:"seq"`
	Kind        string `json:"kind"`
}

// appendLogLine writes ev as a history line: "[time] nick: text" or one
// JSON object.
func appendLogLine(dst []byte, room string, ev *chat.Event, asJSON bool) []byte {
	if asJSON {
		kind := "msg"
		if ev.Kind == chat.KindEmote {
			kind = "emote"
		}
		b, err := json.Marshal(logLine{Room: room, From: ev.From, Fingerprint: ev.FromKey, Text: ev.Text,
			TS: ev.Time.UTC().Format(time.RFC3339Nano), Seq: ev.Seq, Kind: kind})
		if err != nil {
			return dst
		}
		return append(append(dst, b...), '\n')
	}
	dst = append(dst, '[')
	// Scripts read these lines, so the zone is always UTC, and says so.
	dst = ev.Time.UTC().AppendFormat(dst, "2006-01-02 15:04:05 UTC")
	dst = append(dst, "] "...)
	if ev.Kind == chat.KindEmote {
		return append(dst, "* "+ev.From+" "+ev.Text+"\n"...)
	}
	return append(dst, ev.From+": "+ev.Text+"\n"...)
}

// stuckGuard writes to a one-shot session in pieces and closes the
// connection when one piece stays blocked for timeout: a client that
// stopped reading, as the watchdog does for chat sessions. A slow client
// that keeps reading is not cut off.
type stuckGuard struct {
	w       io.Writer
	conn    net.Conn
	timeout time.Duration
}

// stuckGuardPiece is how much is written under one deadline.
const stuckGuardPiece = 32 << 10

func (g *stuckGuard) Write(p []byte) (int, error) {
	stuck := time.AfterFunc(g.timeout, func() { g.conn.Close() })
	defer stuck.Stop()
	n := 0
	for n < len(p) {
		stuck.Reset(g.timeout)
		m, err := g.w.Write(p[n:min(len(p), n+stuckGuardPiece)])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
