package sshchattest

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// DefaultTimeout bounds every wait of a Client.
const DefaultTimeout = 15 * time.Second

// Options says how a Client connects.
type Options struct {
	// User is the SSH user name (default "user").
	User string
	// Key is the client's key; nil generates a fresh ed25519 key unless
	// Guest is set.
	Key gossh.Signer
	// Guest connects without a key, through keyboard-interactive.
	Guest bool
	// PTY requests a terminal of Width x Height (default 80 x 24).
	PTY           bool
	Width, Height int
	// NoRead leaves the session's output unread, like a client that
	// stopped reading: the server's writes block once the SSH window
	// fills.
	NoRead bool
	// BeforeShell runs after the pty request and before "shell", e.g. to
	// send window changes early.
	BeforeShell func(*gossh.Session)

	dialer *net.Dialer
}

// Client is one SSH connection with one session to the chat.
type Client struct {
	t     testing.TB
	Conn  *gossh.Client
	Sess  *gossh.Session
	stdin io.WriteCloser
	pty   bool

	mu      sync.Mutex
	raw     []byte
	changed chan struct{}
	readErr error
	done    chan struct{}
}

// NewKey returns a fresh ed25519 signer.
func NewKey(t testing.TB) gossh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return signer
}

// Config returns the client configuration for opts.
func ClientConfig(t testing.TB, opts Options) *gossh.ClientConfig {
	user := opts.User
	if user == "" {
		user = "user"
	}
	var auth []gossh.AuthMethod
	if !opts.Guest {
		key := opts.Key
		if key == nil {
			key = NewKey(t)
		}
		auth = append(auth, gossh.PublicKeys(key))
	}
	auth = append(auth, gossh.KeyboardInteractive(func(string, string, []string, []bool) ([]string, error) {
		return nil, nil
	}))
	return &gossh.ClientConfig{
		User:            user,
		Auth:            auth,
		HostKeyCallback: gossh.InsecureIgnoreHostKey(),
		Timeout:         DefaultTimeout,
	}
}

// Dial connects to the server at addr and starts a chat session. The
// client is closed when the test ends.
func Dial(t testing.TB, addr string, opts Options) *Client {
	t.Helper()
	c, err := TryDial(t, addr, opts)
	if err != nil {
		t.Fatalf("dial %s as %q: %v", addr, opts.User, err)
	}
	return c
}

// TryDial is Dial that returns the error instead of failing the test.
func TryDial(t testing.TB, addr string, opts Options) (*Client, error) {
	d := opts.dialer
	if d == nil {
		d = &net.Dialer{Timeout: DefaultTimeout}
	}
	tcp, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	sshConn, chans, reqs, err := gossh.NewClientConn(tcp, addr, ClientConfig(t, opts))
	if err != nil {
		tcp.Close()
		return nil, err
	}
	conn := gossh.NewClient(sshConn, chans, reqs)
	sess, err := conn.NewSession()
	if err != nil {
		conn.Close()
		return nil, err
	}
	c := &Client{t: t, Conn: conn, Sess: sess, pty: opts.PTY, changed: make(chan struct{}, 1), done: make(chan struct{})}
	t.Cleanup(c.Close)
	if c.stdin, err = sess.StdinPipe(); err != nil {
		return nil, err
	}
	stdout, err := sess.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if opts.PTY {
		w, h := opts.Width, opts.Height
		if w == 0 {
			w, h = 80, 24
		}
		if err := sess.RequestPty("xterm-256color", h, w, gossh.TerminalModes{}); err != nil {
			return nil, err
		}
	}
	if opts.BeforeShell != nil {
		opts.BeforeShell(sess)
	}
	if err := sess.Shell(); err != nil {
		return nil, err
	}
	if opts.NoRead {
		close(c.done)
	} else {
		go c.collect(stdout)
	}
	return c, nil
}

func (c *Client) collect(r io.Reader) {
	defer close(c.done)
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		c.mu.Lock()
		c.raw = append(c.raw, buf[:n]...)
		if err != nil {
			c.readErr = err
		}
		c.mu.Unlock()
		select {
		case c.changed <- struct{}{}:
		default:
		}
		if err != nil {
			return
		}
	}
}

// Send types line and presses Enter.
func (c *Client) Send(line string) {
	c.t.Helper()
	end := "\n"
	if c.pty {
		end = "\r"
	}
	c.Write(line + end)
}

// Write sends raw bytes, as if typed.
func (c *Client) Write(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c.stdin, s); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// Raw returns every byte received so far.
func (c *Client) Raw() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return string(c.raw)
}

// Text returns what was received with escape sequences and CRs removed.
func (c *Client) Text() string { return StripANSI(c.Raw()) }

// WaitFor waits until the received text contains want and returns the text.
func (c *Client) WaitFor(want string) string {
	c.t.Helper()
	return c.WaitUntil("text "+want, func(text string) bool { return strings.Contains(text, want) })
}

// WaitCount waits until want occurs at least n times in the received text.
func (c *Client) WaitCount(want string, n int) string {
	c.t.Helper()
	return c.WaitUntil("text "+want, func(text string) bool { return strings.Count(text, want) >= n })
}

// WaitUntil waits until ok(Text()) holds, failing the test after
// DefaultTimeout.
func (c *Client) WaitUntil(what string, ok func(text string) bool) string {
	c.t.Helper()
	text, err := c.waitUntil(DefaultTimeout, ok)
	if err != nil {
		c.t.Fatalf("waiting for %s: %v; received so far:\n%s", what, err, tail(text, 3000))
	}
	return text
}

func (c *Client) waitUntil(timeout time.Duration, ok func(text string) bool) (string, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		text := c.Text()
		if ok(text) {
			return text, nil
		}
		select {
		case <-c.changed:
		case <-c.done:
			if text := c.Text(); ok(text) {
				return text, nil
			}
			return c.Text(), errors.New("session output ended")
		case <-deadline.C:
			return text, errors.New("timed out")
		}
	}
}

// WaitClosed waits for the session to end and its output to be read to the
// end, and returns its exit error (nil for exit status 0).
func (c *Client) WaitClosed() error {
	c.t.Helper()
	res := make(chan error, 1)
	go func() {
		err := c.Sess.Wait()
		<-c.done
		res <- err
	}()
	select {
	case err := <-res:
		return err
	case <-time.After(DefaultTimeout):
		c.t.Fatalf("session did not end within %v", DefaultTimeout)
		return nil
	}
}

// WaitDisconnected waits until the server has closed the connection.
func (c *Client) WaitDisconnected() {
	c.t.Helper()
	res := make(chan error, 1)
	go func() { res <- c.Conn.Wait() }()
	select {
	case <-res:
	case <-time.After(DefaultTimeout):
		c.t.Fatalf("connection still open after %v", DefaultTimeout)
	}
}

// Close closes the connection (idempotent).
func (c *Client) Close() {
	c.Conn.Close()
	<-c.done
}

// CloseStdin signals end of input, like the end of a pipe.
func (c *Client) CloseStdin() { c.stdin.Close() }

// LocalAddr is the client's end of the TCP connection.
func (c *Client) LocalAddr() net.Addr { return c.Conn.LocalAddr() }

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// Stdin is the session's input, for tests that write in the background.
func (c *Client) Stdin() io.Writer { return c.stdin }

// TryDialFrom is TryDial from a given local loopback address (any of
// 127.0.0.0/8), to test per-address limits.
func TryDialFrom(t testing.TB, addr, localIP string, opts Options) (*Client, error) {
	opts.dialer = &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(localIP)}, Timeout: DefaultTimeout}
	return TryDial(t, addr, opts)
}
