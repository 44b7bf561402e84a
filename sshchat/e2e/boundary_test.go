// Over 400 lines: the abuses of the SSH protocol itself (env, channel
// and exec floods, needless requests, handshake floods), one subject,
// each test with the client code that drives it.

package e2e

import (
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// Attacks on the SSH boundary from a raw x/crypto client, each driven past
// its bound: what the server keeps stays bounded, goroutines come back to
// their baseline, people are still served meanwhile, and the refusal is
// clear. Figures are logged (go test -v) for the closing note.

// heapSampler records the peak of the heap while an attack runs.
type heapSampler struct {
	stop chan struct{}
	done chan struct{}
	peak atomic.Uint64
}

func sampleHeap() *heapSampler {
	h := &heapSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(h.done)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > h.peak.Load() {
				h.peak.Store(ms.HeapAlloc)
			}
			select {
			case <-h.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return h
}

func (h *heapSampler) Stop() uint64 {
	close(h.stop)
	<-h.done
	return h.peak.Load()
}

// liveHeap is the heap in use after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

const mib = 1 << 20

// waitGoroutines waits until no more than baseline goroutines run.
func waitGoroutines(t *testing.T, baseline int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for runtime.NumGoroutine() > baseline {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines, baseline %d:\n%s", runtime.NumGoroutine(), baseline, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// rawGuest connects as a guest without opening anything.
func rawGuest(t *testing.T, addr string) *gossh.Client {
	t.Helper()
	conn, err := gossh.Dial("tcp", addr, sshchattest.ClientConfig(t, sshchattest.Options{User: "mallory", Guest: true}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// startChat starts a chat session on conn whose output is discarded.
func startChat(t *testing.T, conn *gossh.Client) *gossh.Session {
	t.Helper()
	sess, err := conn.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	sess.Stdout, sess.Stderr = io.Discard, io.Discard
	if _, err := sess.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	return sess
}

// waitClosed waits until the server has closed conn.
func waitClosed(t *testing.T, conn *gossh.Client) {
	t.Helper()
	done := make(chan struct{})
	go func() { conn.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the server kept the attacking connection open")
	}
}

// stillServed checks that a newcomer can join and talk to watcher.
func stillServed(t *testing.T, addr string, watcher *sshchattest.Client, name string) {
	t.Helper()
	c := dialWelcome(t, addr, sshchattest.Options{User: name})
	c.Send("still served")
	watcher.WaitFor(name + ": still served")
	c.Close()
}

func TestEnvFloodIsCapped(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{HandshakeTimeout: 30 * time.Second})
	watcher := dialWelcome(t, srv.Addr, sshchattest.Options{User: "watcher"})
	value := strings.Repeat("x", 200<<10)

	// flood sends up to 2,000 env requests of 200 KB (400 MB) on ch,
	// without waiting for replies, as fast as the connection takes them,
	// and reports how many went out before the server cut it off.
	flood := func(t *testing.T, conn *gossh.Client, send func(payload []byte) error) int {
		payload := gossh.Marshal(struct{ Key, Value string }{"FLOOD", value})
		baseline := runtime.NumGoroutine()
		before := liveHeap()
		peak := sampleHeap()
		served := make(chan struct{})
		go func() { defer close(served); stillServed(t, srv.Addr, watcher, "bystander") }()
		sent := 0
		for ; sent < 2000; sent++ {
			if send(payload) != nil {
				break
			}
		}
		waitClosed(t, conn)
		<-served
		top := peak.Stop()
		after := liveHeap()
		t.Logf("env flood: %d requests of 200 KB sent (%d MiB); heap before %.1f MiB, peak %.1f MiB (+%.1f), after %.1f MiB",
			sent, sent*len(payload)/mib, float64(before)/mib, float64(top)/mib, (float64(top)-float64(before))/mib, float64(after)/mib)
		if sent >= 2000 {
			t.Fatal("2,000 env requests of 200 KB were taken without the connection being closed")
		}
		if after > before+8*mib {
			t.Fatalf("the heap kept %.1f MiB after the env flood", (float64(after)-float64(before))/mib)
		}
		if !strings.Contains(srv.Logs.String(), "too many refused requests") {
			t.Fatal("the cut-off was not logged")
		}
		waitGoroutines(t, baseline)
		return sent
	}

	t.Run("on a session that never starts", func(t *testing.T) {
		conn := rawGuest(t, srv.Addr)
		startChat(t, conn) // keeps the connection open
		ch, reqs, err := conn.OpenChannel("session", nil)
		if err != nil {
			t.Fatal(err)
		}
		go gossh.DiscardRequests(reqs)
		flood(t, conn, func(p []byte) error { _, err := ch.SendRequest("env", false, p); return err })
	})

	t.Run("on a started session", func(t *testing.T) {
		conn := rawGuest(t, srv.Addr)
		sess := startChat(t, conn)
		flood(t, conn, func(p []byte) error { _, err := sess.SendRequest("env", false, p); return err })
		watcher.WaitFor("left #lobby")
	})

	t.Run("within bounds the session works", func(t *testing.T) {
		conn := rawGuest(t, srv.Addr)
		sess, err := conn.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		accepted := 0
		for i := range 100 {
			ok, err := sess.SendRequest("env", true, gossh.Marshal(struct{ Key, Value string }{fmt.Sprintf("V%d", i), strings.Repeat("v", 900)}))
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				accepted++
			}
		}
		if want := 16 << 10 / 903; accepted != want {
			t.Fatalf("%d env variables of 900 bytes accepted, want %d (16 KiB)", accepted, want)
		}
		var out strings.Builder
		sess.Stdout = &out
		stdin, _ := sess.StdinPipe()
		if err := sess.Shell(); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(stdin, "after the refused ones\n")
		watcher.WaitFor(": after the refused ones")
	})
}

func TestChannelOpenFloodIsCapped(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{HandshakeTimeout: 60 * time.Second})
	watcher := dialWelcome(t, srv.Addr, sshchattest.Options{User: "watcher"})
	attacker := dialWelcome(t, srv.Addr, sshchattest.Options{User: "mallory", Guest: true})
	baseline := runtime.NumGoroutine()

	const opens, workers = 20000, 8
	var (
		mu       sync.Mutex
		accepted []gossh.Channel
		refused  atomic.Int64
		other    atomic.Value
		peak     atomic.Int64
		next     atomic.Int64
		wg       sync.WaitGroup
	)
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			if n := int64(runtime.NumGoroutine()); n > peak.Load() {
				peak.Store(n)
			}
			select {
			case <-stopSampling:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	started := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= opens {
				ch, reqs, err := attacker.Conn.OpenChannel("session", nil)
				var rejected *gossh.OpenChannelError
				switch {
				case err == nil:
					go gossh.DiscardRequests(reqs)
					mu.Lock()
					accepted = append(accepted, ch)
					mu.Unlock()
				case errors.As(err, &rejected) && rejected.Reason == gossh.ResourceShortage &&
					strings.Contains(rejected.Message, "at most 8 channels per connection"):
					refused.Add(1)
				default:
					other.Store(err)
					return
				}
			}
		}()
	}
	stillServed(t, srv.Addr, watcher, "bystander")
	wg.Wait()
	elapsed := time.Since(started)
	close(stopSampling)
	<-sampled
	if err := other.Load(); err != nil {
		t.Fatalf("a channel open failed otherwise: %v", err)
	}
	t.Logf("%d channel opens in %v: %d accepted, %d refused; goroutines: baseline %d, peak %d",
		opens, elapsed.Round(time.Millisecond), len(accepted), refused.Load(), baseline, peak.Load())
	if len(accepted) != 7 { // the chat session holds the eighth
		t.Fatalf("%d channels accepted next to the chat session, want 7", len(accepted))
	}
	if peak.Load() > int64(baseline)+200 {
		t.Fatalf("goroutines peaked at %d during the flood, baseline %d", peak.Load(), baseline)
	}
	// The chat session still works, and closing the channels frees their
	// places on the connection.
	attacker.Send("still here")
	watcher.WaitFor("Guest-1: still here")
	for _, ch := range accepted {
		ch.Close()
	}
	waitGoroutines(t, baseline)
	ch, reqs, err := attacker.Conn.OpenChannel("session", nil)
	if err != nil {
		t.Fatalf("a channel closed did not give its place back: %v", err)
	}
	go gossh.DiscardRequests(reqs)
	ch.Close()
}

// cpuTime is the process's CPU time so far, user and system.
func cpuTime(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestLongExecIsRefusedBeforeSplitting(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	watcher := dialWelcome(t, srv.Addr, sshchattest.Options{User: "watcher"})
	baseline := runtime.NumGoroutine()
	conn := rawGuest(t, srv.Addr)
	run := func(command string) (string, error) {
		sess, err := conn.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		defer sess.Close()
		var stderr strings.Builder
		sess.Stdout, sess.Stderr = io.Discard, &stderr
		err = sess.Run(command)
		return stderr.String(), err
	}
	before := cpuTime(t)
	stderr, err := run(strings.Repeat("a", 250<<10)) // one 250 KB word
	cpu := cpuTime(t) - before
	t.Logf("a 250 KB one-word exec: %v of CPU (server and client in this process); stderr %q", cpu, stderr)
	var exit *gossh.ExitError
	if !errors.As(err, &exit) || exit.ExitStatus() != 2 {
		t.Fatalf("a 250 KB command: %v, want exit status 2", err)
	}
	if want := "sshchat: command too long (256000 bytes; at most 2048)\n"; stderr != want {
		t.Fatalf("stderr %q, want %q", stderr, want)
	}
	// At the cap a command still reaches the parser.
	stderr, err = run(strings.Repeat("b", 2048))
	if !errors.As(err, &exit) || exit.ExitStatus() != 2 || !strings.Contains(stderr, "unknown command") {
		t.Fatalf("a 2 KiB command: %v, stderr %q", err, stderr)
	}
	stillServed(t, srv.Addr, watcher, "bystander")
	conn.Close()
	waitGoroutines(t, baseline)
}

func TestUnneededRequestsAreRefused(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	conn := rawGuest(t, srv.Addr)
	sess, err := conn.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{"auth-agent-req@openssh.com", "x11-req", "subsystem", "signal", "break"} {
		if ok, err := sess.SendRequest(typ, true, nil); ok || err != nil {
			t.Errorf("%s: ok=%v err=%v, want refused", typ, ok, err)
		}
	}
	for _, typ := range []string{"tcpip-forward", "streamlocal-forward@openssh.com", "no-more-sessions@openssh.com"} {
		if ok, _, err := conn.SendRequest(typ, true, gossh.Marshal(struct {
			Addr string
			Port uint32
		}{"127.0.0.1", 0})); ok || err != nil {
			t.Errorf("global %s: ok=%v err=%v, want refused", typ, ok, err)
		}
	}
	for _, typ := range []string{"direct-tcpip", "x11", "auth-agent@openssh.com"} {
		if _, _, err := conn.OpenChannel(typ, nil); err == nil {
			t.Errorf("a %s channel was opened", typ)
		}
	}
	// The session still starts after all of that.
	var out strings.Builder
	sess.Stdout = &out
	if _, err := sess.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
}

func TestUnstartedSessionChannelClosesItsConnection(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{HandshakeTimeout: 300 * time.Millisecond})
	c := dialWelcome(t, srv.Addr, sshchattest.Options{User: "lurker", Guest: true})
	// Requests after a session ended get no answer from the library: the
	// channel of a finished command refuses them.
	ch, reqs, err := c.Conn.OpenChannel("session", nil)
	if err != nil {
		t.Fatal(err)
	}
	go gossh.DiscardRequests(reqs)
	if ok, err := ch.SendRequest("exec", true, gossh.Marshal(struct{ Value string }{"who"})); !ok || err != nil {
		t.Fatalf("exec who: %v %v", ok, err)
	}
	io.Copy(io.Discard, ch)
	for range 10 {
		if ok, _ := ch.SendRequest("env", true, gossh.Marshal(struct{ Key, Value string }{"A", "b"})); ok {
			t.Fatal("an env request after the session ended was accepted")
		}
	}
	// A channel that never starts a shell or command.
	if _, reqs, err = c.Conn.OpenChannel("session", nil); err != nil {
		t.Fatal(err)
	}
	go gossh.DiscardRequests(reqs)
	c.WaitDisconnected()
	if !strings.Contains(srv.Logs.String(), "session channel not started in time") {
		t.Fatal("not logged")
	}
}

// TestHandshakeFloodCannotLockOutNormalClients: 600 silent connections
// from 60 addresses (10 each, within the per-address cap) used to fill
// --max-conns and lock everyone new out. Now they only churn through the
// startups: a newcomer gets in, people already in keep talking.
func TestHandshakeFloodCannotLockOutNormalClients(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{
		HandshakeTimeout: time.Minute, // the flood leaves only by being dropped
		MaxConns:         20,
		MaxConnsPerIP:    10,
		MaxStartups:      "10:30:40",
	})
	insider := dialWelcome(t, srv.Addr, sshchattest.Options{User: "insider"})
	baseline := runtime.NumGoroutine()

	var (
		flood    []net.Conn
		closed   atomic.Int64
		readers  sync.WaitGroup
		dialErrs int
	)
	started := time.Now()
	for a := 2; a <= 61; a++ {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(a))}, Timeout: 10 * time.Second}
		for range 10 {
			conn, err := d.Dial("tcp", srv.Addr)
			if err != nil {
				dialErrs++
				continue
			}
			flood = append(flood, conn)
			readers.Add(1)
			go func() {
				defer readers.Done()
				io.Copy(io.Discard, conn) // to EOF: dropped by the server
				closed.Add(1)
			}()
		}
	}
	defer func() {
		for _, conn := range flood {
			conn.Close()
		}
		readers.Wait()
	}()
	if dialErrs > 0 {
		t.Fatalf("%d flood connections could not be dialed", dialErrs)
	}
	// The server holds at most 40 of them.
	deadline := time.Now().Add(30 * time.Second)
	for closed.Load() < int64(len(flood)-40) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d silent connections dropped, want at least %d", closed.Load(), len(flood), len(flood)-40)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// A normal client gets in during the flood, and the insider is heard.
	// While every startup is a silent socket younger than a second (the
	// grace a busy server needs to read from a new connection), a
	// newcomer is refused and tries again, as a person would.
	joinStart := time.Now()
	attempts := 0
	var newcomer *sshchattest.Client
	for newcomer == nil {
		attempts++
		c, err := sshchattest.TryDial(t, srv.Addr, sshchattest.Options{User: "newcomer"})
		switch {
		case err == nil:
			newcomer = c
		case time.Since(joinStart) > 30*time.Second || attempts >= 1000:
			t.Fatalf("a newcomer could not get in in %d attempts over %v of a handshake flood: %v", attempts, time.Since(joinStart), err)
		default:
			<-time.After(10 * time.Millisecond) // as a person's retry, only faster
		}
	}
	newcomer.WaitFor("Welcome")
	joined := time.Since(joinStart)
	insider.Send("hello newcomer")
	newcomer.WaitFor("insider: hello newcomer")
	// Once the flood's sockets are older than the grace, a newcomer gets
	// in at the first attempt.
	secondStart := time.Now()
	second := dialWelcome(t, srv.Addr, sshchattest.Options{User: "second"})
	second.Send("me too")
	insider.WaitFor("second: me too")
	t.Logf("handshake flood: %d silent connections from 60 addresses in %v, %d closed by the server; "+
		"a newcomer dialing at once was in the chat %v later (%d attempts); one dialing later got in at once, in %v",
		len(flood), time.Since(started).Round(time.Millisecond), closed.Load(), joined.Round(time.Millisecond), attempts,
		time.Since(secondStart).Round(time.Millisecond))
	second.Close()

	newcomer.Close()
	for _, conn := range flood {
		conn.Close()
	}
	readers.Wait()
	flood = nil
	insider.WaitFor("newcomer left")
	waitGoroutines(t, baseline)
}

// TestWindowChangesAfterTheSessionEndedLeakNothing: a client that keeps
// resizing while its session ends must not leave the session's request
// loop blocked on a window change nobody reads any more.
func TestWindowChangesAfterTheSessionEndedLeakNothing(t *testing.T) {
	srv := sshchattest.Start(t, sshchat.Config{})
	watcher := dialWelcome(t, srv.Addr, sshchattest.Options{User: "watcher"})
	baseline := runtime.NumGoroutine()
	for round := range 5 {
		c := dialWelcome(t, srv.Addr, sshchattest.Options{User: "resizer", PTY: true})
		stop := make(chan struct{})
		spammed := make(chan int)
		go func() {
			n := 0
			for ; n < 200_000; n++ {
				select {
				case <-stop:
					spammed <- n
					return
				default:
				}
				if c.Sess.WindowChange(24+n%10, 80+n%50) != nil {
					break
				}
			}
			<-stop
			spammed <- n
		}()
		c.Send("/quit")
		watcher.WaitCount(" left #lobby", round+1)
		c.WaitClosed()
		close(stop)
		t.Logf("round %d: %d window changes sent", round, <-spammed)
		c.Close()
	}
	waitGoroutines(t, baseline)
}
