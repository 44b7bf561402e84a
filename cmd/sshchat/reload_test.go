package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// binaryLog is the stderr of a running sshchat binary, kept for waiting on
// log lines.
type binaryLog struct {
	mu      sync.Mutex
	lines   []string
	changed chan struct{}
	done    chan struct{}
}

// waitLine waits until n lines containing want have been logged and
// returns the last of them.
func (l *binaryLog) waitLine(t *testing.T, want string, n int) string {
	t.Helper()
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	for {
		l.mu.Lock()
		var found []string
		for _, line := range l.lines {
			if strings.Contains(line, want) {
				found = append(found, line)
			}
		}
		all := strings.Join(l.lines, "\n")
		l.mu.Unlock()
		if len(found) >= n {
			return found[n-1]
		}
		select {
		case <-l.changed:
		case <-l.done:
			t.Fatalf("server exited before logging %q %d times; log:\n%s", want, n, all)
		case <-deadline.C:
			t.Fatalf("server did not log %q %d times; log:\n%s", want, n, all)
		}
	}
}

// startBinaryLogged runs the real sshchat binary, waits for it to listen
// and returns its address and its log, which keeps every line: the reload
// test waits for what the server logs after SIGHUP.
func startBinaryLogged(t *testing.T, bin string, args ...string) (*exec.Cmd, string, *binaryLog) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	log := &binaryLog{changed: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		defer close(log.done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			log.mu.Lock()
			log.lines = append(log.lines, sc.Text())
			log.mu.Unlock()
			select {
			case log.changed <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		<-log.done
	})
	m := listening.FindStringSubmatch(log.waitLine(t, "msg=listening", 1))
	if m == nil {
		t.Fatal("cannot read the listening address from the log")
	}
	return cmd, m[1], log
}

func writeAuthorizedKeys(t *testing.T, path string, keys ...gossh.Signer) {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("# operators\n")
	for _, k := range keys {
		b.Write(gossh.MarshalAuthorizedKey(k.PublicKey()))
	}
	tmp := path + ".new"
	if err := os.WriteFile(tmp, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// TestSIGHUPReloadsOperators runs the real binary with --admins, and
// checks that SIGHUP re-reads the file: a key removed from it stops being
// an operator, one added back becomes one again, and a broken file keeps
// the previous list.
func TestSIGHUPReloadsOperators(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir, bin := buildBinary(t)
	opKey := sshchattest.NewKey(t)
	admins := filepath.Join(dir, "admins")
	writeAuthorizedKeys(t, admins, opKey)
	cmd, addr, log := startBinaryLogged(t, bin, "--addr", "127.0.0.1:0",
		"--host-key", filepath.Join(dir, "keys", "ssh_host_ed25519"), "--data", filepath.Join(dir, "data"),
		"--admins", admins, "--rate", "0")
	if line := log.waitLine(t, `msg="loaded operators"`, 1); !strings.Contains(line, "keys=1") {
		t.Fatalf("start: %s", line)
	}

	op := sshchattest.Dial(t, addr, sshchattest.Options{User: "oper", Key: opKey})
	op.WaitFor("Welcome")
	op.Send("/modlog")
	op.WaitFor("*** The moderation log is empty.")

	hangup := func(n int, want string) {
		t.Helper()
		if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		if line := log.waitLine(t, want, n); want == `msg="loaded operators"` && !strings.Contains(line, "path="+admins) {
			t.Fatalf("reload logged %s", line)
		}
	}

	writeAuthorizedKeys(t, admins) // oper removed
	hangup(2, `msg="loaded operators"`)
	op.Send("/modlog")
	op.WaitFor("*** /modlog: not permitted (operators only).")

	writeAuthorizedKeys(t, admins, opKey)
	hangup(3, `msg="loaded operators"`)
	op.Send("/modlog")
	op.WaitCount("*** The moderation log is empty.", 2)

	if err := os.WriteFile(admins, []byte("ssh-ed25519 not-base64!\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	hangup(1, "the previous lists stay in force")
	op.Send("/modlog")
	op.WaitCount("*** The moderation log is empty.", 3)

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	op.WaitFor("The server is shutting down. Goodbye!")
	if err := op.WaitClosed(); err != nil {
		t.Fatalf("session ended with %v, want exit status 0", err)
	}
}
