package chat

import (
	"fmt"
	"strings"

	"github.com/sshchat/sshchat/sshchat/sanitize"
)

// Handling a member's lines: commands and chat lines, notices to one
// member.

// Handle takes one line typed by m (without its line ending).
func (h *Hub) Handle(m *Member, line string) {
	if len(line) > h.cfg.MaxLine {
		h.cfg.Metrics.tooLong()
		h.afterOwnLines(m)
		h.notice(m, fmt.Sprintf("Not sent: the line is %d bytes long and the limit is %d.", len(line), h.cfg.MaxLine))
		return
	}
	line = sanitize.Text(line)
	if strings.TrimSpace(line) == "" {
		return
	}
	m.lastActive.Store(h.cfg.Now().UnixNano())
	if name, args, ok := ParseCommand(line); ok {
		h.afterOwnLines(m) // its answer after the lines typed before it
		h.runCommand(m, name, args)
		return
	}
	line = strings.TrimPrefix(line, "/") // "//text" says "/text"
	h.say(m, &Event{Kind: KindMessage, From: m.Nick(), FromKey: m.key(), Text: line})
}

// TooLong tells m that a line was refused for its length. Transports that
// cut over-long lines while reading call it instead of Handle.
func (h *Hub) TooLong(m *Member, length int) {
	h.cfg.Metrics.tooLong()
	h.afterOwnLines(m)
	h.notice(m, fmt.Sprintf("Not sent: the line is over %d bytes long (the limit is %d).", length, h.cfg.MaxLine))
}

func (h *Hub) say(m *Member, ev *Event) {
	if h.refuseIfMuted(m) {
		h.cfg.Metrics.muted()
		return
	}
	if room := m.Room(); room != nil {
		h.cfg.Metrics.accepted()
		m.inflight.Add(1)
		room.publishThen(ev, pumpInline, func(err error) {
			if err != nil {
				h.notice(m, notStored)
			}
			m.inflight.Done()
		})
	}
}

// Notice shows text to m alone, as a server line.
func (h *Hub) Notice(m *Member, text string) { h.notice(m, sanitize.Text(text)) }

func (h *Hub) notice(m *Member, text string) {
	h.deliver(m, &Event{Kind: KindNotice, Time: h.cfg.Now(), Text: text})
}

func (h *Hub) deliver(m *Member, ev *Event) {
	if !m.out.Push(ev) {
		m.cutOff("outbox overflow")
	}
}
