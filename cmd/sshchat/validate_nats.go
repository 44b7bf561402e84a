package main

import (
	"net/url"
	"strings"

	"github.com/sshchat/sshchat/sshchat"
)

// validateNATS checks --nats, --nats-creds and --nats-replicas: a typo
// should stop the node at start, not leave it a lone chat.
func validateNATS(n sshchat.NATSConfig, bad func(string, ...any)) {
	if n.URL == "" {
		if n.CredsFile != "" {
			bad("--nats-creds needs --nats URL")
		}
		if n.Replicas != 1 {
			bad("--nats-replicas needs --nats URL")
		}
		return
	}
	for _, raw := range strings.Split(n.URL, ",") {
		raw = strings.TrimSpace(raw)
		u, err := url.Parse(raw)
		switch {
		case raw == "":
			bad("--nats %q: an empty URL in the list", n.URL)
		case err != nil:
			bad("--nats: %q is not a URL", raw)
		case u.Scheme != "nats" && u.Scheme != "tls":
			bad("--nats %q: want nats://host:port or tls://host:port", raw)
		case u.Host == "":
			bad("--nats %q: no host", raw)
		}
	}
	if n.Replicas < 1 || n.Replicas > 5 {
		bad("--nats-replicas %d: must be 1 to 5 (JetStream's limit; 3 in a three-server cluster)", n.Replicas)
	}
}
