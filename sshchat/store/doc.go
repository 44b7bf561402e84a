// Package store defines what sshchat keeps on disk, as small Go interfaces
// and plain value types.
//
// What lives here: the durable state of a chat, split by subject. History
// (room lines and private messages kept for offline owners), Identities
// (nick ownership by key), Moderation (operators, bans, mutes, audit trail),
// Rooms (room metadata) and Preferences (per-key settings), gathered in
// Store, plus ErrClosed.
//
// What does not live here: SQL, file paths, drivers, or any engine detail.
// The chat domain depends only on these interfaces so that the embedded
// SQLite backend (package store/sqlite) can be replaced by another engine
// (NATS JetStream/KV for several nodes) without touching the domain.
// Package store/storetest holds a conformance suite every backend must pass;
// store/sqlite (the embedded default) and store/memstore (in memory, for
// tests) both pass it.
//
// The store assigns each room line its sequence number (History.Append),
// so that the room's order comes from one place even when several nodes
// share the store. Full-text search is an optional capability (Searcher).
//
// Conventions shared by every backend:
//   - Times are UTC and kept with at least millisecond precision (the SQLite
//     backend keeps microseconds); a zero Expires means "never".
//   - Keys are SSH key fingerprints ("SHA256:..."), compared exactly.
//   - Nicks and room names are matched case-insensitively with an ASCII
//     lower-case fold (see Fold); the case they were saved in is kept.
//   - Room names in History are compared exactly: the caller passes the
//     room's canonical name.
//   - A limit <= 0 returns nothing.
package store
