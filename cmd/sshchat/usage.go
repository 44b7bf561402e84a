package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// placeholders name each flag's value in --help.
var placeholders = map[string]string{
	"addr": "ADDRESS", "host-key": "FILE", "data": "DIR", "motd": "FILE",
	"admins": "FILE", "allowlist": "FILE", "default-room": "ROOM",
	"scrollback": "N", "retention": "DURATION", "max-line": "BYTES",
	"max-conns": "N", "max-conns-per-ip": "N", "max-startups": "START:RATE:FULL", "new-conns-per-ip": "N",
	"rate": "N", "burst": "N", "history-burst": "N", "log-level": "LEVEL", "log-format": "FORMAT",
	"metrics": "ADDRESS", "rooms-per-hour": "N", "max-rooms": "N",
	"nick-expiry": "DURATION", "nick-claims-per-hour": "N",
	"nats": "URL", "nats-creds": "FILE", "nats-replicas": "N",
}

const usageHead = `Usage: sshchat [flags]
       sshchat healthcheck [--metrics ADDRESS | --url URL]

A chat server people join with ssh. Every flag can also be set in the
environment as SSHCHAT_<FLAG> (upper case, - becomes _), e.g.
SSHCHAT_ADDR=:2022. Flags on the command line win.

healthcheck asks a running server's /readyz (on its --metrics listener,
SSHCHAT_METRICS by default) and exits 0 when it is ready, 1 when not.

Flags:
`

// printUsage writes --help: every flag with its placeholder, its meaning
// and its default.
func printUsage(w io.Writer, fs *flag.FlagSet) {
	io.WriteString(w, usageHead)
	fs.VisitAll(func(f *flag.Flag) {
		head := "  --" + f.Name
		if p := placeholders[f.Name]; p != "" {
			head += " " + p
		}
		text := f.Usage
		if def := f.DefValue; def != "" && def != "false" && def != "0" {
			text += fmt.Sprintf(" (default %s)", def)
		}
		if len(head) < 28 {
			fmt.Fprintf(w, "%-28s%s\n", head, text)
		} else {
			fmt.Fprintf(w, "%s\n%28s%s\n", head, "", text)
		}
	})
}

// flagError is the one line a bad command line gets, with a pointer to
// --help instead of the whole usage.
func flagError(err error) string {
	msg := strings.ReplaceAll(strings.TrimSpace(err.Error()), "for flag -", "for flag --")
	return fmt.Sprintf("sshchat: %s (see sshchat --help)", msg)
}
