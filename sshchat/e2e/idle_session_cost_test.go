package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// Goroutines the server keeps for one idle session. Each is paid once per
// session: 10,000 times on a big node (2-8 KiB of stack each, more once a
// stack has grown). Today, per connection with one session:
//
//	x/crypto/ssh        mux.loop, handshakeTransport.readLoop and kexLoop
//	charmbracelet/ssh   Server.HandleConn, Server.handleRequests (global
//	                    requests)
//	sshchat/sshd        the session handler (the member's writer, which
//	                    also answers the channel's requests once the
//	                    session runs) and its reader (readTerminal or the
//	                    plain line reader)
//
// Five are the library's. The library's own session request loop
// (session.handleRequests) and the channel's request filter
// (sessionChannel) end when the session starts: the writer answers what
// comes after (window changes included). Lower these when a goroutine goes; a test failing
// here means a goroutine per session was added: say why it is worth 10,000
// goroutines (the failure lists the count per function).
const (
	maxServerGoroutinesPerPtySession   = 7
	maxServerGoroutinesPerPlainSession = 7
)

// TestIdleSessionsDoNotGrowServerGoroutines counts the server's goroutines
// (labelled apart from the test clients' own) before and after a batch of
// idle sessions, so that a goroutine added per session is seen.
func TestIdleSessionsDoNotGrowServerGoroutines(t *testing.T) {
	var srv *sshchattest.Server
	// Every goroutine the server starts inherits this label; the clients'
	// goroutines, started from the test's own goroutine, do not.
	pprof.Do(context.Background(), pprof.Labels("side", "server"), func(context.Context) {
		srv = sshchattest.Start(t, sshchat.Config{})
	})
	first := dialWelcome(t, srv.Addr, sshchattest.Options{User: "first", PTY: true})
	defer first.Close()

	for _, tc := range []struct {
		name string
		pty  bool
		max  int
	}{
		{"pty", true, maxServerGoroutinesPerPtySession},
		{"plain", false, maxServerGoroutinesPerPlainSession},
	} {
		const sessions = 20
		before := settledServerGoroutines(t, -1)
		var clients []*sshchattest.Client
		for i := range sessions {
			clients = append(clients, dialWelcome(t, srv.Addr, sshchattest.Options{User: fmt.Sprintf("%s%02d", tc.name, i), PTY: tc.pty}))
		}
		// Each has its welcome, which its writer wrote after its reader
		// started: every session is set up, and idle from now on.
		after := settledServerGoroutines(t, -1)
		per := float64(after.total-before.total) / sessions
		t.Logf("%s: %.2f server goroutines per idle session (%d sessions: %d -> %d)", tc.name, per, sessions, before.total, after.total)
		if after.total-before.total > tc.max*sessions {
			t.Errorf("%s: %.2f server goroutines per idle session, want at most %d; per function now:\n%s",
				tc.name, per, tc.max, after.diff(before))
		}
		for _, c := range clients {
			c.Close()
		}
		if left := settledServerGoroutines(t, before.total); left.total > before.total {
			t.Errorf("%s: %d server goroutines left after the sessions closed, %d before:\n%s", tc.name, left.total, before.total, left.diff(before))
		}
	}
}

// goroutineCount is a count of the server's goroutines, by the function
// each runs.
type goroutineCount struct {
	total  int
	byFunc map[string]int
}

func (g goroutineCount) diff(base goroutineCount) string {
	var out []string
	for f, n := range g.byFunc {
		if d := n - base.byFunc[f]; d != 0 {
			out = append(out, fmt.Sprintf("  %+d %s", d, f))
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// settledServerGoroutines waits (bounded) until the server runs at most
// want goroutines (want < 0: until the count stops changing for a moment)
// and returns the count.
func settledServerGoroutines(t *testing.T, want int) goroutineCount {
	t.Helper()
	deadline := time.Now().Add(sshchattest.DefaultTimeout)
	last, stable := serverGoroutines(t), 0
	for {
		if want >= 0 && last.total <= want {
			return last
		}
		if want < 0 && stable >= 5 {
			return last
		}
		if time.Now().After(deadline) {
			return last
		}
		time.Sleep(20 * time.Millisecond)
		now := serverGoroutines(t)
		if now.total == last.total {
			stable++
		} else {
			stable = 0
		}
		last = now
	}
}

// serverGoroutines counts the goroutines labelled side=server, by the
// function each runs (its outermost frame).
func serverGoroutines(t *testing.T) goroutineCount {
	t.Helper()
	var buf bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&buf, 1); err != nil {
		t.Fatal(err)
	}
	g := goroutineCount{byFunc: map[string]int{}}
	// debug=1: records "N @ addrs", "# labels: {...}", then "#\t0x.. func+off file:line" frames.
	sc := bufio.NewScanner(&buf)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n, labelled, top := 0, false, ""
	flush := func() {
		if labelled && n > 0 {
			g.total += n
			g.byFunc[top] += n
		}
		n, labelled, top = 0, false, ""
	}
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.Contains(line, " @ "):
			flush()
			n, _ = strconv.Atoi(strings.Fields(line)[0])
		case strings.HasPrefix(line, "# labels:"):
			labelled = strings.Contains(line, `"side":"server"`)
		case strings.HasPrefix(line, "#\t"):
			if f := strings.Fields(line); len(f) >= 3 {
				top = f[2] // the last frame read is the outermost
			}
		}
	}
	flush()
	return g
}
