package memstore

import (
	"context"
	"time"

	"github.com/sshchat/sshchat/sshchat/store"
)

// ClaimNick makes key the owner of nick unless another key owns it.
func (s *Store) ClaimNick(_ context.Context, nick, key string) (string, error) {
	fold := store.Fold(nick)
	var owner string
	err := s.write(func() error {
		if c, ok := s.nicks[fold]; ok && c.key != key {
			owner = c.key
			return nil
		}
		if old, ok := s.keyNick[key]; ok && old != fold {
			delete(s.nicks, old) // a key owns one nick
		}
		now := time.Now().UTC()
		if c, ok := s.nicks[fold]; ok {
			c.nick, c.seen = nick, maxTime(c.seen, now)
		} else {
			s.nicks[fold] = &nickClaim{nick: nick, key: key, seen: now}
		}
		s.keyNick[key] = fold
		owner = key
		return nil
	})
	return owner, err
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// NickOwner returns the key that owns nick, or "".
func (s *Store) NickOwner(_ context.Context, nick string) (string, error) {
	var owner string
	err := s.read(func() error {
		if c, ok := s.nicks[store.Fold(nick)]; ok {
			owner = c.key
		}
		return nil
	})
	return owner, err
}

// OwnedNick returns the nick key owns, or "".
func (s *Store) OwnedNick(_ context.Context, key string) (string, error) {
	var nick string
	err := s.read(func() error {
		if c, ok := s.nicks[s.keyNick[key]]; ok && c.key == key {
			nick = c.nick
		}
		return nil
	})
	return nick, err
}

// SeenKey records t as the last-seen time of the nick key owns.
func (s *Store) SeenKey(_ context.Context, key string, t time.Time) error {
	return s.write(func() error {
		if c, ok := s.nicks[s.keyNick[key]]; ok && c.key == key {
			c.seen = t
		}
		return nil
	})
}

// ExpireNicks releases the nicks of keys last seen before t.
func (s *Store) ExpireNicks(_ context.Context, t time.Time) (int64, error) {
	var n int64
	err := s.write(func() error {
		for fold, c := range s.nicks {
			if c.seen.Before(t) {
				s.releaseLocked(fold)
				n++
			}
		}
		return nil
	})
	return n, err
}

// ReleaseNick releases nick and returns the key that owned it.
func (s *Store) ReleaseNick(_ context.Context, nick string) (string, error) {
	var owner string
	err := s.write(func() error {
		owner = s.releaseLocked(store.Fold(nick))
		return nil
	})
	return owner, err
}

func (s *Store) releaseLocked(fold string) string {
	c, ok := s.nicks[fold]
	if !ok {
		return ""
	}
	delete(s.nicks, fold)
	if s.keyNick[c.key] == fold {
		delete(s.keyNick, c.key)
	}
	return c.key
}

// NextGuest hands out guest numbers shared by every hub on this store.
func (s *Store) NextGuest(context.Context) (uint64, error) {
	var n uint64
	err := s.write(func() error {
		s.guests++
		n = s.guests
		return nil
	})
	return n, err
}

// ClaimOnline records holder as online under nick unless another is.
func (s *Store) ClaimOnline(_ context.Context, nick, holder string) (string, error) {
	var cur string
	err := s.write(func() error {
		fold := store.Fold(nick)
		if h, ok := s.online[fold]; ok {
			cur = h
			return nil
		}
		s.online[fold] = holder
		cur = holder
		return nil
	})
	return cur, err
}

// ReleaseOnline ends holder's claim on nick.
func (s *Store) ReleaseOnline(_ context.Context, nick, holder string) error {
	return s.write(func() error {
		fold := store.Fold(nick)
		if s.online[fold] == holder {
			delete(s.online, fold)
		}
		return nil
	})
}
