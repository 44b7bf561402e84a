package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// run executes a one-shot command and returns stdout, stderr and the exit
// status.
func run(t *testing.T, addr string, key gossh.Signer, user, command string) (string, string, int) {
	t.Helper()
	cfg := sshchattest.ClientConfig(t, sshchattest.Options{User: user, Key: key})
	conn, err := gossh.Dial("tcp", addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	sess, err := conn.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	sess.Stdout, sess.Stderr = &stdout, &stderr
	err = sess.Run(command)
	status := 0
	var exit *gossh.ExitError
	if errors.As(err, &exit) {
		status = exit.ExitStatus()
	} else if err != nil {
		t.Fatalf("%s: %v", command, err)
	}
	return stdout.String(), stderr.String(), status
}

func TestOneShotCommands(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	alice := dialWelcome(t, srv.Addr, sshchattest.Options{User: "alice", PTY: true})
	bob := dialWelcome(t, srv.Addr, sshchattest.Options{User: "bob"})
	bob.Send("/join #dev")
	bob.WaitFor("You are now in #dev")
	key := sshchattest.NewKey(t)

	out, _, status := run(t, srv.Addr, key, "script", "who")
	if status != 0 || out != "alice\t#lobby\nbob\t#dev\n" {
		t.Fatalf("who: status %d, output %q", status, out)
	}
	if _, _, status := run(t, srv.Addr, key, "script", "say hello from a script"); status != 0 {
		t.Fatalf("say: status %d", status)
	}
	alice.WaitFor("script: hello from a script")
	if _, _, status := run(t, srv.Addr, key, "script", "say '#dev' to the devs"); status != 0 {
		t.Fatalf("say #dev: status %d", status)
	}
	bob.WaitFor("script: to the devs")
	if strings.Contains(alice.Text(), "to the devs") {
		t.Fatal("a line for #dev reached #lobby")
	}

	out, _, status = run(t, srv.Addr, key, "script", "history 5")
	if status != 0 || !strings.HasSuffix(out, "] script: hello from a script\n") {
		t.Fatalf("history: status %d, output %q", status, out)
	}
	out, _, status = run(t, srv.Addr, key, "script", "history '#dev' --json")
	if status != 0 {
		t.Fatalf("history --json: status %d", status)
	}
	var line struct {
		Room, From, Fingerprint, Text, TS string
		Seq                               uint64
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &line); err != nil {
		t.Fatalf("history --json output %q: %v", out, err)
	}
	if line.Room != "#dev" || line.From != "script" || line.Text != "to the devs" || line.Seq == 0 ||
		line.Fingerprint != gossh.FingerprintSHA256(key.PublicKey()) || line.TS == "" {
		t.Fatalf("history --json: %+v", line)
	}

	_, errText, status := run(t, srv.Addr, key, "script", "frobnicate")
	if status != 2 || !strings.Contains(errText, `unknown command "frobnicate"`) {
		t.Fatalf("unknown command: status %d, stderr %q", status, errText)
	}
	_, _, status = run(t, srv.Addr, key, "script", "history 0")
	if status != 2 {
		t.Fatalf("bad argument: status %d", status)
	}
	out, _, status = run(t, srv.Addr, key, "script", "help")
	if status != 0 || !strings.Contains(out, "tail") {
		t.Fatalf("help: status %d, output %q", status, out)
	}
	if strings.Contains(alice.Text(), "script joined") {
		t.Fatal("a one-shot command announced a join")
	}
}

func TestTailStreamsWithoutGapOrDuplicate(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	talker := dialWelcome(t, srv.Addr, sshchattest.Options{User: "talker"})
	for i := range 5 {
		talker.Send("before " + string(rune('a'+i)))
	}
	talker.WaitFor("talker: before e")

	cfg := sshchattest.ClientConfig(t, sshchattest.Options{User: "tailer"})
	conn, err := gossh.Dial("tcp", srv.Addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := conn.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := sess.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.Start("tail -n 3 --json"); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	go func() {
		defer close(lines)
		buf := make([]byte, 4096)
		var acc string
		for {
			n, err := stdout.Read(buf)
			acc += string(buf[:n])
			for {
				i := strings.IndexByte(acc, '\n')
				if i < 0 {
					break
				}
				lines <- acc[:i]
				acc = acc[i+1:]
			}
			if err != nil {
				return
			}
		}
	}()
	var texts []string
	deadline := time.After(sshchattest.DefaultTimeout)
	next := func() string {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("tail ended")
			}
			var v struct{ Text string }
			if err := json.Unmarshal([]byte(l), &v); err != nil {
				t.Fatalf("%q: %v", l, err)
			}
			return v.Text
		case <-deadline:
			t.Fatalf("tail stalled after %q", texts)
		}
		return ""
	}
	for range 3 {
		texts = append(texts, next())
	}
	talker.Send("live one")
	talker.Send("live two")
	texts = append(texts, next(), next())
	want := "before c,before d,before e,live one,live two"
	if got := strings.Join(texts, ","); got != want {
		t.Fatalf("tail printed %s, want %s", got, want)
	}
	conn.Close()
	<-lines
}
