package sshd

import (
	"errors"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/charmbracelet/ssh"
	"github.com/rivo/uniseg"
	"golang.org/x/term"

	"github.com/sshchat/sshchat/sshchat/chat"
	"github.com/sshchat/sshchat/sshchat/complete"
	"github.com/sshchat/sshchat/sshchat/termio"
)

// screen is a pty session's line editor and what is shown around it.
//
// mu serializes the session's two writers: the chat writer (Terminal.Write
// of other people's lines) and the reader's own echo handling. x/term echoes
// what a person types; when they press Enter, the typed line is erased again
// so that it is shown once, as the room saw it. That erase must happen
// before any other output lands below the echoed line, so the reader holds
// mu from the moment input arrives until the erase is gathered behind the
// echo (in termConn, which keeps the order of everything written), and
// releases it only while it waits for input (in termConn.Read).
type screen struct {
	mu    sync.Mutex
	t     *term.Terminal
	conn  *termConn
	width int // the width the Terminal was last given; guarded by mu
	pty   *ptyState
}

// termConn is the io.ReadWriter beneath the Terminal: keys pass through the
// translator on the way in. On the way out it gathers: every write (the
// Terminal's several small ones per update: clear the prompt, each line and
// its CRLF, redraw the prompt; the reader's echo and its erase) is appended
// to pending, and flush sends all of it as one write, one SSH packet and one
// syscall. The chat writer flushes after each update; the reader's output
// is flushed by Read, before it waits for keys, so a typed line's echo, its
// erase and the next prompt leave together, and a key's echo is never held
// back while the person waits for it.
type termConn struct {
	keys *termio.KeyReader
	out  io.Writer
	mu   *sync.Mutex // screen.mu, held by the reader except while it waits

	pending *[]byte // a pooled buffer while output waits for flush, else nil; guarded by mu
}

func (c *termConn) Read(p []byte) (int, error) {
	if err := c.flush(); err != nil {
		return 0, err
	}
	c.mu.Unlock()
	n, err := c.keys.Read(p)
	c.mu.Lock()
	return n, err
}

// Write gathers p for the next flush; it never fails (flush reports).
func (c *termConn) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if c.pending == nil {
		c.pending = getBuffer()
	}
	*c.pending = append(*c.pending, p...)
	return len(p), nil
}

// flush writes everything gathered in one write. Called with mu held.
func (c *termConn) flush() error {
	if c.pending == nil {
		return nil
	}
	_, err := c.out.Write(*c.pending)
	putBuffer(c.pending)
	c.pending = nil
	return err
}

func prompt(m *chat.Member) string {
	room := ""
	if r := m.Room(); r != nil {
		room = " " + r.Name()
	}
	return "[" + m.Nick() + room + "] "
}

func (se *session) runTerminal(st *ptyState) {
	sc := se.newScreen(st) // its own frame: gone while the writer idles (handleSession)
	go se.readTerminal(sc)
	se.writeLoop(sc, func(dst []byte, ev *chat.Event) []byte {
		width, _ := st.dims()
		return se.member.RenderRows(dst, ev, width)
	})
}

// newScreen sets up the session's line editor.
func (se *session) newScreen(st *ptyState) *screen {
	sc := &screen{pty: st}
	// x/term caps typed lines at 4096 runes but not pasted ones; the key
	// reader bounds memory, the hub refuses what is over MaxLine.
	keys := termio.NewKeyReader(se.ssh, 4*se.srv.hub.MaxLine()+1024)
	sc.conn = &termConn{keys: keys, out: chunkWriter{se.output()}, mu: &sc.mu}
	sc.t = term.NewTerminal(sc.conn, prompt(se.member))
	sc.t.History = &lineHistory{}
	hub, m := se.srv.hub, se.member
	sc.t.AutoCompleteCallback = complete.New(func() complete.Candidates {
		return complete.Candidates{Commands: hub.CommandNames(m), Nicks: hub.Nicks(), Rooms: hub.RoomNames()}
	}).Key
	w, h := st.dims()
	_ = sc.t.SetSize(w, h) // nothing is on screen yet, so this writes nothing
	sc.width = w
	return sc
}

func (sc *screen) write(p []byte) error {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	_, _ = sc.t.Write(p) // gathered by sc.conn, which cannot fail
	return sc.conn.flush()
}

func (sc *screen) windows() <-chan ssh.Window { return sc.pty.takeWindows() }

func (sc *screen) resize(win ssh.Window) error {
	sc.pty.setSize(win)
	w, h := sc.pty.dims()
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.width = w
	_ = sc.t.SetSize(w, h) // gathered by sc.conn, which cannot fail
	return sc.conn.flush()
}

// finish clears the prompt so the client's own closing message starts on a
// clean line, after whatever the reader left gathered.
func (sc *screen) finish() {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	_, _ = sc.conn.Write([]byte("\r\x1b[K"))
	_ = sc.conn.flush()
}

func (se *session) readTerminal(sc *screen) {
	defer se.srv.recoverPanic("terminal reader")
	m := se.member
	var pacing *time.Timer
	shown := prompt(m)
	for {
		sc.mu.Lock()
		line, err := sc.t.ReadLine()
		if errors.Is(err, term.ErrPasteIndicator) {
			err = nil // a pasted line is still a line
		}
		if err == nil {
			sc.eraseEcho(shown, line)
		}
		sc.mu.Unlock()
		if err != nil {
			se.inputEnded(err, "quit") // Ctrl-C and Ctrl-D are io.EOF
			return
		}
		if !se.handle(line, &pacing) {
			return
		}
		if p := prompt(m); p != shown {
			shown = p
			sc.t.SetPrompt(p)
		}
	}
}

// eraseEcho removes the line x/term echoed while it was typed: the prompt
// and the line, wrapped at the width, then "\r\n". Called with sc.mu held,
// right after ReadLine returned, when the cursor is at column 0 below the
// echo. Rows are counted in display cells, not runes (x/term counts runes,
// so a line of CJK or emoji takes more rows than it thinks).
func (sc *screen) eraseEcho(prompt, line string) {
	cols := uniseg.StringWidth(prompt) + uniseg.StringWidth(line)
	rows := cols/sc.width + 1
	var seq [24]byte
	b := append(seq[:0], "\x1b["...)
	b = strconv.AppendInt(b, int64(rows), 10)
	_, _ = sc.conn.Write(append(b, "A\r\x1b[J"...))
}

// maxHistory is how many typed lines Up/Down can recall.
const maxHistory = 100

// lineHistory is the line editor's history. x/term's own keeps a fixed
// array of 100 entries per session from the start; this one grows as
// lines are typed, so idle sessions cost nothing.
type lineHistory struct{ entries []string } // oldest first

func (h *lineHistory) Add(entry string) {
	if len(h.entries) == maxHistory {
		copy(h.entries, h.entries[1:])
		h.entries = h.entries[:maxHistory-1]
	}
	h.entries = append(h.entries, entry)
}

func (h *lineHistory) Len() int { return len(h.entries) }

// At returns the idx-th most recent entry (0 is the newest).
func (h *lineHistory) At(idx int) string { return h.entries[len(h.entries)-1-idx] }
