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
	status := exitOK
	switch cmd.Kind {
	case execcmd.Help:
		io.WriteString(sess, execcmd.Usage())
	case execcmd.Who:
		for _, w := range s.hub.Who() {
			line := w.Nick + "\t" + w.Room
			if w.Away != "" {
				line += "\taway: " + w.Away
			}
			fmt.Fprintln(sess, line)
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
		if _, err := sess.Write(buf); err != nil {
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
	se := &session{srv: s, ssh: sess, conn: conn}
	m, err := s.hub.Watch(id, cmd.Room, se)
	if err != nil {
		fmt.Fprintf(sess.Stderr(), "sshchat: %s\n", err)
		return exitFailed
	}
	se.member = m
	s.track(se, true)
	defer s.track(se, false)
	defer s.hub.Leave(m, "tail ended")

	room, events, err := s.hub.Recent(cmd.Room, cmd.N)
	if err != nil {
		fmt.Fprintf(sess.Stderr(), "sshchat: %s\n", err)
		return exitFailed
	}
	var last uint64
	var buf []byte
	for _, ev := range events {
		buf = appendLogLine(buf, room, ev, cmd.JSON)
		last = ev.Seq
	}
	se.writeStarted()
	_, err = sess.Write(buf)
	se.writeEnded()
	if err != nil {
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
	se.writeLoop(plainSink{sess}, func(dst []byte, ev *chat.Event) []byte {
		if !ev.Said() || ev.Seq <= last {
			return dst
		}
		return appendLogLine(dst, room, ev, cmd.JSON)
	})
	status := removalStatus(m.Removal()) // 0 unless a ban or kick ended it
	if status != exitOK {
		fmt.Fprintf(sess.Stderr(), "sshchat: %s\n", m.LeaveReason())
	}
	return status
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
	dst = ev.Time.UTC().AppendFormat(dst, "2006-01-02 15:04:05")
	dst = append(dst, "] "...)
	if ev.Kind == chat.KindEmote {
		return append(dst, "* "+ev.From+" "+ev.Text+"\n"...)
	}
	return append(dst, ev.From+": "+ev.Text+"\n"...)
}
