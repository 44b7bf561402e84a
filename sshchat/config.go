package sshchat

import (
	"log/slog"
	"time"

	"github.com/sshchat/sshchat/sshchat/chat"
	"github.com/sshchat/sshchat/sshchat/sshd"
	"github.com/sshchat/sshchat/sshchat/store"
)

// Config is everything a Server needs. The zero value of each field means
// its default.
type Config struct {
	// Addr is the TCP address to listen on (default ":2222").
	Addr string
	// HostKeyPath is the ed25519 host key, generated there on first start
	// (default "keys/ssh_host_ed25519").
	HostKeyPath string
	// DataDir is where durable state lives: the SQLite database
	// sshchat.db (default "data").
	DataDir string
	// AdminsFile lists operator keys in authorized_keys format; it is
	// re-read by Reload (SIGHUP).
	AdminsFile string
	// AllowlistFile, when set, lists the only keys that may connect
	// (authorized_keys format); guests are refused. Re-read by Reload.
	AllowlistFile string
	// DefaultRoom is where everyone starts (default "#lobby").
	DefaultRoom string
	// Scrollback is how many recent lines people see when they join a
	// room (default 50; negative: none).
	Scrollback int
	// Retention is how long room history is kept (0: forever).
	Retention time.Duration
	// MOTD is shown to everyone who joins.
	MOTD string
	// MaxLine is the longest line in bytes a person may send (default 1000).
	MaxLine int
	// MaxConns caps established (authenticated) connections in total
	// (default 500); negative means no cap. Connections still in their
	// handshake are bounded by MaxStartups instead.
	MaxConns int
	// MaxConnsPerIP caps established connections from one address
	// (default 10); negative means no cap. An address holding twice as
	// many connections of any kind is refused before the handshake.
	MaxConnsPerIP int
	// MaxStartups bounds connections that have not authenticated yet,
	// as "start:rate:full" (default DefaultMaxStartups; "off": no cap):
	// see sshd.startupPolicy.
	MaxStartups string
	// NewConnsPerIP caps how many new connections one address may open per
	// minute (default 60, with bursts of half that); negative means no cap.
	NewConnsPerIP int
	// HandshakeTimeout bounds the SSH handshake and authentication
	// (default 10s).
	HandshakeTimeout time.Duration
	// StuckTimeout is how long a write to a client may block before the
	// client is disconnected (default 5s).
	StuckTimeout time.Duration
	// OutboxBytes bounds each member's queue of undelivered output
	// (default 512 KiB); a member past it is disconnected.
	OutboxBytes int
	// Rate is how many lines per second a person may send after a burst of
	// Burst lines before their lines are paced (delayed, never dropped).
	// 0 means the default (5 lines/s, burst 20); negative turns pacing off.
	Rate  float64
	Burst int
	// RoomsPerHour is how many rooms one key (or guest address) may create
	// per hour (default 10); MaxRooms caps the rooms in all (default
	// 1000). Negative means no cap.
	RoomsPerHour int
	MaxRooms     int
	// NickExpiry is how long a key may stay away before the nick it owns
	// is released (default 90 days; negative: never). NickClaimsPerHour
	// caps the first nick claims of new keys from one address per hour
	// (default 10; negative: no cap).
	NickExpiry        time.Duration
	NickClaimsPerHour int
	// HistoryBurst is how many history credits a key (an address for
	// guests) may spend at once: a search costs one, reading history one
	// per 100 lines; one comes back every 2 s (default 10; negative: no
	// budget).
	HistoryBurst int
	// Version is the server's version, shown in the SSH banner.
	Version string
	// Commit is the VCS revision the binary was built from (metrics).
	Commit string
	// MetricsAddr, if set, is where ListenAndServe serves Prometheus
	// /metrics, /healthz and /readyz. Keep it private.
	MetricsAddr string
	// Pprof also serves net/http/pprof on the metrics listener.
	Pprof bool
	// Logger receives structured logs (default slog.Default()).
	Logger *slog.Logger
	// Store, if set, is the store the chat keeps its state in; the caller
	// opened it and closes it after the server. Unset: the SQLite database
	// sshchat.db in DataDir, opened by New and closed by Close.
	Store store.Store
	// Bus, if set, carries stored lines and changes of shared state
	// between the hubs of several nodes sharing Store (default: an
	// in-process bus of this server alone).
	Bus chat.Bus
	// NATS, if its URL is set, makes this server a node of several
	// sharing one chat through NATS JetStream (exclusive with Store).
	NATS NATSConfig
	// WrapStore, if set, wraps the store the chat uses: tests make it fail
	// or stall on demand. The server still closes the store it opened.
	WrapStore func(store.Store) store.Store
	// Now is the chat's clock (default time.Now): ban and mute expiry,
	// timestamps. Tests inject their own.
	Now func() time.Time
}

// Defaults a small community server would use.
const (
	DefaultAddr             = ":2222"
	DefaultHostKeyPath      = "keys/ssh_host_ed25519"
	DefaultDataDir          = "data"
	DefaultMaxLine          = 1000
	DefaultMaxConns         = 500
	DefaultMaxConnsPerIP    = 10
	DefaultNewConnsPerIP    = 60
	DefaultHandshakeTimeout = 10 * time.Second
	DefaultStuckTimeout     = 5 * time.Second
	DefaultOutboxBytes      = 512 << 10
	DefaultScrollback       = 50
	DefaultRate             = 5
	DefaultBurst            = 20
	DefaultHistoryBurst     = 10
	DefaultMaxStartups      = sshd.DefaultMaxStartups
)

func (c Config) withDefaults() Config {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.HostKeyPath == "" {
		c.HostKeyPath = DefaultHostKeyPath
	}
	if c.DataDir == "" {
		c.DataDir = DefaultDataDir
	}
	if c.MaxLine <= 0 {
		c.MaxLine = DefaultMaxLine
	}
	if c.MaxConns == 0 {
		c.MaxConns = DefaultMaxConns
	}
	if c.MaxConnsPerIP == 0 {
		c.MaxConnsPerIP = DefaultMaxConnsPerIP
	}
	if c.MaxStartups == "" {
		c.MaxStartups = DefaultMaxStartups
	}
	if c.NewConnsPerIP == 0 {
		c.NewConnsPerIP = DefaultNewConnsPerIP
	}
	if c.HandshakeTimeout <= 0 {
		c.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if c.StuckTimeout <= 0 {
		c.StuckTimeout = DefaultStuckTimeout
	}
	if c.OutboxBytes <= 0 {
		c.OutboxBytes = DefaultOutboxBytes
	}
	if c.Rate == 0 {
		c.Rate = DefaultRate
	}
	if c.Burst <= 0 {
		c.Burst = DefaultBurst
	}
	if c.Version == "" {
		c.Version = "dev"
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}
