package store

import (
	"context"
	"time"
)

// Identities binds nicks to keys (case-insensitive nick, ASCII lower-case fold).
type Identities interface {
	// ClaimNick makes key the owner of nick unless another key owns it. On
	// success it releases any other nick key owned (a key owns one nick) and
	// returns key; if another key owns nick it returns that key and changes nothing.
	// Claiming one's own nick in another case changes the stored case.
	ClaimNick(ctx context.Context, nick, key string) (owner string, err error)
	// NickOwner returns the key that owns nick, or "".
	NickOwner(ctx context.Context, nick string) (string, error)
	// OwnedNick returns the nick key owns (with the case it was claimed in), or "".
	OwnedNick(ctx context.Context, key string) (string, error)
	// SeenKey records that key was seen at t: the last-seen time of the
	// nick it owns (nothing happens if it owns none). ClaimNick counts as
	// seeing the key at the time of the claim.
	SeenKey(ctx context.Context, key string, t time.Time) error
	// ExpireNicks releases every nick whose key was last seen before t and
	// returns how many it released.
	ExpireNicks(ctx context.Context, t time.Time) (int64, error)
	// ReleaseNick releases nick (any case) and returns the key that owned
	// it, or "" if no key did.
	ReleaseNick(ctx context.Context, nick string) (string, error)
}

// GuestNumbers is an optional capability of a store that several nodes
// share: it hands out the numbers of guest names (Guest-N), so that two
// nodes never give the same one. A store of one node need not have it:
// the hub then numbers its guests itself.
type GuestNumbers interface {
	// NextGuest returns a number never returned before by this store
	// (1, 2, 3, ...).
	NextGuest(ctx context.Context) (uint64, error)
}

// Presence is an optional capability of a store that several nodes share:
// who is online under which nick, whichever node they are on. A store of
// one node need not have it: the hub's own registry is then the whole
// truth.
type Presence interface {
	// ClaimOnline records holder as online under nick (any case) unless
	// another holder is, and returns the holder that is.
	ClaimOnline(ctx context.Context, nick, holder string) (string, error)
	// ReleaseOnline ends holder's claim on nick; a claim of another
	// holder is left alone.
	ReleaseOnline(ctx context.Context, nick, holder string) error
}
