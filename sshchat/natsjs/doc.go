// Package natsjs is the NATS JetStream engine that lets several sshchat
// nodes share one chat: the connection to NATS (credentials, TLS,
// reconnecting forever, and telling the node when NATS goes away and comes
// back), the one stream that carries every chat subject, publishing with a
// message id so that a retried line is stored once, consuming that stream in
// order from a given sequence, and key-value buckets with compare-and-set
// claims, watches and per-key expiry.
//
// It knows nothing of chat: it moves opaque payloads under subjects and
// keys. The subject scheme (Subjects) only encodes names so that a room
// called "a.b" or "*" can never become a wildcard or a second subject token.
// Turning lines, nicks, bans or presence into payloads, the read model, and
// deciding what to show a member all live with the chat code that uses this
// package; this package imports nothing from sshchat.
//
// Durability: JetStream acknowledges a publish once the stream leader (and,
// with replicas, a quorum) has written it, but it fsyncs its files only every
// SyncInterval (server setting, 2 minutes by default). An acknowledged line
// therefore survives a crash of the nats-server process, but an operating
// system crash or power loss only when the stream has three replicas on
// different machines (StreamConfig.Replicas = 3) or the server runs with
// `jetstream { sync_interval: always }`, which costs throughput. See
// docs/NATS.md for figures.
//
// Tests run real embedded servers (package natsjstest): one server, and a
// three-server cluster with three replicas.
package natsjs
