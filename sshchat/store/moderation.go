package store

import (
	"context"
	"time"
)

// Ban refuses a key ("SHA256:...") or an address ("ip:203.0.113.7" or "ip:203.0.113.0/24", also IPv6).
// The store compares Target exactly: the caller writes addresses in one
// canonical form (netip's String).
type Ban struct {
	Target  string
	Reason  string
	By      string // who banned: nick and key, free text
	Created time.Time
	Expires time.Time // zero: never
}

// Active reports whether b is in force at now.
func (b Ban) Active(now time.Time) bool { return b.Expires.IsZero() || b.Expires.After(now) }

// Mute silences a key in every room.
type Mute struct {
	Key     string // fingerprint
	By      string
	Created time.Time
	Expires time.Time // zero: never
}

// Active reports whether m is in force at now.
func (m Mute) Active(now time.Time) bool { return m.Expires.IsZero() || m.Expires.After(now) }

// AuditEntry is one line of the moderation trail.
type AuditEntry struct {
	Time   time.Time
	Actor  string // nick (key)
	Action string // "kick", "ban", "unban", "mute", "unmute", "op", "deop", "topic", ...
	Target string
	Reason string
}

// Moderation keeps operators, bans, mutes and the audit trail.
type Moderation interface {
	// SetOperator grants (op) or revokes (!op) operator rights of key.
	SetOperator(ctx context.Context, key string, op bool) error
	// Operators returns the operator keys, sorted.
	Operators(ctx context.Context) ([]string, error)
	AddBan(ctx context.Context, b Ban) error // replaces an existing ban of the same Target
	// RemoveBan deletes the ban of target and reports whether there was one.
	RemoveBan(ctx context.Context, target string) (bool, error)
	Bans(ctx context.Context, now time.Time) ([]Ban, error) // active at now (unexpired), sorted by Created
	// AddMute replaces an existing mute of the same Key.
	AddMute(ctx context.Context, m Mute) error
	// RemoveMute deletes the mute of key and reports whether there was one.
	RemoveMute(ctx context.Context, key string) (bool, error)
	// Mutes returns the mutes active at now (unexpired), sorted by Created.
	Mutes(ctx context.Context, now time.Time) ([]Mute, error)
	// Audit appends e to the trail (durable on return).
	Audit(ctx context.Context, e AuditEntry) error
	AuditLog(ctx context.Context, limit int) ([]AuditEntry, error) // newest last, at most limit
}
