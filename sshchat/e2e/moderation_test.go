// Over 400 lines: one subject, moderation commands end to end, each test
// with the sessions of operator and target it needs.

package e2e

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// authAttempt connects with key (nil: no key) and, when kbdInteractive is
// set, a keyboard-interactive fallback that records the server's
// instruction text (where the server explains a refusal). It returns the
// handshake's error and the instructions shown.
func authAttempt(t *testing.T, addr, user string, key gossh.Signer, kbdInteractive bool) (error, []string) {
	t.Helper()
	return authAttemptFrom(t, addr, "127.0.0.1", user, key, kbdInteractive)
}

// authAttemptFrom is authAttempt from the loopback address localIP.
func authAttemptFrom(t *testing.T, addr, localIP, user string, key gossh.Signer, kbdInteractive bool) (error, []string) {
	t.Helper()
	var mu sync.Mutex
	var shown []string
	var auth []gossh.AuthMethod
	if key != nil {
		auth = append(auth, gossh.PublicKeys(key))
	}
	if kbdInteractive {
		auth = append(auth, gossh.KeyboardInteractive(func(name, instruction string, questions []string, echos []bool) ([]string, error) {
			mu.Lock()
			defer mu.Unlock()
			if name != "" {
				shown = append(shown, name)
			}
			if instruction != "" {
				shown = append(shown, instruction)
			}
			return make([]string, len(questions)), nil
		}))
	}
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(localIP)}, Timeout: sshchattest.DefaultTimeout}
	tcp, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	conn, chans, reqs, err := gossh.NewClientConn(tcp, addr, &gossh.ClientConfig{
		User:            user,
		Auth:            auth,
		HostKeyCallback: gossh.InsecureIgnoreHostKey(),
		Timeout:         sshchattest.DefaultTimeout,
	})
	if err == nil {
		gossh.NewClient(conn, chans, reqs).Close()
	}
	mu.Lock()
	defer mu.Unlock()
	return err, shown
}

// expectRefused checks that key (nil: a guest) cannot get in, neither with
// the key alone nor with the keyboard-interactive fallback every OpenSSH
// client has, and that the fallback shows exactly the one line why.
func expectRefused(t *testing.T, addr, user string, key gossh.Signer, why string) {
	t.Helper()
	if key != nil {
		if err, _ := authAttempt(t, addr, user, key, false); err == nil {
			t.Errorf("%s: key-only authentication was accepted, want refused (%s)", user, why)
		}
	}
	err, shown := authAttempt(t, addr, user, key, true)
	if err == nil {
		t.Errorf("%s: authentication with keyboard-interactive fallback was accepted, want refused (%s)", user, why)
	}
	if len(shown) != 1 || shown[0] != why {
		t.Errorf("%s: the refusal explained %q, want exactly [%q]", user, shown, why)
	}
	// The harness's default options (key, then keyboard-interactive) too.
	if _, err := sshchattest.TryDial(t, addr, sshchattest.Options{User: user, Key: key, Guest: key == nil}); err == nil {
		t.Errorf("%s: sshchattest.TryDial was accepted, want refused", user)
	}
}

// expectAdmitted checks that key can connect and chat again.
func expectAdmitted(t *testing.T, addr, user string, key gossh.Signer) *sshchattest.Client {
	t.Helper()
	c, err := sshchattest.TryDial(t, addr, sshchattest.Options{User: user, Key: key})
	if err != nil {
		t.Fatalf("%s (%s) refused, want admitted: %v", user, keyFingerprint(key), err)
	}
	c.WaitFor("Welcome to #lobby")
	return c
}

var opCommands = []string{"kick", "ban", "unban", "bans", "mute", "unmute", "op", "deop", "modlog"}

func TestOperatorsFromAdminsFileAndOp(t *testing.T) {
	opKey, bobKey, carolKey := sshchattest.NewKey(t), sshchattest.NewKey(t), sshchattest.NewKey(t)
	admins := writeAdmins(t, opKey)
	srv := sshchattest.Start(t, sshchat.Config{AdminsFile: admins})

	op := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "oper", Key: opKey})
	op.WaitFor("Welcome to #lobby, oper!")
	bob := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "bob", Key: bobKey})
	bob.WaitFor("Welcome to #lobby, bob!")
	guest := dialWelcome(t, srv.Addr, sshchattest.Options{User: "g", Guest: true})

	for _, c := range []*sshchattest.Client{bob, guest} {
		for _, cmd := range opCommands {
			c.Send("/" + cmd + " oper")
			c.WaitFor(fmt.Sprintf("*** /%s: not permitted (operators only).", cmd))
		}
	}
	if strings.Contains(bob.Text(), "Operator commands:") {
		t.Error("a non-operator's text shows operator commands")
	}
	op.Send("/modlog")
	op.WaitFor("*** The moderation log is empty.")
	op.Send("/help")
	op.WaitFor("Operator commands:")

	// /op grants durably.
	op.Send("/op bob")
	bob.WaitFor("*** bob is now an operator (by oper).")
	bob.Send("/bans")
	bob.WaitFor("*** No bans in force.")
	// ... but cannot take away an operator from the admins file.
	bob.Send("/deop oper")
	bob.WaitFor("*** oper is an operator through the admins file; remove the key there.")

	srv = restart(t, srv, op, bob, guest)
	bob = sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "bob", Key: bobKey})
	bob.WaitFor("Welcome to #lobby, bob!")
	bob.Send("/bans")
	bob.WaitFor("*** No bans in force.")
	op = sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "oper", Key: opKey})
	op.WaitFor("Welcome to #lobby, oper!")
	op.Send("/whois bob")
	op.WaitFor("*** bob is an operator.")

	op.Send("/deop bob")
	bob.WaitFor("*** bob is no longer an operator (by oper).")
	bob.Send("/bans")
	bob.WaitFor("*** /bans: not permitted (operators only).")

	// Reload re-reads the admins file: carol is added, oper removed.
	carol := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "carol", Key: carolKey})
	carol.WaitFor("Welcome to #lobby, carol!")
	carol.Send("/modlog")
	carol.WaitFor("*** /modlog: not permitted (operators only).")
	writeKeyFile(t, admins, carolKey)
	if err := srv.Reload(); err != nil {
		t.Fatal(err)
	}
	carol.Send("/modlog")
	carol.WaitFor("moderation actions:")
	op.Send("/modlog")
	op.WaitFor("*** /modlog: not permitted (operators only).")

	// A broken file keeps the previous list.
	if err := os.WriteFile(admins, []byte("not a key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := srv.Reload(); err == nil {
		t.Error("Reload accepted an admins file that is not authorized_keys")
	}
	carol.Send("/modlog 1")
	carol.WaitFor("*** Last 1 moderation action:")
}

func TestKickEndsTheSessionAndEveryoneSeesIt(t *testing.T) {
	opKey := sshchattest.NewKey(t)
	srv, op := startWithOperator(t, sshchat.Config{}, opKey)
	bob := dialWelcome(t, srv.Addr, sshchattest.Options{User: "bob", PTY: true})
	carol := dialWelcome(t, srv.Addr, sshchattest.Options{User: "carol"})
	guest := dialWelcome(t, srv.Addr, sshchattest.Options{User: "x", Guest: true})

	carol.Send("/kick bob")
	carol.WaitFor("*** /kick: not permitted (operators only).")

	op.Send("/kick bob being rude")
	const announcement = "*** bob was kicked by oper: being rude\n"
	carol.WaitFor(announcement)
	op.WaitFor(announcement)
	bob.WaitDisconnected()
	op.Send("/kick Guest-1")
	carol.WaitFor("*** Guest-1 was kicked by oper.\n")
	guest.WaitDisconnected()
	op.Send("/kick nobody")
	op.WaitFor("*** No one called nobody is online.")
	if n := strings.Count(carol.Text(), "was kicked by"); n != 2 {
		t.Errorf("carol saw %d kick announcements, want 2:\n%s", n, carol.Text())
	}
	op.Send("/modlog")
	text := op.WaitFor("kick Guest-1 (guest)")
	if want := fmt.Sprintf("oper (%s) kick bob (", keyFingerprint(opKey)); !strings.Contains(text, want) || !strings.Contains(text, "): being rude") {
		t.Errorf("/modlog lacks the kick of bob with who, whom and why:\n%s", text)
	}
}

func TestBans(t *testing.T) {
	clock := newFakeClock(time.Now())
	opKey, bobKey, daveKey := sshchattest.NewKey(t), sshchattest.NewKey(t), sshchattest.NewKey(t)
	srv, op := startWithOperator(t, sshchat.Config{Now: clock.Now}, opKey)
	watcher := dialWelcome(t, srv.Addr, sshchattest.Options{User: "watcher"})
	bob1 := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "bob", Key: bobKey})
	bob1.WaitFor("Welcome to #lobby, bob!")
	bob2 := sshchattest.Dial(t, srv.Addr, sshchattest.Options{User: "bob", Key: bobKey, PTY: true})
	bob2.WaitFor("bob is in use, so you are bob_2.")

	watcher.Send("/ban bob")
	watcher.WaitFor("*** /ban: not permitted (operators only).")
	op.Send("/ban oper")
	op.WaitFor("*** Not banned: that is your own key.")

	// A ban by nick takes the key: both sessions end.
	op.Send("/ban bob spamming links")
	watcher.WaitFor("*** bob was banned by oper: spamming links\n")
	bob1.WaitDisconnected()
	bob2.WaitDisconnected()
	const banned = "You are banned from this server: spamming links."
	expectRefused(t, srv.Addr, "bob", bobKey, banned)
	op.Send("/bans")
	// The nick is shown beside the key.
	op.WaitFor(fmt.Sprintf("*** 1 ban in force:\n***   bob (%s) for good, by oper (%s): spamming links\n", keyFingerprint(bobKey), keyFingerprint(opKey)))

	// Durable.
	srv = restart(t, srv, op, watcher)
	expectRefused(t, srv.Addr, "bob", bobKey, banned)
	op = dialWelcome(t, srv.Addr, sshchattest.Options{User: "oper", Key: opKey})
	op.Send("/unban bob")
	op.WaitFor("*** bob is no longer banned.")
	op.Send("/unban bob")
	op.WaitFor("*** No ban of bob is in force.")
	expectAdmitted(t, srv.Addr, "bob", bobKey).Close()

	// A timed ban expires on the injected clock.
	op.Send("/ban bob 10m cool off")
	op.WaitFor("*** bob was banned by oper for 10m: cool off\n")
	expectRefused(t, srv.Addr, "bob", bobKey, "You are banned from this server: cool off (for another 10m).")
	clock.Advance(9 * time.Minute)
	expectRefused(t, srv.Addr, "bob", bobKey, "You are banned from this server: cool off (for another 1m).")
	clock.Advance(time.Minute + time.Second)
	bob := expectAdmitted(t, srv.Addr, "bob", bobKey)
	op.Send("/bans")
	op.WaitFor("*** No bans in force.")
	bob.Close()

	// An offline key, by fingerprint.
	dave := dialWelcome(t, srv.Addr, sshchattest.Options{User: "dave", Key: daveKey})
	dave.Send("/quit") // leaves before the session ends: offline from here
	if err := dave.WaitClosed(); err != nil {
		t.Fatal(err)
	}
	op.Send("/ban " + keyFingerprint(daveKey) + " 2w ban evasion")
	op.WaitFor("*** dave was banned by oper for 2w: ban evasion\n") // the nick the key owns
	expectRefused(t, srv.Addr, "dave", daveKey, "You are banned from this server: ban evasion (for another 2w).")
	op.Send("/unban " + keyFingerprint(daveKey))
	op.WaitFor("is no longer banned.")
	expectAdmitted(t, srv.Addr, "dave", daveKey).Close()

	// An address ban refuses that address before the handshake, not others.
	op.Send("/ban ip:127.0.0.2 one address")
	op.WaitFor("*** ip:127.0.0.2 was banned by oper: one address\n")
	if _, err := sshchattest.TryDialFrom(t, srv.Addr, "127.0.0.2", sshchattest.Options{User: "fromtwo"}); err == nil {
		t.Error("a connection from the banned address 127.0.0.2 was accepted")
	}
	// Refused in authentication, where the reason can be shown, for keys
	// and guests alike.
	for _, key := range []gossh.Signer{sshchattest.NewKey(t), nil} {
		err, shown := authAttemptFrom(t, srv.Addr, "127.0.0.2", "fromtwo", key, true)
		if want := "Your address is banned from this server: one address."; err == nil || len(shown) != 1 || shown[0] != want {
			t.Errorf("from the banned address (key %v): err %v, shown %q; want refused with [%q]", key != nil, err, shown, want)
		}
	}
	if c, err := sshchattest.TryDialFrom(t, srv.Addr, "127.0.0.1", sshchattest.Options{User: "fromone"}); err != nil {
		t.Errorf("a connection from 127.0.0.1 was refused by a ban of 127.0.0.2: %v", err)
	} else {
		c.WaitFor("Welcome")
		c.Close()
	}
	op.Send("/unban ip:127.0.0.2")
	op.WaitFor("*** ip:127.0.0.2 is no longer banned.")
	c, err := sshchattest.TryDialFrom(t, srv.Addr, "127.0.0.2", sshchattest.Options{User: "fromtwo"})
	if err != nil {
		t.Fatalf("127.0.0.2 refused after /unban: %v", err)
	}
	c.WaitFor("Welcome")

	// Every action is in the audit trail: who, what, whom, why.
	op.Send("/modlog 50")
	text := op.WaitFor("unban ip:127.0.0.2")
	actor := fmt.Sprintf("oper (%s)", keyFingerprint(opKey))
	for _, want := range []string{
		actor + " ban bob (" + keyFingerprint(bobKey) + "): spamming links",
		actor + " unban bob (" + keyFingerprint(bobKey) + ")",
		actor + " ban bob (" + keyFingerprint(bobKey) + "): for 10m cool off",
		actor + " ban dave (" + keyFingerprint(daveKey) + "): for 2w ban evasion",
		actor + " unban dave (" + keyFingerprint(daveKey) + ")",
		actor + " ban ip:127.0.0.2: one address",
		actor + " unban ip:127.0.0.2",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/modlog lacks %q:\n%s", want, text)
		}
	}
}

func TestMutes(t *testing.T) {
	clock := newFakeClock(time.Now())
	opKey, bobKey := sshchattest.NewKey(t), sshchattest.NewKey(t)
	srv, op := startWithOperator(t, sshchat.Config{Now: clock.Now}, opKey)
	bob := dialWelcome(t, srv.Addr, sshchattest.Options{User: "bob", Key: bobKey})
	watcher := dialWelcome(t, srv.Addr, sshchattest.Options{User: "watcher"})

	// says has bob say text and reports whether the watcher saw it. Bob's
	// /whoami after it shows that the server has taken the line (its
	// lines are handled in order); a line op sends after that is behind
	// it in the room's one order, so it marks the point by which the
	// watcher would have received it.
	marks := 0
	says := func(text string) bool {
		t.Helper()
		marks++
		bob.Send(text)
		bob.Send("/whoami")
		bob.WaitCount("*** Your key owns the nick bob.", marks)
		mark := fmt.Sprintf("mark %d", marks)
		op.Send(mark)
		got := watcher.WaitFor("oper: " + mark + "\n")
		return strings.Contains(got, "bob: "+text+"\n")
	}

	op.Send("/mute bob")
	op.WaitFor("*** bob is muted.")
	bob.WaitFor("*** You were muted by oper.")
	if says("can you hear me") {
		t.Error("a muted member's line was delivered")
	}
	bob.WaitFor("*** Not sent: you are muted.")
	bob.Send("/me shouts")
	bob.WaitCount("*** Not sent: you are muted.", 2)
	op.Send("/unmute bob")
	bob.WaitFor("*** You may talk again.")
	if !says("back again") {
		t.Error("an unmuted member's line was not delivered")
	}

	// A timed mute ends on the injected clock.
	op.Send("/mute bob 5m")
	op.WaitFor("*** bob is muted for 5m.")
	if says("during the mute") {
		t.Error("a line said during a timed mute was delivered")
	}
	bob.WaitFor("*** Not sent: you are muted for another 5m.")
	clock.Advance(5*time.Minute + time.Second)
	if !says("after the mute") {
		t.Error("a line said after a timed mute expired was not delivered")
	}

	// Durable for keyed people.
	op.Send("/mute bob")
	op.WaitCount("*** bob is muted.", 2)
	srv = restart(t, srv, op, bob, watcher)
	op = dialWelcome(t, srv.Addr, sshchattest.Options{User: "oper", Key: opKey})
	bob = dialWelcome(t, srv.Addr, sshchattest.Options{User: "bob", Key: bobKey})
	watcher = dialWelcome(t, srv.Addr, sshchattest.Options{User: "watcher"})
	marks = 0 // bob's text starts again
	if says("after the restart") {
		t.Error("a mute did not survive a restart")
	}
	bob.WaitFor("*** Not sent: you are muted.")

	op.Send("/modlog")
	// The heading and each entry are separate lines that may arrive in
	// separate writes: wait for all of them.
	wants := []string{
		fmt.Sprintf("oper (%s) mute bob (%s)\n", keyFingerprint(opKey), keyFingerprint(bobKey)),
		fmt.Sprintf("oper (%s) mute bob (%s): for 5m\n", keyFingerprint(opKey), keyFingerprint(bobKey)),
		fmt.Sprintf("oper (%s) unmute bob (%s)\n", keyFingerprint(opKey), keyFingerprint(bobKey)),
	}
	op.WaitUntil("/modlog entries", func(text string) bool {
		for _, want := range wants {
			if !strings.Contains(text, want) {
				return false
			}
		}
		return strings.Contains(text, "moderation actions:")
	})
}

func TestAllowlist(t *testing.T) {
	dir := t.TempDir()
	listed, unlisted := sshchattest.NewKey(t), sshchattest.NewKey(t)
	allow := writeKeyFile(t, filepath.Join(dir, "allowlist"), listed)
	srv := sshchattest.Start(t, sshchat.Config{AllowlistFile: allow})

	expectAdmitted(t, srv.Addr, "listed", listed)
	expectRefused(t, srv.Addr, "unlisted", unlisted, "Your key is not on this server's list ("+keyFingerprint(unlisted)+").")
	expectRefused(t, srv.Addr, "guest", nil, "This server admits listed keys only; connect with your listed SSH key.")

	writeKeyFile(t, allow, listed, unlisted)
	if err := srv.Reload(); err != nil {
		t.Fatal(err)
	}
	expectAdmitted(t, srv.Addr, "unlisted", unlisted)
	expectRefused(t, srv.Addr, "guest", nil, "This server admits listed keys only; connect with your listed SSH key.")
}
