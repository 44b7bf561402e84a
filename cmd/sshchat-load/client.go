package main

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// ptyWidth is the terminal width the clients claim: wide enough that no
// typed or received line wraps, so x/term's cursor maths stays simple.
const ptyWidth, ptyHeight = 1000, 50

// counters are shared by every client's reader.
type counters struct {
	welcomed   atomic.Int64
	msgs       atomic.Int64 // unique message-phase deliveries
	dups       atomic.Int64 // duplicate or unexpected message-phase deliveries
	probes     []atomic.Int64
	otherLines atomic.Int64
	floodMsgs  atomic.Int64 // unique flood-line deliveries (--flooders)
	floodDups  atomic.Int64 // duplicate or unexpected flood lines
	stored     storedLines  // --cluster-compare's durable phase (phase_durable.go)
}

// client is one SSH connection with one pty session.
type client struct {
	idx    int
	user   string
	signer gossh.Signer
	start  time.Time // the tool's clock origin; sendNanos are relative to it

	// --flooders and --flood-lines, to size the flood bookkeeping.
	flooders, floodLines int

	// joinedAtShell: the session counts as joined when its shell starts
	// (the bare floor server writes no welcome).
	joinedAtShell bool

	// source is the loopback address to dial from (--source-addrs); nil:
	// the kernel's choice.
	source net.IP

	// --cluster-compare: the node this client is on (of nodes) and its
	// address; sender s is on node s mod nodes (cluster_compare.go).
	addr        string
	node, nodes int
	moved       atomic.Int64 // "You are now in" notices (a /join took effect)

	conn  *gossh.Client
	sess  *gossh.Session
	stdin io.WriteCloser

	welcomed chan struct{}
	readDone chan struct{}
	connDone chan struct{}
	closedAt atomic.Int64 // nanos since start when the connection ended

	// Filled by the reader; read by the main goroutine under mu.
	mu        sync.Mutex
	seen      []uint64 // bitset over sender*m+seq
	lat       []int64  // message latencies in ns (from senders on this client's node)
	latCross  []int64  // with --cluster-compare: from senders on another node
	probeLat  []int64  // per probe, 0 = not received
	floodSeen []uint64 // bitset over flooder*floodLines+seq
	floodLat  []int64  // flood-line latencies in ns
	readErr   error
	bytesRead int64
}

func newSigner() (gossh.Signer, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	return gossh.NewSignerFromKey(priv)
}

// dial connects, authenticates with the client's key, requests a pty and
// starts a shell. With stuck set, the output is never read.
func (c *client) dial(addr string, timeout time.Duration, stuck bool, ctr *counters, m, senders, probes int) error {
	cfg := &gossh.ClientConfig{
		User:            c.user,
		Auth:            []gossh.AuthMethod{gossh.PublicKeys(c.signer)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(),
		Timeout:         timeout,
	}
	d := net.Dialer{Timeout: timeout}
	if c.source != nil {
		d.LocalAddr = &net.TCPAddr{IP: c.source}
	}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		return fmt.Errorf("tcp dial: %w", err)
	}
	// Bound the handshake and session setup; cleared once the shell runs.
	_ = nc.SetDeadline(time.Now().Add(timeout))
	cc, chans, reqs, err := gossh.NewClientConn(nc, addr, cfg)
	if err != nil {
		nc.Close()
		return fmt.Errorf("ssh handshake: %w", err)
	}
	c.conn = gossh.NewClient(cc, chans, reqs)
	c.connDone = make(chan struct{})
	go func() {
		_ = c.conn.Wait()
		c.closedAt.Store(int64(time.Since(c.start)))
		close(c.connDone)
	}()
	fail := func(what string, err error) error {
		c.conn.Close()
		return fmt.Errorf("%s: %w", what, err)
	}
	if c.sess, err = c.conn.NewSession(); err != nil {
		return fail("new session", err)
	}
	if c.stdin, err = c.sess.StdinPipe(); err != nil {
		return fail("stdin", err)
	}
	// StdoutPipe for everyone: a nil Stdout would make the library copy
	// the output to io.Discard, i.e. read it, which a stuck client must not.
	stdout, err := c.sess.StdoutPipe()
	if err != nil {
		return fail("stdout", err)
	}
	if err := c.sess.RequestPty("xterm-256color", ptyHeight, ptyWidth, gossh.TerminalModes{}); err != nil {
		return fail("pty-req", err)
	}
	if err := c.sess.Shell(); err != nil {
		return fail("shell", err)
	}
	_ = nc.SetDeadline(time.Time{})
	c.welcomed = make(chan struct{})
	c.readDone = make(chan struct{})
	if stuck {
		close(c.readDone)
		return nil
	}
	c.seen = make([]uint64, (senders*m+63)/64)
	c.lat = make([]int64, 0, senders*m)
	c.probeLat = make([]int64, probes)
	if c.flooders > 0 {
		c.floodSeen = make([]uint64, (c.flooders*c.floodLines+63)/64)
	}
	if c.joinedAtShell {
		close(c.welcomed)
		ctr.welcomed.Add(1)
	}
	go c.read(stdout, ctr, m, senders)
	return nil
}

// read is the client's only reader: one bufio.Reader, one reused strip
// buffer, no allocation per line.
func (c *client) read(r io.Reader, ctr *counters, m, senders int) {
	defer close(c.readDone)
	br := bufio.NewReaderSize(r, 8<<10)
	text := make([]byte, 0, 2<<10)
	welcomed := c.joinedAtShell
	var n int64
	for {
		line, err := br.ReadSlice('\n')
		n += int64(len(line))
		if errors.Is(err, bufio.ErrBufferFull) {
			// A line longer than the buffer: none of ours is; skip it.
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = br.ReadSlice('\n')
				n += int64(len(line))
			}
			ctr.otherLines.Add(1)
			if err != nil {
				c.finishRead(err, n)
				return
			}
			continue
		}
		if err != nil {
			c.finishRead(err, n)
			return
		}
		now := int64(time.Since(c.start))
		text = stripANSI(text[:0], line)
		p := parseLine(text)
		switch p.kind {
		case lineMsg:
			c.mu.Lock()
			first := c.recordMsg(p, senders, m, now)
			c.mu.Unlock()
			if first {
				ctr.msgs.Add(1)
			} else {
				ctr.dups.Add(1)
			}
		case lineFlood:
			c.mu.Lock()
			first := record(c.floodSeen, &c.floodLat, p, c.flooders, c.floodLines, now)
			c.mu.Unlock()
			if first {
				ctr.floodMsgs.Add(1)
				ctr.stored.mark(p, c.floodLines, now)
			} else {
				ctr.floodDups.Add(1)
			}
		case lineProbe:
			if p.seq < 0 || p.seq >= len(c.probeLat) {
				continue
			}
			c.mu.Lock()
			first := c.probeLat[p.seq] == 0
			if first {
				c.probeLat[p.seq] = max(now-p.sentNs, 1)
			}
			c.mu.Unlock()
			if first {
				ctr.probes[p.seq].Add(1)
			}
		case lineMoved:
			c.moved.Add(1)
		case lineWelcome:
			if !welcomed {
				welcomed = true
				close(c.welcomed)
				ctr.welcomed.Add(1)
			}
		default:
			ctr.otherLines.Add(1)
		}
	}
}

func (c *client) finishRead(err error, n int64) {
	c.mu.Lock()
	if !errors.Is(err, io.EOF) {
		c.readErr = err
	}
	c.bytesRead = n
	c.mu.Unlock()
}

// send types line and presses Enter, as a pty user does.
func (c *client) send(buf []byte) error {
	_, err := c.stdin.Write(buf)
	return err
}

func (c *client) close() {
	if c.conn != nil {
		c.conn.Close()
	}
}

// recordMsg records message line p, its latency apart for a sender on
// another node. The caller holds c.mu.
func (c *client) recordMsg(p parsed, senders, m int, now int64) bool {
	lat := &c.lat
	if c.nodes > 1 && p.sender%c.nodes != c.node {
		lat = &c.latCross
	}
	return record(c.seen, lat, p, senders, m, now)
}

// record marks line p (from one of senders, each sending perSender lines)
// as seen in the bitmap and keeps its latency; it reports false for a
// duplicate or a line outside the expected range. The caller holds c.mu.
func record(seen []uint64, lat *[]int64, p parsed, senders, perSender int, now int64) bool {
	if p.sender < 0 || p.sender >= senders || p.seq < 0 || p.seq >= perSender {
		return false
	}
	id := p.sender*perSender + p.seq
	if seen[id/64]&(1<<(id%64)) != 0 {
		return false
	}
	seen[id/64] |= 1 << (id % 64)
	*lat = append(*lat, now-p.sentNs)
	return true
}
