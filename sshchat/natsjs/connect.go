package natsjs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ErrUnavailable is returned (wrapped) by operations that need the NATS
// connection while it is down. The node shows it as "chat is unavailable,
// try again" and stores nothing.
var ErrUnavailable = errors.New("natsjs: NATS is unavailable")

// Defaults for Options fields left zero.
const (
	DefaultConnectTimeout   = 5 * time.Second
	DefaultReconnectWait    = 250 * time.Millisecond
	DefaultMaxReconnectWait = 5 * time.Second
	DefaultRequestTimeout   = 5 * time.Second
	// DefaultMaxPendingPublishes bounds asynchronous publishes in flight
	// (PublishBatch); past it a publish waits for acknowledgements.
	DefaultMaxPendingPublishes = 4096
)

// Options says where NATS is and how to log in. Every field is optional
// except URLs.
type Options struct {
	// URLs of one or more NATS servers (nats://host:4222 or tls://...). The
	// client learns the other servers of a cluster from the one it reaches.
	URLs []string
	// Name is shown in the server's connection list (e.g. "sshchat node-a").
	Name string

	// CredsFile is a NATS credentials file (JWT and nkey seed).
	CredsFile string
	// User and Password log in with a user name and password.
	User, Password string
	// Token logs in with a token.
	Token string

	// CAFile verifies the server's certificate (for a private CA); CertFile
	// and KeyFile present a client certificate (mutual TLS). Setting any of
	// them requires TLS.
	CAFile, CertFile, KeyFile string

	// ConnectTimeout bounds the first connection and each dial.
	ConnectTimeout time.Duration
	// ReconnectWait is the first wait between reconnect attempts; it doubles
	// up to MaxReconnectWait, with jitter, and attempts never stop.
	ReconnectWait, MaxReconnectWait time.Duration
	// RequestTimeout bounds each JetStream API call or publish
	// acknowledgement (a caller's earlier deadline still wins); default
	// DefaultRequestTimeout.
	RequestTimeout time.Duration

	// OnDisconnected is called when the connection is lost (err may be nil),
	// OnReconnected when it is back, OnClosed once when Close ends it for
	// good. They run one at a time on the NATS client's callback goroutine
	// and must not block.
	OnDisconnected func(err error)
	OnReconnected  func(url string)
	OnClosed       func()

	// Logger receives connection events; nil means slog.Default().
	Logger *slog.Logger
}

// Conn is a connection to NATS with JetStream.
type Conn struct {
	nc     *nats.Conn
	js     jetstream.JetStream
	log    *slog.Logger
	closed chan struct{}
	owned  owned
	// requestTimeout bounds each request (Options.RequestTimeout).
	requestTimeout time.Duration
}

// Connect dials NATS. The first connection must succeed within
// ConnectTimeout (a node with a wrong URL or password should fail at start,
// loudly); after that the connection reconnects forever with backoff.
func Connect(ctx context.Context, o Options) (*Conn, error) {
	if len(o.URLs) == 0 {
		return nil, errors.New("natsjs: connect: no NATS URL")
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("natsjs: connect: %w", err)
	}
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	log = log.With("component", "nats")
	c := &Conn{log: log, closed: make(chan struct{}), requestTimeout: orDefault(o.RequestTimeout, DefaultRequestTimeout)}

	connectTimeout := orDefault(o.ConnectTimeout, DefaultConnectTimeout)
	if d, ok := ctx.Deadline(); ok && time.Until(d) < connectTimeout {
		connectTimeout = max(time.Until(d), time.Millisecond)
	}
	opts := []nats.Option{
		nats.Name(o.Name),
		nats.Timeout(connectTimeout),
		nats.MaxReconnects(-1),
		nats.CustomReconnectDelay(backoff(orDefault(o.ReconnectWait, DefaultReconnectWait),
			orDefault(o.MaxReconnectWait, DefaultMaxReconnectWait))),
		// While disconnected, publishing fails at once instead of queueing
		// in an 8 MiB buffer: a line is either acknowledged by the stream or
		// refused, never held in memory and shown later.
		nats.ReconnectBufSize(-1),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			log.Warn("NATS disconnected", "err", err)
			if o.OnDisconnected != nil {
				o.OnDisconnected(err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			log.Info("NATS reconnected", "url", nc.ConnectedUrlRedacted())
			c.owned.reconnected()
			if o.OnReconnected != nil {
				o.OnReconnected(nc.ConnectedUrlRedacted())
			}
		}),
		nats.ClosedHandler(func(*nats.Conn) {
			log.Info("NATS connection closed")
			if o.OnClosed != nil {
				o.OnClosed()
			}
			close(c.closed)
		}),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subject := ""
			if sub != nil {
				subject = sub.Subject
			}
			log.Warn("NATS asynchronous error", "subject", subject, "err", err)
		}),
	}
	opts = append(opts, credentialOptions(o)...)

	nc, err := nats.Connect(strings.Join(o.URLs, ","), opts...)
	if err != nil {
		return nil, fmt.Errorf("natsjs: connect to %s: %w", redactURLs(o.URLs), err)
	}
	js, err := jetstream.New(nc,
		jetstream.WithDefaultTimeout(c.requestTimeout),
		jetstream.WithPublishAsyncMaxPending(DefaultMaxPendingPublishes),
		jetstream.WithPublishAsyncTimeout(c.requestTimeout),
	)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("natsjs: jetstream: %w", err)
	}
	c.nc, c.js = nc, js
	log.Info("NATS connected", "url", nc.ConnectedUrlRedacted(), "server", nc.ConnectedServerName())
	return c, nil
}

func credentialOptions(o Options) []nats.Option {
	var opts []nats.Option
	if o.CredsFile != "" {
		opts = append(opts, nats.UserCredentials(o.CredsFile))
	}
	if o.User != "" || o.Password != "" {
		opts = append(opts, nats.UserInfo(o.User, o.Password))
	}
	if o.Token != "" {
		opts = append(opts, nats.Token(o.Token))
	}
	if o.CAFile != "" {
		opts = append(opts, nats.RootCAs(o.CAFile))
	}
	if o.CertFile != "" || o.KeyFile != "" {
		opts = append(opts, nats.ClientCert(o.CertFile, o.KeyFile))
	}
	return opts
}

// backoff doubles the wait after each failed round over the server list, up
// to ceiling, with up to 25% jitter so that many nodes restarted together do
// not reconnect in lockstep.
func backoff(first, ceiling time.Duration) nats.ReconnectDelayHandler {
	return func(attempts int) time.Duration {
		d := first
		for i := 1; i < attempts && d < ceiling; i++ {
			d *= 2
		}
		d = min(d, ceiling)
		return d - time.Duration(rand.Int64N(int64(d)/4+1))
	}
}

// Connected reports whether the connection is up now.
func (c *Conn) Connected() bool { return c.nc.IsConnected() }

// Close stops the consumers and watchers still running on the connection,
// ends the connection for good and waits (up to a few seconds) until the
// client has run OnClosed, so no callback fires after Close returns.
func (c *Conn) Close() {
	c.owned.stopAll()
	c.nc.Close()
	select {
	case <-c.closed:
	case <-time.After(5 * time.Second):
		c.log.Warn("NATS close: closed callback did not run in time")
	}
}

// NATS is the underlying client connection, for what this package does not
// wrap.
func (c *Conn) NATS() *nats.Conn { return c.nc }

// JetStream is the underlying JetStream context.
func (c *Conn) JetStream() jetstream.JetStream { return c.js }

// unavailable wraps err with ErrUnavailable when it says NATS or JetStream
// cannot serve right now (disconnected, no answer, a stream or cluster
// between leaders), so callers can tell "retry later, with the same message
// id" from "this request was wrong".
func (c *Conn) unavailable(err error) error {
	if err == nil {
		return nil
	}
	if !c.nc.IsConnected() || isTransient(err) {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}

// Server error codes that mean "not now": no cluster quorum, not the
// leader, the stream or consumer offline (nats-server's
// jetstream_errors_generated.go).
var transientCodes = map[jetstream.ErrorCode]bool{
	10005: true, // JSClusterNoPeersErrF
	10006: true, // JSClusterNotActiveErr
	10008: true, // JSClusterNotAvailErr
	10009: true, // JSClusterNotLeaderErr
	10118: true, // JSStreamOfflineErr
	10119: true, // JSConsumerOfflineErr
}

func isTransient(err error) bool {
	if errors.Is(err, nats.ErrReconnectBufExceeded) || errors.Is(err, nats.ErrConnectionClosed) ||
		errors.Is(err, nats.ErrNoResponders) || errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, context.DeadlineExceeded) ||
		// Publish retried "no responders" (a stream between leaders) and
		// gave up.
		errors.Is(err, jetstream.ErrNoStreamResponse) {
		return true
	}
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && transientCodes[apiErr.ErrorCode]
}

func redactURLs(urls []string) string {
	out := make([]string, len(urls))
	for i, u := range urls {
		if at := strings.LastIndex(u, "@"); at >= 0 {
			if scheme := strings.Index(u, "://"); scheme >= 0 && scheme < at {
				u = u[:scheme+3] + "***" + u[at:]
			}
		}
		out[i] = u
	}
	return strings.Join(out, ",")
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
