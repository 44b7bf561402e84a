package e2e

import (
	"bytes"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// procLog collects a subprocess's output and tells waiters when it grows.
type procLog struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func (l *procLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	select {
	case l.changed <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (l *procLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// sshchatProc is the real binary running as a subprocess.
type sshchatProc struct {
	cmd    *exec.Cmd
	log    *procLog
	exited chan error
	addr   string
}

var listeningLine = regexp.MustCompile(`msg=listening addr=(\S+)`)

// startSshchatBinary runs bin with args and waits for it to listen.
func startSshchatBinary(t *testing.T, bin string, args ...string) *sshchatProc {
	t.Helper()
	p := &sshchatProc{log: &procLog{changed: make(chan struct{}, 1)}, exited: make(chan error, 1)}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout = p.log
	p.cmd.Stderr = p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- p.cmd.Wait() }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		select {
		case <-p.exited:
		case <-time.After(10 * time.Second):
			t.Errorf("sshchat (pid %d) did not exit after SIGKILL", p.cmd.Process.Pid)
		}
	})
	deadline := time.After(30 * time.Second)
	for {
		if m := listeningLine.FindStringSubmatch(p.log.String()); m != nil {
			p.addr = m[1]
			return p
		}
		select {
		case <-p.log.changed:
		case err := <-p.exited:
			p.exited <- err
			t.Fatalf("sshchat exited before listening (%v):\n%s", err, p.log.String())
		case <-deadline:
			t.Fatalf("sshchat did not listen within 30s:\n%s", p.log.String())
		}
	}
}

// kill sends SIGKILL and waits for the process to end.
func (p *sshchatProc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.exited:
		p.exited <- err
	case <-time.After(10 * time.Second):
		t.Fatal("sshchat did not die of SIGKILL")
	}
}

// floodReceived matches a flood line as a client sees it live, or as
// /history shows it (with its time); group 2 is the line without the time.
var floodReceived = regexp.MustCompile(`^(\[\d{4}-\d\d-\d\d \d\d:\d\d\] )?((fa|fb): (fa|fb)-(\d{5}))$`)

// floodLines returns the flood lines in text, in order, without times.
func floodLines(text string) []string {
	var out []string
	for _, l := range lines(text) {
		if m := floodReceived.FindStringSubmatch(l); m != nil {
			out = append(out, m[2])
		}
	}
	return out
}

// TestCrashLosesNothingReceived kills the real server with SIGKILL in the
// middle of a flood, starts it again on the same data folder and checks
// that every line any client received is in the history, in the order they
// saw it.
func TestCrashLosesNothingReceived(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	// The flood is bounded; the kill comes long before its end. The
	// restarted server replays up to --scrollback lines of stored history
	// to whoever joins, which covers all of it (/history stops at 500).
	const perFlooder, killAfter, scrollback = 2000, 300, 5000
	dir := t.TempDir()
	bin := filepath.Join(dir, "sshchat")
	build := exec.Command("go", "build", "-o", bin, "../../cmd/sshchat")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	args := []string{
		"--addr", "127.0.0.1:0", "--data", filepath.Join(dir, "data"), "--host-key", filepath.Join(dir, "keys", "h"),
		"--rate", "0", "--max-conns", "-1", "--max-conns-per-ip", "-1", "--new-conns-per-ip", "-1",
		"--scrollback", fmt.Sprint(scrollback),
	}

	first := startSshchatBinary(t, bin, args...)
	watcher := dialWelcome(t, first.addr, sshchattest.Options{User: "watcher"})
	fa := dialWelcome(t, first.addr, sshchattest.Options{User: "fa"})
	fb := dialWelcome(t, first.addr, sshchattest.Options{User: "fb"})
	watcher.WaitFor("fb joined #lobby.")
	clients := map[string]*sshchattest.Client{"watcher": watcher, "fa": fa, "fb": fb}

	stop := make(chan struct{})
	var flooders sync.WaitGroup
	for _, name := range []string{"fa", "fb"} {
		w := clients[name].Stdin()
		flooders.Add(1)
		go func() {
			defer flooders.Done()
			for i := 1; i <= perFlooder; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := io.WriteString(w, fmt.Sprintf("%s-%05d\n", name, i)); err != nil {
					return
				}
			}
		}()
	}
	watcher.WaitUntil(fmt.Sprintf("%d flood lines", killAfter), func(text string) bool {
		return strings.Count(text, "\nfa: ")+strings.Count(text, "\nfb: ") >= killAfter
	})
	first.kill(t)
	close(stop)
	received := make(map[string][]string)
	for name, c := range clients {
		c.Close() // returns once everything the client was sent is read
		received[name] = floodLines(c.Text())
	}
	done := make(chan struct{})
	go func() { flooders.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("flooders still writing 10s after the server died")
	}
	for _, name := range []string{"watcher", "fa", "fb"} {
		t.Logf("%s received %d flood lines before the kill", name, len(received[name]))
	}
	if strings.Contains(first.log.String(), "level=ERROR") {
		t.Errorf("errors logged before the kill:\n%s", first.log.String())
	}

	second := startSshchatBinary(t, bin, args...)
	checker := sshchattest.Dial(t, second.addr, sshchattest.Options{User: "checker"})
	joined := checker.WaitFor("checker joined #lobby.")
	history := floodLines(joined)
	t.Logf("history after the restart: %d of %d flood lines", len(history), 2*perFlooder)
	if len(history) == 2*perFlooder {
		t.Errorf("every line was stored before the kill: the kill was not mid-flood")
	}
	if len(history) >= scrollback {
		t.Fatalf("%d lines stored, more than the scrollback of %d can show", len(history), scrollback)
	}
	if !strings.Contains(joined, fmt.Sprintf("*** Last %d lines of #lobby:\n", len(history))) {
		t.Errorf("the scrollback shows more than the flood lines:\n%s", joined)
	}
	// /history 500 shows the end of the same history.
	out := block(t, checker, "/history 500")
	tail := history[len(history)-min(500, len(history)):]
	if got := floodLines(out); strings.Join(got, "\n") != strings.Join(tail, "\n") {
		t.Errorf("/history 500 shows %d lines that are not the last %d of the stored history:\n%s", len(got), len(tail), out)
	}

	// Each line once, and each flooder's lines in the order sent, without
	// a gap.
	pos := make(map[string]int, len(history))
	next := map[string]int{"fa": 1, "fb": 1}
	for i, l := range history {
		if _, dup := pos[l]; dup {
			t.Errorf("history holds %q twice", l)
		}
		pos[l] = i
		m := floodReceived.FindStringSubmatch(l)
		if want := fmt.Sprintf("%s-%05d", m[3], next[m[3]]); m[4]+"-"+m[5] != want {
			t.Errorf("history line %d is %q, want %s's line %s next", i, l, m[3], want)
		}
		next[m[3]]++
	}
	// Everything a client saw is there, in the order they saw it; and as a
	// room has one order, what each saw is the beginning of the history.
	for name, seen := range received {
		last := -1
		for j, l := range seen {
			i, ok := pos[l]
			switch {
			case !ok:
				t.Errorf("%s received %q (its line %d) before the kill, but it is not in the history", name, l, j)
			case i <= last:
				t.Errorf("%s saw %q after %q, the history has them the other way round", name, l, history[last])
			}
			if ok {
				last = i
			}
		}
		for j := range min(len(seen), len(history)) {
			if seen[j] != history[j] {
				t.Errorf("%s's line %d is %q, the history's is %q: a line is missing or out of order", name, j, seen[j], history[j])
				break
			}
		}
	}

	log := second.log.String()
	if !strings.Contains(log, "msg=\"opened store\"") {
		t.Errorf("the restarted server did not log opening its store:\n%s", log)
	}
	for _, bad := range []string{"level=ERROR", "level=WARN"} {
		if strings.Contains(log, bad) {
			t.Errorf("the restarted server logged %s:\n%s", bad, log)
		}
	}
	if t.Failed() {
		t.Logf("log before the kill:\n%s\nlog after the restart:\n%s", first.log.String(), log)
	}
}
