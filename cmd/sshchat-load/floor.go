package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/charmbracelet/ssh"
	"github.com/charmbracelet/wish"
)

// The floor server (--baseline): a bare server on sshchat's SSH stack
// (wish + charmbracelet/ssh + x/crypto) that does what the load tool
// measures and nothing else. Every line a session types is written to
// every session, each delivery as its own SSH write from that session's
// own writer goroutine: one goroutine wake-up, one packet and one syscall
// per delivery, as sshchat did before coalescing. No store, no rooms, no
// line editor, no pacing. sshchat's figures are reported as ratios to it.
//
// It runs as a child process of the load tool (the tool re-executes
// itself with floorArg first), so that its CPU and RSS are read from
// /proc exactly like a spawned sshchat's.
//
// --baseline-kind bare runs the bare variant instead: a wish server whose
// handler only waits for the session to end (the pty accepted and its
// window changes drained, as wish requires; nothing written, nothing
// read). It is the floor for memory per idle session: what the SSH stack
// alone costs. It carries no lines, so runs against it stop after the
// memory reading.

// floorArg, as the first argument, makes the load tool a floor server.
const floorArg = "--serve-floor"

// floorQueue bounds each session's queue of pending deliveries; a session
// that falls this far behind loses lines, which the report shows as lost.
const floorQueue = 4096

// floorLineMax bounds one typed line; the load tool's lines are far shorter.
const floorLineMax = 2048

// floorHub is the floor server's set of sessions.
type floorHub struct {
	mu       sync.Mutex // the only lock: guards sessions, nothing is written under it
	sessions map[*floorSession]struct{}
}

// floorSession is one pty session: its queue, drained by its own writer.
type floorSession struct {
	queue chan []byte
}

func (h *floorHub) add(s *floorSession) {
	h.mu.Lock()
	h.sessions[s] = struct{}{}
	h.mu.Unlock()
}

func (h *floorHub) remove(s *floorSession) {
	h.mu.Lock()
	delete(h.sessions, s)
	h.mu.Unlock()
}

// broadcast queues msg to every session without blocking.
func (h *floorHub) broadcast(msg []byte) {
	h.mu.Lock()
	for s := range h.sessions {
		select {
		case s.queue <- msg:
		default: // a session this far behind loses the line
		}
	}
	h.mu.Unlock()
}

// floorRender renders a line as sshchat renders another member's line on a
// colour terminal: the nick in a colour, ": ", the text, CRLF. (sshchat adds
// its prompt redraw, some 30 bytes more per write.)
func floorRender(nick string, text []byte) []byte {
	b := make([]byte, 0, len(nick)+len(text)+24)
	b = append(b, "\x1b[1;36m"...)
	b = append(b, nick...)
	b = append(b, "\x1b[0m: "...)
	b = append(b, text...)
	return append(b, "\r\n"...)
}

// floorKinds are the floor servers --baseline-kind chooses from.
const (
	floorWriter = "writer" // one write per delivery (the default)
	floorBare   = "bare"   // waits for the session to end, nothing else
)

// bareHandle is the bare floor's whole session: drain the window changes
// until the session's requests end, and wait for the client to leave.
func bareHandle(sess ssh.Session) {
	<-sess.Context().Done()
}

// drainWindowsPtyHandler wraps the library's emulated-pty handler so that
// the window changes are drained from the start (DESIGN.md: else a
// session hangs), without calling Session.Pty from the handler: Pty
// races with the library's window-change handling (charmbracelet/ssh#58;
// the race detector caught it), and here it runs in the library's own
// request goroutine. The drain ends when the session's requests end.
func drainWindowsPtyHandler() ssh.PtyHandler {
	var emulated ssh.Server
	_ = ssh.EmulatePty()(&emulated)
	return func(ctx ssh.Context, sess ssh.Session, p ssh.Pty) (func() error, error) {
		closer, err := emulated.PtyHandler(ctx, sess, p)
		if err == nil {
			_, windows, _ := sess.Pty()
			go func() {
				for range windows {
				}
			}()
		}
		return closer, err
	}
}

func (h *floorHub) handle(sess ssh.Session) {
	// Window changes are drained by drainWindowsPtyHandler.
	s := &floorSession{queue: make(chan []byte, floorQueue)}
	h.add(s)
	writerDone := make(chan struct{})
	go func() { // the session's writer: one write per delivery
		defer close(writerDone)
		for msg := range s.queue {
			if _, err := sess.Write(msg); err != nil {
				_ = sess.Close()
				for range s.queue { // drain until the reader closes it
				}
				return
			}
		}
	}()
	_, _ = io.WriteString(sess, "*** Welcome to the floor server, "+sess.User()+"!\r\n")
	nick := sess.User()
	br := bufio.NewReaderSize(sess, 4096)
	var line []byte
	for {
		b, err := br.ReadByte()
		if err != nil {
			break
		}
		switch {
		case b == '\r' || b == '\n':
			if len(line) > 0 {
				h.broadcast(floorRender(nick, line))
				line = line[:0]
			}
		case b == 3 || b == 4: // Ctrl-C, Ctrl-D
			h.remove(s)
			close(s.queue)
			<-writerDone
			return
		case len(line) < floorLineMax:
			line = append(line, b)
		}
	}
	h.remove(s)
	close(s.queue)
	<-writerDone
}

// runFloor is the floor server's main: --addr and --dir (host key), until
// SIGTERM or SIGINT.
func runFloor(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("sshchat-load "+floorArg, flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "loopback `address` to listen on")
	dir := fs.String("dir", "", "folder for the host key")
	kind := fs.String("kind", floorWriter, "writer or bare")
	debugAddr := fs.String("debug-addr", "", "loopback `address` for /debug/pprof/ and /debug/freeosmemory (as sshchat's --metrics with --pprof)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if *debugAddr != "" {
		stopDebug, err := serveFloorDebug(*debugAddr)
		if err != nil {
			log.Error("floor server debug endpoints", "err", err)
			return 1
		}
		defer stopDebug()
	}
	srv, err := newFloorServer(*addr, *dir, *kind)
	if err != nil {
		log.Error("floor server", "err", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.ListenAndServe() }()
	select {
	case err := <-served:
		if err != nil && !errors.Is(err, ssh.ErrServerClosed) {
			log.Error("floor server", "err", err)
			return 1
		}
		return 0
	case <-ctx.Done():
	}
	_ = srv.Close() // the load tool has closed its clients already
	<-served
	return 0
}

// newFloorServer returns a floor server of kind for addr with its host key
// in dir.
func newFloorServer(addr, dir, kind string) (*ssh.Server, error) {
	h := &floorHub{sessions: map[*floorSession]struct{}{}}
	handle := h.handle
	switch kind {
	case floorWriter:
	case floorBare:
		handle = bareHandle
	default:
		return nil, fmt.Errorf("unknown floor kind %q", kind)
	}
	return wish.NewServer(
		wish.WithAddress(addr),
		wish.WithHostKeyPath(filepath.Join(dir, "ssh_host_ed25519")),
		wish.WithPublicKeyAuth(func(ssh.Context, ssh.PublicKey) bool { return true }),
		wish.WithMiddleware(func(ssh.Handler) ssh.Handler { return handle }),
		func(srv *ssh.Server) error {
			srv.PtyHandler = drainWindowsPtyHandler()
			return nil
		},
	)
}

// spawnFloor starts this program as a floor server of kind on a free
// loopback port, with its debug endpoints on another.
func spawnFloor(kind, outFile string, wait time.Duration) (*spawned, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("floor server: %w", err)
	}
	port, err := freeLoopbackPort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "sshchat-load-floor-")
	if err != nil {
		return nil, err
	}
	debugPort, err := freeLoopbackPort()
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	debugAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(debugPort))
	s, err := startProcess(self, []string{floorArg, "--addr", addr, "--dir", dir, "--kind", kind, "--debug-addr", debugAddr}, dir, addr, outFile, wait)
	if err != nil {
		return nil, err
	}
	s.debugAddr = debugAddr
	return s, nil
}

// serveFloorDebug serves what sshchat serves with --metrics and --pprof
// that the load tool reads: /debug/pprof/ and POST /debug/freeosmemory.
func serveFloorDebug(addr string) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("POST /debug/freeosmemory", func(w http.ResponseWriter, _ *http.Request) {
		debug.FreeOSMemory()
		fmt.Fprintln(w, "ok")
	})
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = hs.Serve(ln)
	}()
	return func() { _ = hs.Close(); <-done }, nil
}
