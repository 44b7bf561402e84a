package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/sshchat/sshchat/sshchat/natsjs"
	"github.com/sshchat/sshchat/sshchat/store"
)

// Nick ownership: the nicks bucket maps a folded nick to its owner (the
// claim is a create-if-absent, so of two nodes racing for a nick exactly
// one wins), and the owners bucket maps a key to the folded nick it owns
// (a key owns one nick).

type nickClaim struct {
	Nick string `json:"n"` // as claimed (case kept)
	Key  string `json:"k"`
	Seen int64  `json:"s"` // unix milliseconds
}

func (s *Store) getNick(ctx context.Context, fold string) (nickClaim, uint64, error) {
	e, err := s.nicks.Get(ctx, fold)
	if err != nil {
		return nickClaim{}, 0, err
	}
	var c nickClaim
	if err := json.Unmarshal(e.Value, &c); err != nil {
		return nickClaim{}, 0, fmt.Errorf("nick %s: %w", fold, err)
	}
	return c, e.Revision, nil
}

// ClaimNick makes key the owner of nick unless another key owns it.
func (s *Store) ClaimNick(ctx context.Context, nick, key string) (string, error) {
	fold := store.Fold(nick)
	for {
		c, rev, err := s.getNick(ctx, fold)
		now := time.Now().UnixMilli()
		val, _ := json.Marshal(nickClaim{Nick: nick, Key: key, Seen: now})
		switch {
		case err == nil && c.Key != key:
			return c.Key, nil
		case err == nil:
			_, err = s.nicks.Update(ctx, fold, val, rev)
		case errors.Is(err, natsjs.ErrNotFound):
			_, err = s.nicks.Create(ctx, fold, val)
		default:
			return "", fmt.Errorf("claim nick %s: %w", nick, err)
		}
		if errors.Is(err, natsjs.ErrExists) || errors.Is(err, natsjs.ErrRevisionMismatch) {
			continue // raced: read the winner
		}
		if err != nil {
			return "", fmt.Errorf("claim nick %s: %w", nick, err)
		}
		break
	}
	// The key's previous nick, if another, is released.
	if prev, err := s.owners.Get(ctx, key); err == nil && string(prev.Value) != fold {
		s.releaseIfOwned(ctx, string(prev.Value), key)
	}
	if _, err := s.owners.Put(ctx, key, []byte(fold)); err != nil {
		return "", fmt.Errorf("claim nick %s: record owner: %w", nick, err)
	}
	return key, nil
}

// releaseIfOwned deletes fold's claim if key still holds it.
func (s *Store) releaseIfOwned(ctx context.Context, fold, key string) bool {
	c, rev, err := s.getNick(ctx, fold)
	if err != nil || c.Key != key {
		return false
	}
	return s.nicks.Delete(ctx, fold, rev) == nil
}

// NickOwner returns the key that owns nick, or "".
func (s *Store) NickOwner(ctx context.Context, nick string) (string, error) {
	c, _, err := s.getNick(ctx, store.Fold(nick))
	if errors.Is(err, natsjs.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("nick owner %s: %w", nick, err)
	}
	return c.Key, nil
}

// OwnedNick returns the nick key owns, or "".
func (s *Store) OwnedNick(ctx context.Context, key string) (string, error) {
	e, err := s.owners.Get(ctx, key)
	if errors.Is(err, natsjs.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("owned nick: %w", err)
	}
	c, _, err := s.getNick(ctx, string(e.Value))
	if errors.Is(err, natsjs.ErrNotFound) || (err == nil && c.Key != key) {
		return "", nil // released or expired since
	}
	if err != nil {
		return "", fmt.Errorf("owned nick: %w", err)
	}
	return c.Nick, nil
}

// SeenKey records that key was seen at t.
func (s *Store) SeenKey(ctx context.Context, key string, t time.Time) error {
	e, err := s.owners.Get(ctx, key)
	if errors.Is(err, natsjs.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("seen key: %w", err)
	}
	fold := string(e.Value)
	for range 10 {
		c, rev, err := s.getNick(ctx, fold)
		if errors.Is(err, natsjs.ErrNotFound) || (err == nil && c.Key != key) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("seen key: %w", err)
		}
		c.Seen = t.UnixMilli()
		val, _ := json.Marshal(c)
		_, err = s.nicks.Update(ctx, fold, val, rev)
		if errors.Is(err, natsjs.ErrRevisionMismatch) {
			continue
		}
		return err
	}
	return nil // another writer keeps it fresh
}

// ExpireNicks releases every nick whose key was last seen before t.
func (s *Store) ExpireNicks(ctx context.Context, t time.Time) (int64, error) {
	all, err := snapshot(ctx, s.nicks)
	if err != nil {
		return 0, fmt.Errorf("expire nicks: %w", err)
	}
	var n int64
	for fold, e := range all {
		var c nickClaim
		if json.Unmarshal(e.Value, &c) != nil || c.Seen >= t.UnixMilli() {
			continue
		}
		if s.nicks.Delete(ctx, fold, e.Revision) == nil {
			n++
		}
	}
	return n, nil
}

// ReleaseNick releases nick and returns the key that owned it.
func (s *Store) ReleaseNick(ctx context.Context, nick string) (string, error) {
	fold := store.Fold(nick)
	for {
		c, rev, err := s.getNick(ctx, fold)
		if errors.Is(err, natsjs.ErrNotFound) {
			return "", nil
		}
		if err != nil {
			return "", fmt.Errorf("release nick %s: %w", nick, err)
		}
		err = s.nicks.Delete(ctx, fold, rev)
		if errors.Is(err, natsjs.ErrRevisionMismatch) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("release nick %s: %w", nick, err)
		}
		return c.Key, nil
	}
}
