// Command sshchat runs the chat server. It turns flags and SSHCHAT_*
// environment variables into an sshchat.Config, runs the server, and shuts
// it down gracefully on SIGINT or SIGTERM. Nothing else lives here.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
	// Time zones for /tz even where the system has no zoneinfo (minimal
	// containers): about 450 KB in the binary.
	_ "time/tzdata"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/chat"
)

// shutdownGrace is how long members get to receive the goodbye notice and
// close their connections before the rest are cut.
const shutdownGrace = 5 * time.Second

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type options struct {
	cfg         sshchat.Config
	motdPath    string
	logLevel    string
	logFormat   string
	showVersion bool
}

// run is the program; help and the version go to stdout, logs and errors
// to stderr.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "healthcheck" {
		return healthcheck(args[1:], os.LookupEnv, stdout, stderr)
	}
	opts, err := parseFlags(args, os.LookupEnv, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, flagError(err))
		return 2
	}
	build := readBuildInfo()
	if opts.showVersion {
		fmt.Fprintln(stdout, build)
		return 0
	}
	logger, err := newLogger(stderr, opts.logLevel, opts.logFormat)
	if err != nil {
		fmt.Fprintln(stderr, flagError(err))
		return 2
	}
	cfg := opts.cfg
	cfg.Logger = logger
	cfg.Version = build.Version
	cfg.Commit = build.Commit
	logger.Info("starting", "version", build.Version, "commit", build.Commit, build.DateIs, build.Date)
	if opts.motdPath != "" {
		motd, err := os.ReadFile(opts.motdPath)
		if err != nil {
			logger.Error("read motd", "path", opts.motdPath, "err", err)
			return 1
		}
		cfg.MOTD = string(motd)
	}

	srv, err := sshchat.New(cfg)
	if err != nil {
		logger.Error("start", "err", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	hangups := make(chan os.Signal, 1)
	signal.Notify(hangups, syscall.SIGHUP)
	defer signal.Stop(hangups)

	served := make(chan error, 1)
	go func() { served <- srv.ListenAndServe() }()
	for running := true; running; {
		select {
		case err := <-served:
			srv.Close()
			if err != nil {
				logger.Error("serve", "err", err)
				return 1
			}
			return 0
		case <-hangups:
			if err := srv.Reload(); err != nil {
				logger.Error("reload on SIGHUP; the previous lists stay in force", "err", err)
			}
		case <-ctx.Done():
			running = false
		}
	}
	logger.Info("shutting down", "grace", shutdownGrace.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		logger.Warn("shutdown", "err", err)
	}
	<-served
	logger.Info("stopped")
	return 0
}

// parseFlags reads the environment, then the command line, and checks
// the result. --help is printed to out.
func parseFlags(args []string, getenv func(string) (string, bool), out io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("sshchat", flag.ContinueOnError)
	// Errors are reported by the caller in one line, not with the usage.
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.cfg.Addr, "addr", sshchat.DefaultAddr, "TCP address to listen on for SSH")
	fs.StringVar(&o.cfg.HostKeyPath, "host-key", sshchat.DefaultHostKeyPath, "ed25519 host key; generated on first start (0600, folder 0700)")
	fs.StringVar(&o.cfg.DataDir, "data", sshchat.DefaultDataDir, "folder for durable data (sshchat.db)")
	fs.StringVar(&o.motdPath, "motd", "", "file whose text is shown to everyone who joins")
	fs.StringVar(&o.cfg.AdminsFile, "admins", "", "authorized_keys file of operator keys (re-read on SIGHUP)")
	fs.StringVar(&o.cfg.AllowlistFile, "allowlist", "", "authorized_keys file: when set, only these keys may connect (re-read on SIGHUP)")
	fs.StringVar(&o.cfg.DefaultRoom, "default-room", chat.DefaultRoomName, "room everyone starts in")
	fs.IntVar(&o.cfg.Scrollback, "scrollback", sshchat.DefaultScrollback, "recent (or your unread) lines shown on joining a room (0 or -1: none)")
	fs.Var(retentionFlag{&o.cfg.Retention}, "retention", "how long room history is kept, e.g. 30d or 12h (0: forever)")
	fs.IntVar(&o.cfg.MaxLine, "max-line", sshchat.DefaultMaxLine, "longest line a person may send")
	fs.IntVar(&o.cfg.MaxConns, "max-conns", sshchat.DefaultMaxConns, "most concurrent authenticated connections in total (-1: no cap)")
	fs.IntVar(&o.cfg.MaxConnsPerIP, "max-conns-per-ip", sshchat.DefaultMaxConnsPerIP, "most concurrent authenticated connections from one address (-1: no cap)")
	fs.StringVar(&o.cfg.MaxStartups, "max-startups", sshchat.DefaultMaxStartups, "connections not yet authenticated, start:rate:full: from start on, each new one drops the oldest stalled one with a chance from rate% up to 100% at full, where a newcomer is refused if none is stalled (off: no cap)")
	fs.IntVar(&o.cfg.NewConnsPerIP, "new-conns-per-ip", sshchat.DefaultNewConnsPerIP, "most new connections one address may open per minute (-1: no cap)")
	fs.Float64Var(&o.cfg.Rate, "rate", sshchat.DefaultRate, "lines per second a person may send after a burst before their lines are delayed (0: no pacing)")
	fs.IntVar(&o.cfg.Burst, "burst", sshchat.DefaultBurst, "lines a person may send at once before pacing starts")
	fs.IntVar(&o.cfg.HistoryBurst, "history-burst", sshchat.DefaultHistoryBurst, "history credits a person may spend at once: a search costs 1, reading history 1 per 100 lines; 1 comes back every 2s (0: no limit)")
	fs.IntVar(&o.cfg.RoomsPerHour, "rooms-per-hour", chat.DefaultRoomsPerHour, "rooms one key (or guest address) may create per hour (-1: no cap)")
	fs.IntVar(&o.cfg.MaxRooms, "max-rooms", chat.DefaultMaxRooms, "most rooms in all (-1: no cap)")
	o.cfg.NickExpiry = chat.DefaultNickExpiry
	fs.Var(retentionFlag{&o.cfg.NickExpiry}, "nick-expiry", "how long a key may stay away before its nick is released, e.g. 90d (0: never)")
	fs.IntVar(&o.cfg.NickClaimsPerHour, "nick-claims-per-hour", chat.DefaultNickClaimsPerHour, "first nick claims new keys from one address may make per hour (-1: no cap)")
	fs.StringVar(&o.cfg.MetricsAddr, "metrics", "", "serve Prometheus /metrics, /healthz and /readyz on this address (off by default; keep it private, e.g. 127.0.0.1:9090)")
	fs.BoolVar(&o.cfg.Pprof, "pprof", false, "also serve /debug/pprof/ on the --metrics address")
	fs.StringVar(&o.cfg.NATS.URL, "nats", "", "join the chat of every node on this NATS JetStream server (nats://host:4222; comma-separated for a cluster); off by default")
	fs.StringVar(&o.cfg.NATS.CredsFile, "nats-creds", "", "NATS credentials file (JWT and nkey seed) for --nats")
	fs.IntVar(&o.cfg.NATS.Replicas, "nats-replicas", 1, "replicas of the NATS stream and buckets: 1 for one NATS server, 3 in a three-server cluster")
	fs.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&o.logFormat, "log-format", "text", "log format: text or json (durations in seconds)")
	fs.BoolVar(&o.showVersion, "version", false, "print the version, commit and build date, and exit")

	// Environment first, so that the command line overrides it.
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name == "version" {
			return // SSHCHAT_VERSION is a common name for other things; it must not stop a server
		}
		name := "SSHCHAT_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := getenv(name); ok && envErr == nil {
			if err := fs.Set(f.Name, v); err != nil {
				envErr = fmt.Errorf("%s=%q: %w", name, v, err)
			}
		}
	})
	if envErr != nil {
		return o, envErr
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(out, fs)
		}
		return o, err
	}
	if o.cfg.NickExpiry == 0 {
		o.cfg.NickExpiry = -1 // the flag's 0 means never; the Config's 0 means default
	}
	if o.cfg.HistoryBurst == 0 {
		o.cfg.HistoryBurst = -1 // likewise
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.showVersion {
		return o, nil
	}
	return o, validate(&o)
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	hopts := &slog.HandlerOptions{Level: lvl}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, hopts)), nil
	case "json":
		hopts.ReplaceAttr = durationsInSeconds
		return slog.New(slog.NewJSONHandler(w, hopts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}

// retentionFlag reads durations with day and week units ("30d"); 0 keeps
// everything.
type retentionFlag struct{ d *time.Duration }

func (f retentionFlag) String() string {
	if f.d == nil || *f.d == 0 {
		return "0"
	}
	return f.d.String()
}

func (f retentionFlag) Set(s string) error {
	if s == "0" {
		*f.d = 0
		return nil
	}
	d, err := chat.ParseDuration(s)
	if err != nil {
		return err
	}
	*f.d = d
	return nil
}

// durationsInSeconds writes durations as seconds (a float), the base unit
// log pipelines and Prometheus expect; slog's JSON handler would write
// nanoseconds.
func durationsInSeconds(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		a.Value = slog.Float64Value(a.Value.Duration().Seconds())
	}
	return a
}
