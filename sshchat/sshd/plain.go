package sshd

import (
	"io"
	"time"

	"github.com/charmbracelet/ssh"

	"github.com/sshchat/sshchat/sshchat/chat"
	"github.com/sshchat/sshchat/sshchat/termio"
)

// plainSink writes lines as they are, for clients without a pty (scripts,
// bots, `ssh -T`): no escape sequences, LF line endings.
type plainSink struct{ w io.Writer }

func (p plainSink) write(b []byte) error {
	_, err := p.w.Write(b)
	return err
}
func (plainSink) windows() <-chan ssh.Window { return nil }
func (plainSink) resize(ssh.Window) error    { return nil }
func (plainSink) finish()                    {}

func (se *session) runPlain() {
	go se.readPlain()
	se.writeLoop(plainSink{chunkWriter{se.output()}}, func(dst []byte, ev *chat.Event) []byte {
		return se.member.Render(dst, ev, false)
	})
}

// readPlain reads lines ended by LF or CR until the client closes its input
// (end of a pipe) or the connection goes.
func (se *session) readPlain() {
	defer se.srv.recoverPanic("plain reader")
	hub, m := se.srv.hub, se.member
	lines := termio.NewLineReader(se.ssh, hub.MaxLine())
	var pacing *time.Timer
	for {
		line, tooLong, err := lines.ReadLine()
		if err != nil {
			se.inputEnded(err, "end of input")
			return
		}
		if tooLong {
			// Paced like any line typed: otherwise over-long lines
			// are answered as fast as a client can send them.
			if !se.pace(&pacing) {
				return
			}
			hub.TooLong(m, hub.MaxLine())
			continue
		}
		if !se.handle(line, &pacing) {
			return
		}
	}
}
