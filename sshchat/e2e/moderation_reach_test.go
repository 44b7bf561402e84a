package e2e

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// lockedBuffer is a bytes.Buffer that a session's copier writes while the
// test reads.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// tailRun is a one-shot `ssh host tail -n 1` running in the background:
// once it has printed the last line said before it started, it is
// subscribed to what comes next.
type tailRun struct {
	t              *testing.T
	stdout, stderr lockedBuffer
	done           chan int // the exit status, once
}

func startTail(t *testing.T, addr string, key gossh.Signer, user string) *tailRun {
	t.Helper()
	conn, err := gossh.Dial("tcp", addr, sshchattest.ClientConfig(t, sshchattest.Options{User: user, Key: key}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	sess, err := conn.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	r := &tailRun{t: t, done: make(chan int, 1)}
	sess.Stdout, sess.Stderr = &r.stdout, &r.stderr
	if err := sess.Start("tail -n 1"); err != nil {
		t.Fatal(err)
	}
	go func() {
		err := sess.Wait()
		var exit *gossh.ExitError
		switch {
		case err == nil:
			r.done <- 0
		case errors.As(err, &exit):
			r.done <- exit.ExitStatus()
		default:
			r.done <- -1
		}
	}()
	return r
}

// waitOut waits until the tail has printed want.
func (r *tailRun) waitOut(want string) {
	r.t.Helper()
	deadline := time.Now().Add(sshchattest.DefaultTimeout)
	for !strings.Contains(r.stdout.String(), want) {
		if time.Now().After(deadline) {
			r.t.Fatalf("tail did not print %q; printed %q", want, r.stdout.String())
		}
		time.Sleep(10 * time.Millisecond) // polling a buffer, bounded by the deadline
	}
}

// status waits for the tail to end and returns its exit status.
func (r *tailRun) status() int {
	r.t.Helper()
	select {
	case s := <-r.done:
		return s
	case <-time.After(sshchattest.DefaultTimeout):
		r.t.Fatalf("tail still running after %v; printed %q", sshchattest.DefaultTimeout, r.stdout.String())
		return 0
	}
}

// A kick or a ban reaches a key whose only session is a one-shot tail: the
// tail ends (exit 3 for a kick, 4 for a ban, the reason on stderr), and
// /kick finds the key by the nick it owns.
func TestBanEndsRunningTail(t *testing.T) {
	opKey, bobKey := sshchattest.NewKey(t), sshchattest.NewKey(t)
	srv, op := startWithOperator(t, sshchat.Config{}, opKey)
	talker := dialWelcome(t, srv.Addr, sshchattest.Options{User: "talker"})
	// bob's key owns the nick bob, then bob only tails.
	bob := dialWelcome(t, srv.Addr, sshchattest.Options{User: "bob", Key: bobKey})
	bob.Send("/quit")
	bob.WaitClosed()

	talker.Send("zero")
	talker.WaitFor("talker: zero")
	tail := startTail(t, srv.Addr, bobKey, "bob")
	tail.waitOut("talker: zero")
	talker.Send("first")
	tail.waitOut("talker: first")
	op.Send("/kick bob enough")
	op.WaitFor("*** bob was kicked by oper: enough")
	if s := tail.status(); s != 3 {
		t.Fatalf("kicked tail exited %d, want 3", s)
	}
	if !strings.Contains(tail.stderr.String(), "kicked by oper") {
		t.Errorf("kicked tail's stderr: %q", tail.stderr.String())
	}

	tail = startTail(t, srv.Addr, bobKey, "bob")
	tail.waitOut("talker: first")
	talker.Send("second")
	tail.waitOut("talker: second")
	op.Send("/ban bob")
	op.WaitFor("*** bob was banned by oper.")
	if s := tail.status(); s != 4 {
		t.Fatalf("banned tail exited %d, want 4", s)
	}
	talker.Send("third")
	talker.WaitFor("talker: third")
	if strings.Contains(tail.stdout.String(), "third") {
		t.Fatal("the banned key's tail received a line after the ban")
	}
	expectRefused(t, srv.Addr, "bob", bobKey, "You are banned from this server.")
}

// A mute covers everything others would see from the key, in all of its
// sessions: lines, /me, the topic of a room it created, nick changes (which
// are announced), away notes, one-shot say.
func TestMuteCoversTopicNickAndEverySession(t *testing.T) {
	opKey, carolKey := sshchattest.NewKey(t), sshchattest.NewKey(t)
	srv, op := startWithOperator(t, sshchat.Config{}, opKey)
	carol := dialWelcome(t, srv.Addr, sshchattest.Options{User: "carol", Key: carolKey})
	carol.Send("/join #carols") // carol creates the room: she may set its topic
	carol.WaitFor("You are now in #carols")
	other := dialWelcome(t, srv.Addr, sshchattest.Options{User: "carol", Key: carolKey}) // carol_2, her second session
	op.Send("/mute carol")
	op.WaitFor("*** carol is muted.")
	carol.WaitFor("*** You were muted by oper.")
	other.WaitFor("*** You were muted by oper.")

	for c, refusals := range map[*sshchattest.Client][][2]string{
		carol: {{"/topic buy cheap stuff", "*** Topic not set: you are muted."}, {"/nick carolyn", "*** Not changed: you are muted."}, {"/away buy cheap stuff", "*** Not marked away: you are muted."}},
		other: {{"hello from the second session", "*** Not sent: you are muted."}, {"/me waves", "*** Not sent: you are muted."}},
	} {
		for _, r := range refusals {
			if out := block(t, c, r[0]); !hasLine(out, r[1]) {
				t.Errorf("%s: got %q, want %q", r[0], out, r[1])
			}
		}
	}
	if _, stderr, status := run(t, srv.Addr, carolKey, "carol", "say '#carols' buy cheap stuff"); status != 1 || !strings.Contains(stderr, "muted") {
		t.Errorf("muted say: status %d, %q", status, stderr)
	}
	op.Send("/join #carols")
	op.WaitFor("You are now in #carols")
	op.Send("/topic")
	op.WaitFor("#carols has no topic.")
}

// Keys in the admins file are the server's own administrators: an operator
// made with /op cannot ban, mute or kick them, online or not.
func TestOpGrantedOperatorCannotTouchAdminsFileKeys(t *testing.T) {
	rootKey, modKey := sshchattest.NewKey(t), sshchattest.NewKey(t)
	srv, root := startWithOperator(t, sshchat.Config{}, rootKey) // "oper"
	mod := dialWelcome(t, srv.Addr, sshchattest.Options{User: "mod", Key: modKey})
	root.Send("/op mod")
	mod.WaitFor("*** mod is now an operator (by oper).")
	for _, r := range [][2]string{
		{"/ban oper", "*** Not banned: oper's key is in the admins file."},
		{"/ban " + keyFingerprint(rootKey) + " 1h", "*** Not banned: oper's key is in the admins file."},
		{"/mute oper", "*** Not muted: oper's key is in the admins file."},
		{"/kick oper", "*** Not kicked: oper's key is in the admins file."},
		{"/deop oper", "*** oper is an operator through the admins file; remove the key there."},
	} {
		if out := block(t, mod, r[0]); !hasLine(out, r[1]) {
			t.Errorf("%s: got %q, want %q", r[0], out, r[1])
		}
	}
	root.Send("still here")
	mod.WaitFor("oper: still here")
}

// An address ban that covers the operator's own address would lock every
// operator out: it is refused unless forced, and even then no key from the
// admins file is refused for its address.
func TestBanOfOwnAddressIsRefused(t *testing.T) {
	rootKey, modKey, bobKey := sshchattest.NewKey(t), sshchattest.NewKey(t), sshchattest.NewKey(t)
	srv, root := startWithOperator(t, sshchat.Config{}, rootKey)
	mod := dialWelcome(t, srv.Addr, sshchattest.Options{User: "mod", Key: modKey})
	root.Send("/op mod")
	mod.WaitFor("*** mod is now an operator (by oper).")
	for _, c := range []*sshchattest.Client{root, mod} {
		out := block(t, c, "/ban ip:127.0.0.0/8")
		if !strings.Contains(out, "*** Not banned: ip:127.0.0.0/8 covers your own address (127.0.0.1) and would lock you out.") {
			t.Fatalf("a ban of the operator's own address: %q", out)
		}
	}
	if out := block(t, root, "/bans"); !hasLine(out, "*** No bans in force.") {
		t.Fatalf("/bans after refused bans: %q", out)
	}
	// Forced: everyone from the range goes, except admins-file keys.
	root.Send("/ban ip:127.0.0.0/8 force 1h testing")
	root.WaitFor("*** ip:127.0.0.0/8 was banned by oper for 1h: testing")
	mod.WaitDisconnected()
	expectRefused(t, srv.Addr, "bob", bobKey, "Your address is banned from this server: testing (for another 1h).")
	again := expectAdmitted(t, srv.Addr, "root2", rootKey)
	again.Close()
	root.Send("/unban ip:127.0.0.0/8")
	root.WaitFor("*** ip:127.0.0.0/8 is no longer banned.")
	expectAdmitted(t, srv.Addr, "bob", bobKey).Close()
}

// A mistyped duration changes nothing: it is neither taken as "for good"
// nor as the reason.
func TestUnparsableDurationChangesNothing(t *testing.T) {
	opKey, bobKey := sshchattest.NewKey(t), sshchattest.NewKey(t)
	srv, op := startWithOperator(t, sshchat.Config{}, opKey)
	bob := dialWelcome(t, srv.Addr, sshchattest.Options{User: "bob", Key: bobKey})
	for _, r := range [][2]string{
		{"/mute bob 5x", "*** 5x is not a duration: use 30m, 2h, 7d, 2w."},
		{"/mute bob 90", "*** 90 is not a duration: use 30m, 2h, 7d, 2w."},
		{"/ban bob 30min", "*** 30min is not a duration: use 30m, 2h, 7d, 2w."},
		{"/ban bob force 1x", "*** 1x is not a duration: use 30m, 2h, 7d, 2w."},
		{"/bans", "*** No bans in force."},
	} {
		if out := block(t, op, r[0]); !hasLine(out, r[1]) {
			t.Errorf("%s: got %q, want %q", r[0], out, r[1])
		}
	}
	bob.Send("still talking")
	op.WaitFor("bob: still talking")
	if strings.Contains(bob.Text(), "You were") {
		t.Fatalf("bob was acted on:\n%s", bob.Text())
	}
}

// Repeating a command says so instead of pretending to act again; nobody
// can kick or mute themselves.
func TestRepeatedModerationSaysSo(t *testing.T) {
	opKey, carolKey, bobKey := sshchattest.NewKey(t), sshchattest.NewKey(t), sshchattest.NewKey(t)
	clock := newFakeClock(time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)) // "for another 1h" to the second
	srv, op := startWithOperator(t, sshchat.Config{Now: clock.Now}, opKey)
	carol := dialWelcome(t, srv.Addr, sshchattest.Options{User: "carol", Key: carolKey})
	dialWelcome(t, srv.Addr, sshchattest.Options{User: "bob", Key: bobKey})
	dialWelcome(t, srv.Addr, sshchattest.Options{User: "robert"})
	op.Send("/op carol")
	carol.WaitFor("*** carol is now an operator (by oper).")
	op.Send("/mute bob 1h")
	op.WaitFor("*** bob is muted for 1h.")
	for _, r := range [][2]string{
		{"/op carol", "*** carol is already an operator."},
		{"/op oper", "*** oper is already an operator."},
		{"/deop bob", "*** bob is not an operator."},
		{"/mute bob", "*** bob is already muted for another 1h; /unmute them first to change it."},
		{"/unmute robert", "*** robert is not muted."},
		{"/kick oper", "*** Not kicked: that is you. /quit leaves."},
		{"/mute oper", "*** Not muted: that is you."},
		{"/ban oper", "*** Not banned: that is your own key."},
		{"/unignore robert", "*** You are not ignoring robert."},
	} {
		if out := block(t, op, r[0]); !hasLine(out, r[1]) {
			t.Errorf("%s: got %q, want %q", r[0], out, r[1])
		}
	}
	op.Send("/ignore robert")
	op.WaitFor("*** Ignoring robert")
	if out := block(t, op, "/ignore robert"); !hasLine(out, "*** You already ignore robert.") {
		t.Errorf("/ignore twice: %q", out)
	}
	op.Send("/ban bob 2h")
	op.WaitFor("*** bob was banned by oper for 2h.")
	if out := block(t, op, "/ban bob"); !hasLine(out, "*** bob is already banned for another 2h; /unban it first to change the ban.") {
		t.Errorf("/ban twice: %q", out)
	}
	op.Send("/modlog")
	op.WaitFor("ban bob (" + keyFingerprint(bobKey) + "): for 2h")
}
