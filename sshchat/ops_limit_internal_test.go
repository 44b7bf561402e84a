package sshchat

import (
	"net"
	"testing"
	"time"
)

// TestOpsListenerConnectionsAreCapped: past the cap, a connection waits in
// the kernel's queue until a served one closes.
func TestOpsListenerConnectionsAreCapped(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := newLimitListener(raw, 2)
	defer ln.Close()
	accepted := make(chan net.Conn, 3)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	var clients []net.Conn
	for range 3 {
		c, err := net.Dial("tcp", raw.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		clients = append(clients, c)
	}
	var served []net.Conn
	for range 2 {
		select {
		case c := <-accepted:
			served = append(served, c)
		case <-time.After(30 * time.Second):
			t.Fatal("the first two connections were not accepted")
		}
	}
	select {
	case c := <-accepted:
		c.Close()
		t.Fatal("a third connection was accepted past the cap of 2")
	case <-time.After(200 * time.Millisecond):
		// Nothing more accepted: what the cap is for. (Absence can only
		// be shown by waiting; a slow machine makes this test weaker, not
		// flaky.)
	}
	served[0].Close()
	served[0].Close() // a second close must not free a second slot
	select {
	case c := <-accepted:
		served = append(served, c)
	case <-time.After(30 * time.Second):
		t.Fatal("the waiting connection was not accepted after one closed")
	}
	select {
	case c := <-accepted:
		c.Close()
		t.Fatal("closing one connection twice freed two slots")
	case <-time.After(100 * time.Millisecond):
	}
	for _, c := range served[1:] {
		c.Close()
	}
}
