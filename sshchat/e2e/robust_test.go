// Over 400 lines on purpose, for now: one short test per way a session
// can go wrong (window changes, stuck readers, floods, escape injection,
// disconnects, shutdown, authentication, caps). Other branches add tests
// here while this layout lands; split it by subject once they are merged.

package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

func TestWindowChangesNeverHang(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	early := func(s *gossh.Session) {
		// Window changes between pty-req and shell used to block the
		// session's request loop for good.
		for i := range 100 {
			if err := s.WindowChange(24+i%10, 40+i); err != nil {
				t.Errorf("window change %d: %v", i, err)
			}
		}
	}
	a := dialWelcome(t, srv.Addr, sshchattest.Options{User: "resizer", PTY: true, BeforeShell: early})
	b := dialWelcome(t, srv.Addr, sshchattest.Options{User: "other"})
	for i := range 100 {
		// Including absurd sizes: 0 and 60,000 columns are clamped.
		w := []int{0, 1, 60000, 80, 132}[i%5]
		if err := a.Sess.WindowChange(24, w); err != nil {
			t.Fatalf("window change %d: %v", i, err)
		}
		if i%10 == 0 {
			a.Send(fmt.Sprintf("still here %d", i))
		}
	}
	a.Send("done resizing")
	b.WaitFor("resizer: done resizing")
	b.Send("reply")
	a.WaitFor("other: reply")
}

func TestStuckReaderIsCutOffAndCostsOthersNothing(t *testing.T) {
	// A large outbox, so that it is the watchdog (a write blocked for
	// StuckTimeout), not the outbox bound, that cuts the stuck client.
	srv := sshchattest.Start(t, sshchat.Config{StuckTimeout: time.Second, OutboxBytes: 64 << 20})
	stuck := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "stuck", PTY: true, NoRead: true})
	sender := dialWelcome(t, srv.Addr, sshchattest.Options{User: "sender"})
	plain := dialWelcome(t, srv.Addr, sshchattest.Options{User: "plain"})
	tty := dialWelcome(t, srv.Addr, sshchattest.Options{User: "tty", PTY: true})

	// 5 MB of chat: far beyond the stuck client's 2 MiB SSH window.
	const lines = 5600
	filler := strings.Repeat("x", 880)
	var batch strings.Builder
	for i := range lines {
		fmt.Fprintf(&batch, "%05d %s\n", i, filler)
	}
	go func() { io.WriteString(sender.Stdin(), batch.String()) }()

	stuck.WaitDisconnected()
	for _, c := range []*sshchattest.Client{plain, tty} {
		c.WaitCount(filler, lines)
		// Lines arrive in order: once the last is whole, all are.
		text := c.WaitFor(fmt.Sprintf("sender: %05d %s\n", lines-1, filler))
		if !strings.Contains(text, fmt.Sprintf("sender: %05d %s\n", lines-1, filler)) {
			t.Fatalf("last line missing")
		}
	}
	plain.WaitFor("stuck left #lobby.")
	if !strings.Contains(srv.Logs.String(), "kick stuck client") {
		t.Fatalf("no kick logged")
	}
}

func TestFloodLosesNothing(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	flooder := dialWelcome(t, srv.Addr, sshchattest.Options{User: "flooder", PTY: true})
	a := dialWelcome(t, srv.Addr, sshchattest.Options{User: "a"})
	b := dialWelcome(t, srv.Addr, sshchattest.Options{User: "b", PTY: true})
	var batch strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&batch, "flood %04d\r", i)
	}
	flooder.Write(batch.String())
	for _, c := range []*sshchattest.Client{a, b} {
		text := c.WaitFor("flooder: flood 0999\n") // in order: all are there once the last is whole
		last := -1
		for _, line := range strings.Split(text, "\n") {
			var n int
			// A pty screen shows the prompt before each line it redraws.
			if i := strings.Index(line, "flooder: flood "); i < 0 {
				continue
			} else if _, err := fmt.Sscanf(line[i:], "flooder: flood %d", &n); err == nil {
				if n != last+1 {
					t.Fatalf("line %d after %d", n, last)
				}
				last = n
			}
		}
	}
}

func TestEscapeInjectionIsNeutralized(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	plain := dialWelcome(t, srv.Addr, sshchattest.Options{User: "watcher"})
	tty := dialWelcome(t, srv.Addr, sshchattest.Options{User: "ttywatcher", PTY: true})
	evil := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "ev\x1b[2Jil\u202e\x9b", PTY: false})
	evil.WaitFor("Welcome to #lobby, ev2Jil!") // ESC removed, then only nick characters kept

	evil.Send("clear\x1b[2J\x1b]0;pwned\x07 bidi\u202eevil\u2066 c1\u009b31m del\x7f bad\xff utf8")
	evil.Send("*** fake announcement\r*** another")
	evil.Send("/me \x1b[1A*** also fake")
	for _, c := range []*sshchattest.Client{plain, tty} {
		// Runs of asterisks in user text are cut to two (see
		// TestSoftWrapCannotForgeServerLine).
		c.WaitFor("ev2Jil: ** another")
		c.WaitFor("* ev2Jil [1A** also fake")
	}
	raw := plain.Raw()
	if strings.ContainsAny(raw, "\x1b\x07\x7f\u202e\u2066\u009b") {
		t.Fatalf("plain output carries control or bidi characters: %q", raw)
	}
	if !strings.Contains(raw, "ev2Jil: clear[2J]0;pwned bidievil c131m del bad\uFFFD utf8\n") {
		t.Fatalf("sanitized line not found in %q", raw)
	}
	for _, line := range strings.Split(plain.Text(), "\n") {
		if strings.HasPrefix(line, "*** fake") || strings.HasPrefix(line, "*** another") {
			t.Fatalf("a user forged a server line: %q", line)
		}
	}
	ttyRaw := tty.Raw()
	for _, bad := range []string{"\x1b[2J", "\x1b]0;", "\u202e", "\u009b", "\x1b[1A*"} {
		if strings.Contains(ttyRaw, bad) {
			t.Fatalf("pty output carries %q", bad)
		}
	}
}

func TestPlainModeProtocol(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	bot := dialWelcome(t, srv.Addr, sshchattest.Options{User: "bot"})
	// LF, CR and CRLF each end one line; CRLF makes no empty line.
	bot.Write("one\ntwo\rthree\r\nfour\n")
	text := bot.WaitFor("bot: four\n")
	if !strings.Contains(text, "bot: one\nbot: two\nbot: three\nbot: four\n") {
		t.Fatalf("lines not split as sent:\n%q", text)
	}
	if strings.ContainsAny(bot.Raw(), "\x1b\r") {
		t.Fatalf("plain output carries escapes or CRs: %q", bot.Raw())
	}
	// End of input ends the session with status 0 after the lines are
	// posted, like `printf 'hello\n' | ssh -T host`.
	bot.Write("last words\n")
	bot.CloseStdin()
	if err := bot.WaitClosed(); err != nil {
		t.Fatalf("session ended with %v, want status 0", err)
	}
	if !strings.Contains(bot.Text(), "bot: last words\n") {
		t.Fatalf("last line lost: %q", bot.Text())
	}
}

func TestLongLinesAreRefusedWithAMessage(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{MaxLine: 100})
	bot := dialWelcome(t, srv.Addr, sshchattest.Options{User: "bot"})
	tty := dialWelcome(t, srv.Addr, sshchattest.Options{User: "tty", PTY: true})

	bot.Send(strings.Repeat("a", 100))
	tty.WaitFor("bot: " + strings.Repeat("a", 100))
	bot.Send(strings.Repeat("b", 101))
	bot.WaitFor("Not sent: the line is over 100 bytes long (the limit is 100).")
	bot.Send(strings.Repeat("c", 1<<20)) // a megabyte without a newline
	bot.WaitCount("Not sent: the line is over 100 bytes long", 2)

	tty.Send(strings.Repeat("d", 150))
	tty.WaitFor("Not sent: the line is 150 bytes long and the limit is 100.")
	// A bracketed paste bypasses x/term's own limit; it is still refused.
	tty.Write("\x1b[200~" + strings.Repeat("e", 300000) + "\x1b[201~\r")
	tty.WaitFor("Not sent: the line is")
	bot.Send("still fine")
	tty.WaitFor("bot: still fine")
	if strings.Contains(tty.Text(), "bbbb") || strings.Contains(bot.Text(), "dddd") {
		t.Fatal("an over-long line was delivered")
	}
}

func TestOwnLineIsShownOnce(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	a := dialWelcome(t, srv.Addr, sshchattest.Options{User: "alice", PTY: true, Width: 40, Height: 10})
	a.Send("short line")
	a.WaitFor("alice: short line")
	raw := a.Raw()
	echo := strings.Index(raw, "short line")
	erase := strings.Index(raw[echo:], "\x1b[1A\r\x1b[J")
	shown := strings.Index(raw, "\x1b[0m: short line") // after the coloured nick
	if echo < 0 || erase < 0 || shown < 0 || echo+erase > shown {
		t.Fatalf("echo not erased before the room's copy: %q", raw)
	}
	// "[alice] " is 8 columns: 8+40 = 48 columns wrap to 2 rows at width 40.
	long := strings.Repeat("w", 40)
	a.Send(long)
	a.WaitFor("alice: " + long)
	if !strings.Contains(a.Raw(), "\x1b[2A\r\x1b[J") {
		t.Fatalf("wrapped echo not erased: %q", a.Raw())
	}
}

func TestAbruptDisconnect(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	watcher := dialWelcome(t, srv.Addr, sshchattest.Options{User: "watcher"})
	for i := range 5 {
		c := dialWelcome(t, srv.Addr, sshchattest.Options{User: fmt.Sprintf("gone%d", i), PTY: i%2 == 0})
		c.Send("half a line")
		c.Write("unfinished")
		c.Conn.Close()
	}
	// The server notices each abrupt close on its own; wait for that, then
	// the room must have only the watcher left and say so.
	deadline := time.Now().Add(sshchattest.DefaultTimeout)
	for srv.Hub().Online() > 1 {
		if time.Now().After(deadline) {
			t.Fatalf("%d still online after their connections closed", srv.Hub().Online())
		}
		time.Sleep(5 * time.Millisecond)
	}
	watcher.WaitUntil("every leave announced", func(text string) bool {
		for i := range 5 {
			if !regexp.MustCompile(fmt.Sprintf(`gone%d[^\n]* left #lobby`, i)).MatchString(text) &&
				!regexp.MustCompile(fmt.Sprintf(`gone%d[^\n]* and \d+ others left #lobby`, i)).MatchString(text) {
				return false
			}
		}
		return true
	})
	watcher.Send("/who")
	watcher.WaitFor("*** 1 in #lobby: watcher")
}

func TestGracefulShutdownEndsSessionsWithStatusZero(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	tty := dialWelcome(t, srv.Addr, sshchattest.Options{User: "tty", PTY: true})
	bot := dialWelcome(t, srv.Addr, sshchattest.Options{User: "bot"})
	tty.Write("half-typed")
	srv.Stop(t)
	for _, c := range []*sshchattest.Client{tty, bot} {
		c.WaitFor("The server is shutting down. Goodbye!")
		if err := c.WaitClosed(); err != nil {
			t.Fatalf("session ended with %v, want exit status 0", err)
		}
	}
	if _, err := sshchattest.TryDial(t, srv.Addr, sshchattest.Options{User: "late"}); err == nil {
		t.Fatal("a connection was accepted after shutdown")
	}
}

func TestAuthentication(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	dialWelcome(t, srv.Addr, sshchattest.Options{User: "watcher"})

	for name, auth := range map[string][]gossh.AuthMethod{
		"none":     nil,
		"password": {gossh.Password("hunter2")},
	} {
		cfg := &gossh.ClientConfig{User: name, Auth: auth, HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second}
		if conn, err := gossh.Dial("tcp", srv.Addr, cfg); err == nil {
			conn.Close()
			t.Errorf("%s authentication was accepted", name)
		}
	}
	guest := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "visitor", Guest: true})
	guest.WaitFor("You have no SSH key, so you are the guest Guest-1.")
	if !strings.Contains(srv.Logs.String(), "nick=Guest-1 fingerprint=guest") {
		t.Error("guest not logged as a guest")
	}
	key := sshchattest.NewKey(t)
	dialWelcome(t, srv.Addr, sshchattest.Options{User: "keyed", Key: key})
	if want := "nick=keyed fingerprint=" + gossh.FingerprintSHA256(key.PublicKey()); !strings.Contains(srv.Logs.String(), want) {
		t.Errorf("log lacks %q", want)
	}
}

func TestHandshakeTimeoutDropsSilentConnections(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{HandshakeTimeout: 200 * time.Millisecond})
	var conns []net.Conn
	for range 20 {
		conn, err := net.Dial("tcp", srv.Addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, conn)
	}
	for _, conn := range conns {
		// The server sends its version line, then closes: reading to EOF
		// proves the connection was dropped.
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.Copy(io.Discard, conn); err != nil {
			t.Fatalf("connection not closed by the server: %v", err)
		}
		conn.Close()
	}
	dialWelcome(t, srv.Addr, sshchattest.Options{User: "normal"})
}

func TestConnectionCaps(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{MaxConnsPerIP: 2, MaxConns: 3})
	dialFrom := func(ip string) (*sshchattest.Client, error) {
		return sshchattest.TryDialFrom(t, srv.Addr, ip, sshchattest.Options{User: "u"})
	}
	a, err := dialFrom("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dialFrom("127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	if _, err := dialFrom("127.0.0.1"); err == nil {
		t.Fatal("third connection from one address was accepted")
	}
	if _, err := dialFrom("127.0.0.2"); err != nil {
		t.Fatalf("another address was refused: %v", err)
	}
	if _, err := dialFrom("127.0.0.3"); err == nil {
		t.Fatal("fourth connection in total was accepted")
	}
	// Closing a connection frees its slot.
	a.Close()
	deadline := time.Now().Add(sshchattest.DefaultTimeout)
	for {
		if _, err := dialFrom("127.0.0.1"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("slot not released after the connection closed")
		}
	}
}

func TestPastedLinesArriveWholeAndInOrderWhenPaced(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{Rate: 100, Burst: 20})
	paster := dialWelcome(t, srv.Addr, sshchattest.Options{User: "paster", PTY: true})
	reader := dialWelcome(t, srv.Addr, sshchattest.Options{User: "reader"})
	var paste strings.Builder
	for i := range 200 {
		fmt.Fprintf(&paste, "pasted line %03d\r", i)
	}
	paster.Write("\x1b[200~" + paste.String() + "\x1b[201~")
	text := reader.WaitFor("paster: pasted line 199\n") // the last line, whole
	var order []string
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "paster: pasted line ") {
			order = append(order, line)
		}
	}
	for i, line := range order {
		if want := fmt.Sprintf("paster: pasted line %03d", i); line != want {
			t.Fatalf("line %d is %q, want %q", i, line, want)
		}
	}
}

func TestKeyTypes(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	rsaKey := func(bits int) gossh.Signer {
		k, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			t.Fatal(err)
		}
		s, err := gossh.NewSignerFromKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecSigner, err := gossh.NewSignerFromKey(ecKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		key  gossh.Signer
		ok   bool
	}{
		{"ed25519", sshchattest.NewKey(t), true},
		{"ecdsa-p256", ecSigner, true},
		{"rsa-2048", rsaKey(2048), true},
		{"rsa-1024", rsaKey(1024), false},
	} {
		cfg := &gossh.ClientConfig{User: tc.name, Auth: []gossh.AuthMethod{gossh.PublicKeys(tc.key)},
			HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second}
		conn, err := gossh.Dial("tcp", srv.Addr, cfg)
		if err == nil {
			conn.Close()
		}
		if (err == nil) != tc.ok {
			t.Errorf("%s: accepted=%v, want %v (%v)", tc.name, err == nil, tc.ok, err)
		}
	}
}

func TestHalfOpenConnectionsLeaveNoTrace(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{HandshakeTimeout: 500 * time.Millisecond})
	user := dialWelcome(t, srv.Addr, sshchattest.Options{User: "regular"})
	baseline := runtime.NumGoroutine()

	// 300 attempts that never finish a handshake: silent sockets, and
	// sockets that stop after the first bytes of a version line.
	var conns []net.Conn
	for i := range 300 {
		conn, err := net.Dial("tcp", srv.Addr)
		if err != nil {
			t.Fatalf("attempt %d: %v", i, err)
		}
		if i%2 == 1 {
			io.WriteString(conn, "SSH-2.0-")
		}
		conns = append(conns, conn)
	}
	// The server keeps answering normal users meanwhile.
	other := dialWelcome(t, srv.Addr, sshchattest.Options{User: "newcomer"})
	other.Send("still answering")
	user.WaitFor("newcomer: still answering")

	for _, conn := range conns {
		conn.SetReadDeadline(time.Now().Add(sshchattest.DefaultTimeout))
		if _, err := io.Copy(io.Discard, conn); err != nil {
			t.Fatalf("half-open connection not dropped: %v", err)
		}
		conn.Close()
	}
	other.Close()
	user.WaitFor("newcomer left #lobby.")
	deadline := time.Now().Add(sshchattest.DefaultTimeout)
	for runtime.NumGoroutine() > baseline {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines, baseline %d", runtime.NumGoroutine(), baseline)
		}
		runtime.Gosched()
		time.Sleep(10 * time.Millisecond)
	}
}

func TestWideCharactersEraseByDisplayWidth(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	a := dialWelcome(t, srv.Addr, sshchattest.Options{User: "alice", PTY: true, Width: 40, Height: 10})
	b := dialWelcome(t, srv.Addr, sshchattest.Options{User: "bob"})
	// "[alice #lobby] " is 15 cells; 15 CJK characters are 30 cells: 45
	// cells wrap to 2 rows at width 40, though they are only 30 runes.
	wide := strings.Repeat("語", 15)
	a.Send(wide)
	b.WaitFor("alice: " + wide + "\n") // the bytes arrive intact
	a.WaitFor("alice: " + wide)
	raw := a.Raw()
	echo := strings.Index(raw, wide)
	if erase := strings.Index(raw[echo:], "\x1b[2A\r\x1b[J"); erase < 0 {
		t.Fatalf("a 2-row echo of wide characters was not erased as 2 rows: %q", raw[echo:])
	}
	// Emoji with a variation selector and a ZWJ sequence are one cell pair
	// each on screen and pass through untouched.
	emoji := "👍🏽 👩‍💻 ❤️"
	a.Send(emoji)
	b.WaitFor("alice: " + emoji + "\n")
}

func TestTabCompletesNicksCommandsAndRooms(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	a := dialWelcome(t, srv.Addr, sshchattest.Options{User: "alice", PTY: true})
	for _, n := range []string{"bobby", "bella"} {
		dialWelcome(t, srv.Addr, sshchattest.Options{User: n})
	}
	a.WaitFor("bella joined")
	b := dialWelcome(t, srv.Addr, sshchattest.Options{User: "watcher"})
	// "b" + Tab + Tab cycles bella -> bobby; at the start of a line a nick
	// gets ": ".
	a.Write("b\t\thi\r")
	b.WaitFor("alice: bobby: hi\n")
	a.Write("/wh\t\r") // the first match in order: /who
	a.WaitFor("in #lobby:")
	a.Write("/join #dev\r")
	a.WaitFor("You are now in #dev")
	a.Write("/part\r")
	a.WaitFor("You are now in #lobby")
	a.Write("see #d\t\r")
	b.WaitFor("alice: see #dev \n")
}

func TestKickedAndBannedPeopleAreToldWhy(t *testing.T) {
	opKey := sshchattest.NewKey(t)
	srv := sshchattest.Start(t, sshchat.Config{AdminsFile: writeAdmins(t, opKey)})
	op := dialWelcome(t, srv.Addr, sshchattest.Options{User: "op", Key: opKey})
	bob := dialWelcome(t, srv.Addr, sshchattest.Options{User: "bob", PTY: true})
	op.Send("/kick bob calm down")
	bob.WaitFor("You were kicked by op: calm down")
	// Exit status 3 says "kicked" (it was 0 before issue 8: see
	// TestKickedOrBannedSessionExitsNonZero).
	var exit *gossh.ExitError
	if err := bob.WaitClosed(); !errors.As(err, &exit) || exit.ExitStatus() != 3 {
		t.Fatalf("the kicked session ended with %v, want status 3", err)
	}
	carol := dialWelcome(t, srv.Addr, sshchattest.Options{User: "carol"})
	op.Send("/ban carol 1h spam")
	carol.WaitFor("You were banned by op for 1h: spam")
	carol.WaitDisconnected()
}

func TestSessionsPerConnectionAreCapped(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{MaxConns: 1, MaxConnsPerIP: 1})
	conn, err := gossh.Dial("tcp", srv.Addr, sshchattest.ClientConfig(t, sshchattest.Options{User: "multi"}))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var outs []*strings.Builder // kept so the sessions' output has somewhere to go
	for i := range 5 {
		sess, err := conn.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		var out, errOut strings.Builder
		sess.Stdout, sess.Stderr = &out, &errOut
		stdin, _ := sess.StdinPipe()
		defer stdin.Close()
		if err := sess.Shell(); err != nil {
			t.Fatal(err)
		}
		if i == 4 {
			// The fifth session is refused at once, with a reason.
			var exit *gossh.ExitError
			if err := sess.Wait(); !errors.As(err, &exit) || exit.ExitStatus() != 1 {
				t.Fatalf("fifth session: %v", err)
			}
			if !strings.Contains(errOut.String(), "at most 4 sessions per connection") {
				t.Fatalf("fifth session said %q", errOut.String())
			}
		}
		outs = append(outs, &out)
	}
	deadline := time.Now().Add(sshchattest.DefaultTimeout)
	for srv.Hub().Online() != 4 {
		if time.Now().After(deadline) {
			t.Fatalf("%d members online from one connection, want 4", srv.Hub().Online())
		}
		time.Sleep(5 * time.Millisecond)
	}
	_ = outs
}

func TestAuthenticatedConnectionWithoutSessionIsClosed(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{HandshakeTimeout: 300 * time.Millisecond})
	conn, err := gossh.Dial("tcp", srv.Addr, sshchattest.ClientConfig(t, sshchattest.Options{User: "idle"}))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	done := make(chan error, 1)
	go func() { done <- conn.Wait() }()
	select {
	case <-done:
	case <-time.After(sshchattest.DefaultTimeout):
		t.Fatal("a connection that opened no session was kept open")
	}
	if !strings.Contains(srv.Logs.String(), "no session opened in time") {
		t.Fatal("not logged")
	}
}

func TestUpArrowRecallsTypedLines(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	a := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "alice", PTY: true})
	a.WaitFor("Welcome")
	b := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "bob"})
	b.WaitFor("Welcome")
	a.Send("first line")
	a.Send("second line")
	b.WaitFor("alice: second line")
	a.Write("\x1b[A\x1b[A\r") // Up, Up, Enter: the line before last again
	b.WaitCount("alice: first line", 2)
	a.Write("\x1bOA\r") // SS3 Up (tmux, screen): the last line
	b.WaitCount("alice: first line", 3)
}
