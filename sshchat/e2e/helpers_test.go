package e2e

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// Helpers shared by the package's tests over SSH.

// dialWelcome connects as opts says and waits for the welcome.
func dialWelcome(t *testing.T, addr string, opts sshchattest.Options) *sshchattest.Client {
	t.Helper()
	c := sshchattest.Dial(t, addr, opts)
	c.WaitFor("Welcome")
	return c
}

// historyPrefix is how a line shown from history starts: its time.
var historyPrefix = regexp.MustCompile(`^\[\d{4}-\d\d-\d\d \d\d:\d\d\] `)

var blockSeq atomic.Int64

// block sends cmd and returns exactly the text the server wrote in answer
// to it: an unknown command sent right after it marks the end, since the
// server answers one member's lines in order. Use it on plain-mode clients
// in rooms where nobody else is talking.
func block(t *testing.T, c *sshchattest.Client, cmd string) string {
	t.Helper()
	start := len(c.Text())
	end := fmt.Sprintf("/zzend%d", blockSeq.Add(1))
	c.Send(cmd)
	c.Send(end)
	marker := fmt.Sprintf("*** Unknown command %s. Type /help for the list.\n", end)
	text := c.WaitFor(marker)
	return text[start : strings.Index(text[start:], marker)+start]
}

// lines splits text into lines without the empty last one.
func lines(text string) []string {
	return strings.Split(strings.TrimSuffix(text, "\n"), "\n")
}

// hasLine reports whether text contains want as a whole line.
func hasLine(text, want string) bool {
	for _, l := range lines(text) {
		if l == want {
			return true
		}
	}
	return false
}

// lineWith returns the one received line that contains want, failing the
// test if there is not exactly one.
func lineWith(t *testing.T, text, want string) string {
	t.Helper()
	var found []string
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, want) {
			found = append(found, line)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d lines contain %q, want 1:\n%s", len(found), want, text)
	}
	return found[0]
}

// startDurable starts a server whose data folder and host key outlive
// restarts within the test.
func startDurable(t *testing.T, cfg sshchat.Config) *sshchattest.Server {
	t.Helper()
	dir := t.TempDir()
	cfg.DataDir = dir + "/data"
	cfg.HostKeyPath = dir + "/keys/ssh_host_ed25519"
	return sshchattest.Start(t, cfg)
}

// restart stops srv and starts a new server on the same data folder and
// host key, with the same configuration (and the same clock, if injected),
// logging to a fresh buffer. The clients given are closed first so that
// shutdown need not linger for them.
func restart(t *testing.T, srv *sshchattest.Server, clients ...*sshchattest.Client) *sshchattest.Server {
	t.Helper()
	for _, c := range clients {
		c.Close()
	}
	srv.Stop(t)
	cfg := srv.Cfg
	cfg.Logger = nil // a fresh log buffer for the new server
	return sshchattest.Start(t, cfg)
}

// fakeClock is an injectable clock for sshchat.Config.Now: tests move it
// forward by hand instead of sleeping.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock(now time.Time) *fakeClock { return &fakeClock{now: now} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// writeKeyFile writes an authorized_keys file listing keys (replacing the
// file atomically, as an editor would) and returns its path.
func writeKeyFile(t *testing.T, path string, keys ...gossh.Signer) string {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("# sshchat test keys\n")
	for _, k := range keys {
		b.Write(gossh.MarshalAuthorizedKey(k.PublicKey()))
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeAdmins writes an admins file listing keys in a fresh folder and
// returns its path.
func writeAdmins(t *testing.T, keys ...gossh.Signer) string {
	t.Helper()
	return writeKeyFile(t, filepath.Join(t.TempDir(), "admins"), keys...)
}

// startWithOperator starts a server with cfg whose admins file lists opKey,
// and connects that operator as oper.
func startWithOperator(t *testing.T, cfg sshchat.Config, opKey gossh.Signer) (*sshchattest.Server, *sshchattest.Client) {
	t.Helper()
	cfg.AdminsFile = writeAdmins(t, opKey)
	srv := sshchattest.Start(t, cfg)
	return srv, dialWelcome(t, srv.Addr, sshchattest.Options{User: "oper", Key: opKey})
}

func keyFingerprint(k gossh.Signer) string { return gossh.FingerprintSHA256(k.PublicKey()) }

// waitLine waits until c has received a whole line containing part and
// returns that line: waiting for part alone can match a line whose end
// has not arrived yet.
func waitLine(c *sshchattest.Client, part string) string {
	var found string
	c.WaitUntil("a whole line with "+part, func(text string) bool {
		i := strings.Index(text, part)
		if i < 0 {
			return false
		}
		end := strings.IndexByte(text[i:], '\n')
		if end < 0 {
			return false
		}
		start := strings.LastIndexByte(text[:i], '\n') + 1
		found = text[start : i+end]
		return true
	})
	return found
}
