package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// migration is one schema step. Steps are applied in order, each in its own
// transaction together with the PRAGMA user_version that records it. Never
// edit a released step: append a new one.
type migration struct {
	name string
	up   func(ctx context.Context, tx *sql.Tx) error
}

// migrations is the schema history; user_version is the number of steps
// applied.
var migrations = []migration{
	{"initial schema", execAll(
		`CREATE TABLE history (
			id        INTEGER PRIMARY KEY,
			room      TEXT    NOT NULL,
			seq       INTEGER NOT NULL,
			time      INTEGER NOT NULL,
			kind      TEXT    NOT NULL,
			from_nick TEXT    NOT NULL,
			from_key  TEXT    NOT NULL,
			to_nick   TEXT    NOT NULL,
			to_key    TEXT    NOT NULL,
			text      TEXT    NOT NULL,
			UNIQUE (room, seq)
		)`,
		`CREATE INDEX history_time ON history (time)`,
		// Highest seq per room, kept even when PruneBefore removes the lines.
		`CREATE TABLE room_seq (
			room TEXT PRIMARY KEY,
			seq  INTEGER NOT NULL
		) WITHOUT ROWID`,
		`CREATE TABLE offline (
			id        INTEGER PRIMARY KEY,
			to_key    TEXT    NOT NULL,
			time      INTEGER NOT NULL,
			kind      TEXT    NOT NULL,
			from_nick TEXT    NOT NULL,
			from_key  TEXT    NOT NULL,
			to_nick   TEXT    NOT NULL,
			text      TEXT    NOT NULL
		)`,
		`CREATE INDEX offline_to_key ON offline (to_key, id)`,
		`CREATE TABLE nicks (
			fold    TEXT PRIMARY KEY,
			nick    TEXT NOT NULL,
			key     TEXT NOT NULL UNIQUE,
			claimed INTEGER NOT NULL
		) WITHOUT ROWID`,
		`CREATE TABLE operators (
			key   TEXT PRIMARY KEY,
			added INTEGER NOT NULL
		) WITHOUT ROWID`,
		`CREATE TABLE bans (
			target  TEXT PRIMARY KEY,
			reason  TEXT NOT NULL,
			by      TEXT NOT NULL,
			created INTEGER,
			expires INTEGER
		) WITHOUT ROWID`,
		`CREATE TABLE mutes (
			key     TEXT PRIMARY KEY,
			by      TEXT NOT NULL,
			created INTEGER,
			expires INTEGER
		) WITHOUT ROWID`,
		`CREATE TABLE audit (
			id     INTEGER PRIMARY KEY,
			time   INTEGER,
			actor  TEXT NOT NULL,
			action TEXT NOT NULL,
			target TEXT NOT NULL,
			reason TEXT NOT NULL
		)`,
		`CREATE TABLE rooms (
			fold        TEXT PRIMARY KEY,
			name        TEXT NOT NULL,
			topic       TEXT NOT NULL,
			creator_key TEXT NOT NULL,
			created     INTEGER
		) WITHOUT ROWID`,
		`CREATE TABLE prefs (
			key   TEXT NOT NULL,
			name  TEXT NOT NULL,
			value TEXT NOT NULL,
			PRIMARY KEY (key, name)
		) WITHOUT ROWID`,
	)},
	{"full-text index of history", createFTS},
	// Private messages appended while both ends are online: kept apart
	// from room history (never in Recent or Search), pruned with it.
	{"private message log", execAll(
		`CREATE TABLE private (
			id        INTEGER PRIMARY KEY,
			time      INTEGER NOT NULL,
			kind      TEXT    NOT NULL,
			from_nick TEXT    NOT NULL,
			from_key  TEXT    NOT NULL,
			to_nick   TEXT    NOT NULL,
			to_key    TEXT    NOT NULL,
			text      TEXT    NOT NULL
		)`,
		`CREATE INDEX private_time ON private (time)`,
	)},
	// When each nick's key was last seen, so that claims of keys gone for
	// long expire (ExpireNicks). Existing claims count as seen when claimed.
	{"nick last seen", execAll(
		`ALTER TABLE nicks ADD COLUMN seen INTEGER NOT NULL DEFAULT 0`,
		`UPDATE nicks SET seen = claimed`,
		`CREATE INDEX nicks_seen ON nicks (seen)`,
	)},
	// Kept private messages are counted per sender (a key, or a guest's
	// address) as well as per recipient.
	{"offline sender address", execAll(
		`ALTER TABLE offline ADD COLUMN from_addr TEXT NOT NULL DEFAULT ''`,
		`CREATE INDEX offline_sender ON offline (to_key, from_key, from_addr)`,
	)},
	// Read markers: the last line of each room each key was shown (see
	// markers.go).
	{"read markers", createMarkers},
}

// execAll returns a step that runs each statement in turn.
func execAll(stmts ...string) func(context.Context, *sql.Tx) error {
	return func(ctx context.Context, tx *sql.Tx) error {
		for _, q := range stmts {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		return nil
	}
}

// createFTS adds an external-content FTS5 index over history.text and fills
// it from the existing rows. Deletes and updates keep it in step by
// triggers; inserts do not: the Append writer indexes each batch with one
// INSERT ... SELECT after its rows (FTS5 flushes its pending terms at every
// statement savepoint, so a per-row trigger costs a flush per message and
// halves throughput). Anything else that inserts into history must index
// its rows the same way. If the driver was
// built without FTS5 the step does nothing and Search falls back to LIKE.
func createFTS(ctx context.Context, tx *sql.Tx) error {
	if !hasFTS5(ctx, tx) {
		return nil
	}
	return execAll(
		`CREATE VIRTUAL TABLE history_fts USING fts5(
			text, content='history', content_rowid='id',
			tokenize='unicode61 remove_diacritics 2'
		)`,
		`CREATE TRIGGER history_fts_delete AFTER DELETE ON history BEGIN
			INSERT INTO history_fts (history_fts, rowid, text) VALUES ('delete', old.id, old.text);
		END`,
		`CREATE TRIGGER history_fts_update AFTER UPDATE OF text ON history BEGIN
			INSERT INTO history_fts (history_fts, rowid, text) VALUES ('delete', old.id, old.text);
			INSERT INTO history_fts (rowid, text) VALUES (new.id, new.text);
		END`,
		`INSERT INTO history_fts (history_fts) VALUES ('rebuild')`,
	)(ctx, tx)
}

// hasFTS5 reports whether the driver can create an FTS5 table.
func hasFTS5(ctx context.Context, tx *sql.Tx) bool {
	if _, err := tx.ExecContext(ctx, `CREATE VIRTUAL TABLE temp.fts5_probe USING fts5(x)`); err != nil {
		return false
	}
	_, err := tx.ExecContext(ctx, `DROP TABLE temp.fts5_probe`)
	return err == nil
}

// migrate brings the schema up to date, one transaction per step. The
// version is read again inside each (IMMEDIATE) transaction, so two
// processes opening a fresh file at once do not apply a step twice.
func (s *Store) migrate(ctx context.Context) error {
	for {
		done, err := s.migrateStep(ctx)
		if err != nil || done {
			return err
		}
	}
}

// migrateStep applies the next migration, or reports done.
func (s *Store) migrateStep(ctx context.Context) (done bool, err error) {
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("migrate: begin: %w", err)
	}
	defer tx.Rollback()
	var v int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return false, fmt.Errorf("read schema version: %w", err)
	}
	switch {
	case v > len(migrations):
		return false, fmt.Errorf("database schema version %d is newer than this sshchat knows (%d): "+
			"it was written by a newer sshchat; run that version or restore a backup", v, len(migrations))
	case v < 0:
		return false, fmt.Errorf("database schema version %d is invalid", v)
	case v == len(migrations):
		return true, nil
	}
	m := migrations[v]
	if err := m.up(ctx, tx); err != nil {
		return false, fmt.Errorf("migrate to version %d (%s): %w", v+1, m.name, err)
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
		return false, fmt.Errorf("migrate to version %d (%s): set version: %w", v+1, m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("migrate to version %d (%s): commit: %w", v+1, m.name, err)
	}
	return false, nil
}
