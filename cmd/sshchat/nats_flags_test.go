package main

import (
	"io"
	"strings"
	"testing"
)

// --nats and its companions: a typo stops the node at start instead of
// leaving it a lone chat, and the environment spelling works.
func TestNATSFlagsAreValidated(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--nats-creds", "x.creds"}, "--nats-creds needs --nats"},
		{[]string{"--nats-replicas", "3"}, "--nats-replicas needs --nats"},
		{[]string{"--nats", "http://127.0.0.1:4222"}, "want nats://host:port"},
		{[]string{"--nats", "nats://"}, "no host"},
		{[]string{"--nats", "nats://a:4222,,nats://b:4222"}, "empty URL"},
		{[]string{"--nats", "nats://a:4222", "--nats-replicas", "0"}, "--nats-replicas 0"},
		{[]string{"--nats", "nats://a:4222", "--nats-replicas", "7"}, "--nats-replicas 7"},
	} {
		_, err := parseFlags(tc.args, env(nil), io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one containing %q", tc.args, err, tc.want)
		}
	}
	o, err := parseFlags([]string{"--nats-replicas", "3"}, env(map[string]string{
		"SSHCHAT_NATS": "nats://a:4222,tls://b:4222", "SSHCHAT_NATS_CREDS": "node.creds",
	}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if n := o.cfg.NATS; n.URL != "nats://a:4222,tls://b:4222" || n.CredsFile != "node.creds" || n.Replicas != 3 {
		t.Errorf("NATS config %+v", n)
	}
	if o, err := parseFlags(nil, env(nil), io.Discard); err != nil || o.cfg.NATS.URL != "" {
		t.Errorf("NATS is off by default: %+v, %v", o.cfg.NATS, err)
	}
}
