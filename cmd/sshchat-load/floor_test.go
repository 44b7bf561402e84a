package main

import (
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/charmbracelet/ssh"
)

// TestFloorServerWritesEveryLineToEverySession: the floor server that
// --baseline measures against delivers what the load tool counts, so the
// two servers are measured on the same work.
func TestFloorServerWritesEveryLineToEverySession(t *testing.T) {
	srv, err := newFloorServer("127.0.0.1:0", t.TempDir(), floorWriter)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		_ = srv.Close()
		if err := <-served; err != nil && !errors.Is(err, ssh.ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
	}()

	const n, senders, m = 3, 2, 5
	var ctr counters
	start := time.Now()
	var clients []*client
	for i := range n {
		s, err := newSigner()
		if err != nil {
			t.Fatal(err)
		}
		c := &client{idx: i, user: "load000" + string(rune('1'+i)), signer: s, start: start}
		if err := c.dial(ln.Addr().String(), 10*time.Second, false, &ctr, m, senders, 0); err != nil {
			t.Fatal(err)
		}
		defer c.close()
		clients = append(clients, c)
	}
	waitFor(t, "welcomes", &ctr.welcomed, n)
	for s := range senders {
		for i := range m {
			line := []byte("#LD " + string(rune('0'+s)) + " " + string(rune('0'+i)) + " 1\r")
			if err := clients[s].send(line); err != nil {
				t.Fatal(err)
			}
		}
	}
	waitFor(t, "deliveries", &ctr.msgs, n*senders*m)
	if d := ctr.dups.Load(); d != 0 {
		t.Errorf("%d duplicate deliveries", d)
	}
}

func waitFor(t *testing.T, what string, v *atomic.Int64, want int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for v.Load() < int64(want) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d of %d after 20s", what, v.Load(), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestBareFloorServerOnlyHoldsSessions: the bare floor (the memory floor
// of --baseline-kind bare) takes a pty session, window changes included,
// writes nothing, and ends the session when the client leaves.
func TestBareFloorServerOnlyHoldsSessions(t *testing.T) {
	srv, err := newFloorServer("127.0.0.1:0", t.TempDir(), floorBare)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		_ = srv.Close()
		if err := <-served; err != nil && !errors.Is(err, ssh.ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
	}()
	s, err := newSigner()
	if err != nil {
		t.Fatal(err)
	}
	var ctr counters
	c := &client{user: "load0001", signer: s, start: time.Now(), joinedAtShell: true}
	if err := c.dial(ln.Addr().String(), 10*time.Second, false, &ctr, 0, 0, 0); err != nil {
		t.Fatal(err)
	}
	if ctr.welcomed.Load() != 1 {
		t.Fatalf("joined %d, want 1", ctr.welcomed.Load())
	}
	for i := range 50 { // more than the library's window channel holds
		if err := c.sess.WindowChange(40+i, 100); err != nil {
			t.Fatalf("window change %d: %v", i, err)
		}
	}
	c.close()
	select {
	case <-c.readDone:
	case <-time.After(20 * time.Second):
		t.Fatal("the session did not end after the client left")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bytesRead != 0 {
		t.Errorf("the bare floor wrote %d bytes, want none", c.bytesRead)
	}
}
