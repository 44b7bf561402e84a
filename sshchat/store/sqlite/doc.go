// Package sqlite is the embedded store.Store backend: one SQLite file,
// through the pure-Go driver modernc.org/sqlite (no cgo).
//
// Layout: two database/sql pools on the same file. The write pool has one
// connection (SQLite allows one writer at a time; one connection means our
// own writers queue in Go instead of spinning on SQLITE_BUSY) and begins its
// transactions IMMEDIATE. The read pool has a few query_only connections,
// which WAL mode lets run while a write is in progress.
//
// History.Append goes through a group-commit writer: one goroutine, started
// by Open and stopped by Close, takes the queued appends from a bounded
// channel (Options.QueueSize, 8192 by default; Append blocks only when it is
// full), writes whatever is queued (up to Options.MaxBatch, 1024 by default)
// in one transaction, commits, and then calls the callbacks in Append order.
// Every other write (SaveOffline, bans, nicks...) is synchronous on the
// write pool and durable on return.
//
// Durability: journal_mode=WAL with synchronous=NORMAL by default. A commit
// then survives a crash or kill -9 of the process, but a power loss or OS
// crash may lose the last commits (never corrupt the file). Options
// Synchronous "FULL" syncs the WAL on every commit and survives power loss
// too, at the cost of an fsync per group commit. A database that was not
// closed (process killed) opens without repair: SQLite replays the WAL.
//
// Schema: versioned migrations in PRAGMA user_version, each applied in its
// own transaction; a database written by a newer sshchat is refused.
// Times are stored as INTEGER microseconds since the Unix epoch (UTC); a
// zero time.Time is NULL. Search uses an external-content FTS5 index
// (unicode61 tokenizer, case- and diacritic-insensitive) that the writer
// fills once per batch (triggers handle deletes), or LIKE if the driver
// lacks FTS5. Private messages given to Append go to their own table,
// never returned by Recent or Search. Searches run on their own small
// connection pool, each stopped at a time budget (see search.go), so the
// read pool that joins and look-ups use never waits behind them.
package sqlite
