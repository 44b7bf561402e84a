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

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// shutdownGrace is how long members get to receive the goodbye notice and
// close their connections before the rest are cut.
const shutdownGrace = 5 * time.Second

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

type options struct {
	cfg         sshchat.Config
	motdPath    string
	logLevel    string
	logFormat   string
	showVersion bool
}

func run(args []string, stderr io.Writer) int {
	opts, err := parseFlags(args, os.LookupEnv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "sshchat: %v\n", err)
		return 2
	}
	if opts.showVersion {
		fmt.Fprintf(stderr, "sshchat %s\n", version)
		return 0
	}
	logger, err := newLogger(stderr, opts.logLevel, opts.logFormat)
	if err != nil {
		fmt.Fprintf(stderr, "sshchat: %v\n", err)
		return 2
	}
	cfg := opts.cfg
	cfg.Logger = logger
	cfg.Version = version
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

func parseFlags(args []string, getenv func(string) (string, bool), out io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("sshchat", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.cfg.Addr, "addr", sshchat.DefaultAddr, "TCP `address` to listen on")
	fs.StringVar(&o.cfg.HostKeyPath, "host-key", sshchat.DefaultHostKeyPath, "ed25519 host key `file`; generated on first start (0600, folder 0700)")
	fs.StringVar(&o.cfg.DataDir, "data", sshchat.DefaultDataDir, "`folder` for durable data")
	fs.StringVar(&o.motdPath, "motd", "", "`file` whose text is shown to everyone who joins")
	fs.StringVar(&o.cfg.AdminsFile, "admins", "", "authorized_keys `file` of operator keys (re-read on SIGHUP)")
	fs.StringVar(&o.cfg.AllowlistFile, "allowlist", "", "authorized_keys `file`: when set, only these keys may connect (re-read on SIGHUP)")
	fs.StringVar(&o.cfg.DefaultRoom, "default-room", chat.DefaultRoomName, "`room` everyone starts in")
	fs.IntVar(&o.cfg.Scrollback, "scrollback", sshchat.DefaultScrollback, "recent `lines` shown on joining a room (-1: none)")
	fs.Var(retentionFlag{&o.cfg.Retention}, "retention", "how long room history is `kept`, e.g. 30d or 12h (0: forever)")
	fs.IntVar(&o.cfg.MaxLine, "max-line", sshchat.DefaultMaxLine, "longest line in `bytes` a person may send")
	fs.IntVar(&o.cfg.MaxConns, "max-conns", sshchat.DefaultMaxConns, "most concurrent connections in total (-1: no cap)")
	fs.IntVar(&o.cfg.MaxConnsPerIP, "max-conns-per-ip", sshchat.DefaultMaxConnsPerIP, "most concurrent connections from one address (-1: no cap)")
	fs.IntVar(&o.cfg.NewConnsPerIP, "new-conns-per-ip", sshchat.DefaultNewConnsPerIP, "most `new` connections one address may open per minute (-1: no cap)")
	fs.Float64Var(&o.cfg.Rate, "rate", sshchat.DefaultRate, "`lines` per second a person may send after a burst before their lines are delayed (0: no pacing)")
	fs.IntVar(&o.cfg.Burst, "burst", sshchat.DefaultBurst, "`lines` a person may send at once before pacing starts")
	fs.IntVar(&o.cfg.HistoryBurst, "history-burst", sshchat.DefaultHistoryBurst, "history `credits` a person may spend at once: a search costs 1, reading history 1 per 100 lines; 1 comes back every 2s (0: no limit)")
	fs.StringVar(&o.logLevel, "log-level", "info", "log `level`: debug, info, warn or error")
	fs.StringVar(&o.logFormat, "log-format", "text", "log `format`: text or json")
	fs.BoolVar(&o.showVersion, "version", false, "print the version and exit")
	fs.Usage = func() {
		fmt.Fprintf(out, "Usage: sshchat [flags]\n\nA chat server people join with ssh. Every flag can also be set in the\nenvironment as SSHCHAT_<FLAG> (upper case, - becomes _), e.g. SSHCHAT_ADDR=:2022.\nFlags on the command line win.\n\n")
		fs.PrintDefaults()
	}

	// Environment first, so that the command line overrides it.
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
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
		return o, err
	}
	if o.cfg.Rate == 0 {
		o.cfg.Rate = -1 // the flag's 0 means off; the Config's 0 means default
	}
	if o.cfg.HistoryBurst == 0 {
		o.cfg.HistoryBurst = -1 // likewise
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q (see --help)", fs.Arg(0))
	}
	return o, nil
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
