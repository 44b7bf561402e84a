package sshd

import (
	"bytes"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/term"

	"github.com/sshchat/sshchat/sshchat/termio"
)

// writeRecorder is the client's end of a screen: it keeps each write apart,
// because what is measured is how many writes (SSH packets) an update costs.
type writeRecorder struct {
	mu     sync.Mutex
	writes [][]byte
	added  chan struct{} // signalled after each write
}

func newWriteRecorder() *writeRecorder { return &writeRecorder{added: make(chan struct{}, 1)} }

func (r *writeRecorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	r.writes = append(r.writes, bytes.Clone(p))
	r.mu.Unlock()
	select {
	case r.added <- struct{}{}:
	default:
	}
	return len(p), nil
}

// waitFor waits until n writes were made, and returns them.
func (r *writeRecorder) waitFor(t *testing.T, n int) [][]byte {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		r.mu.Lock()
		got := append([][]byte(nil), r.writes...)
		r.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-r.added:
		case <-deadline:
			t.Fatalf("%d writes after 20s, want %d: %q", len(got), n, got)
		}
	}
}

// newTestScreen is a screen as runTerminal builds it, without a session:
// keys come from keys, output goes to out.
func newTestScreen(keys io.Reader, out io.Writer, width int) *screen {
	sc := &screen{width: width}
	sc.conn = &termConn{keys: termio.NewKeyReader(keys, 4096), out: out, mu: &sc.mu}
	sc.t = term.NewTerminal(sc.conn, "[alice lobby] ")
	_ = sc.t.SetSize(width, 24)
	return sc
}

// readOneLine is one turn of readTerminal's loop: read a line and erase
// its echo, under the screen's lock.
func readOneLine(sc *screen) (string, error) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	line, err := sc.t.ReadLine()
	if err == nil {
		sc.eraseEcho("[alice lobby] ", line)
	}
	return line, err
}

// TestTypedLineIsOneWrite: a line that arrives with its Enter (a paste, a
// bot, a fast typist's packet) used to cost three SSH writes (its echo, the
// erase of the echo, the next prompt), each a packet and a syscall; now
// the three leave together, in that order, when the reader next waits.
func TestTypedLineIsOneWrite(t *testing.T) {
	keys, typed := io.Pipe()
	out := newWriteRecorder()
	sc := newTestScreen(keys, out, 80)
	lines := make(chan string, 2)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			line, err := readOneLine(sc)
			if err != nil {
				return
			}
			lines <- line
		}
	}()
	first := out.waitFor(t, 1) // the prompt, written before the reader waits
	if got := string(first[0]); got != "[alice lobby] " {
		t.Fatalf("first write %q, want the prompt alone", got)
	}
	if _, err := typed.Write([]byte("hello there\r")); err != nil {
		t.Fatal(err)
	}
	if got := <-lines; got != "hello there" {
		t.Fatalf("line %q", got)
	}
	got := string(out.waitFor(t, 2)[1])
	want := "hello there\r\n" + "\x1b[1A\r\x1b[J" + "[alice lobby] "
	if got != want {
		t.Fatalf("the typed line's output: %q, want %q in one write", got, want)
	}
	typed.Close()
	<-done
	if n := len(out.waitFor(t, 2)); n != 2 {
		t.Fatalf("%d writes, want 2", n)
	}
}

// TestKeyEchoIsNotHeldBack: an echo is gathered only until the reader
// waits for the next key, so a person typing sees each key at once.
func TestKeyEchoIsNotHeldBack(t *testing.T) {
	keys, typed := io.Pipe()
	out := newWriteRecorder()
	sc := newTestScreen(keys, out, 80)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = readOneLine(sc)
	}()
	out.waitFor(t, 1)
	for i, key := range []string{"h", "i"} {
		if _, err := typed.Write([]byte(key)); err != nil {
			t.Fatal(err)
		}
		if got := string(out.waitFor(t, 2+i)[1+i]); got != key {
			t.Fatalf("echo of %q: %q", key, got)
		}
	}
	typed.Close()
	<-done
}

// TestChatUpdateIsOneWrite: a batch of lines shown above a half-typed line
// (clear the prompt, the lines, redraw the prompt and the typed text) is one
// write, and the reader's gathered output goes out first, in order.
func TestChatUpdateIsOneWrite(t *testing.T) {
	keys, typed := io.Pipe()
	out := newWriteRecorder()
	sc := newTestScreen(keys, out, 80)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = readOneLine(sc)
	}()
	out.waitFor(t, 1)
	if _, err := typed.Write([]byte("half")); err != nil {
		t.Fatal(err)
	}
	out.waitFor(t, 2)
	if err := sc.write([]byte("bob: one\ncarol: two\ndave: three\n")); err != nil {
		t.Fatal(err)
	}
	got := string(out.waitFor(t, 3)[2])
	for _, want := range []string{"\x1b[K", "bob: one\r\ncarol: two\r\ndave: three\r\n", "[alice lobby] half"} {
		if !strings.Contains(got, want) {
			t.Errorf("update %q lacks %q", got, want)
		}
	}
	typed.Close()
	<-done
}

// BenchmarkChatUpdate is the cost of one chat update on a pty screen (four
// rendered lines shown above a prompt with half a line typed): allocations
// and bytes per update, and SSH writes per update.
//
//	go test -run='^$' -bench=ChatUpdate -benchmem ./sshchat/sshd/
func BenchmarkChatUpdate(b *testing.B) {
	out := &countingWriter{}
	sc := newTestScreen(strings.NewReader("half"), out, 80)
	sc.mu.Lock()
	sc.conn.keys = termio.NewKeyReader(strings.NewReader(""), 16)
	sc.mu.Unlock()
	// Put a prompt and half a line on the screen, as a person typing has.
	sc.mu.Lock()
	_, _ = sc.t.ReadLine() // reads "half", then io.EOF
	sc.mu.Unlock()
	batch := bytes.Repeat([]byte("\x1b[1;38;5;67mbob\x1b[0m: a line of ordinary chat, about sixty bytes long, give or take\n"), 4)
	out.writes = 0
	b.ReportAllocs()
	for b.Loop() {
		if err := sc.write(batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(out.writes)/float64(b.N), "writes/op")
}

type countingWriter struct{ writes int }

func (w *countingWriter) Write(p []byte) (int, error) {
	if len(p) > 0 {
		w.writes++ // x/crypto sends nothing for an empty write
	}
	return len(p), nil
}

// BenchmarkTypedLine is the cost of one line typed with its Enter in one
// packet (a paste, a bot with a pty, a fast typist): the reader's turn of
// reading it and erasing its echo, then waiting for the next key. Its
// writes/op are SSH packets and syscalls per typed line.
//
//	go test -run='^$' -bench=TypedLine -benchmem ./sshchat/sshd/
func BenchmarkTypedLine(b *testing.B) {
	out := &countingWriter{}
	sc := newTestScreen(&repeatingKeys{line: []byte("a line of ordinary chat, about sixty bytes long, give or take\r")}, out, 80)
	if _, err := readOneLine(sc); err != nil {
		b.Fatal(err)
	}
	out.writes = 0
	b.ReportAllocs()
	for b.Loop() {
		if _, err := readOneLine(sc); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(out.writes)/float64(b.N), "writes/op")
}

// repeatingKeys types line again at every read.
type repeatingKeys struct{ line []byte }

func (k *repeatingKeys) Read(p []byte) (int, error) { return copy(p, k.line), nil }
