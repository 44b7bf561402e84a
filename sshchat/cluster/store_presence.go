package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/sshchat/sshchat/sshchat/natsjs"
	"github.com/sshchat/sshchat/sshchat/store"
)

// Presence: who is online under which nick, in the online bucket with a
// per-key TTL. This node refreshes its own claims every TTL/3, so a claim
// of a node that died disappears after at most one TTL.

// ClaimOnline records holder as online under nick unless another holder is.
func (s *Store) ClaimOnline(ctx context.Context, nick, holder string) (string, error) {
	fold := store.Fold(nick)
	for {
		rev, err := s.online.CreateTTL(ctx, fold, []byte(holder), s.o.PresenceTTL)
		if err == nil {
			s.presence.keep(fold, holder, rev)
			return holder, nil
		}
		if !errors.Is(err, natsjs.ErrExists) {
			return "", fmt.Errorf("claim online %s: %w", nick, err)
		}
		e, err := s.online.Get(ctx, fold)
		if errors.Is(err, natsjs.ErrNotFound) {
			continue // released meanwhile
		}
		if err != nil {
			return "", fmt.Errorf("claim online %s: %w", nick, err)
		}
		return string(e.Value), nil
	}
}

// ReleaseOnline ends holder's claim on nick.
func (s *Store) ReleaseOnline(ctx context.Context, nick, holder string) error {
	fold := store.Fold(nick)
	s.presence.forget(fold, holder)
	e, err := s.online.Get(ctx, fold)
	if errors.Is(err, natsjs.ErrNotFound) || (err == nil && string(e.Value) != holder) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("release online %s: %w", nick, err)
	}
	if err := s.online.Delete(ctx, fold, e.Revision); err != nil && !errors.Is(err, natsjs.ErrRevisionMismatch) {
		return fmt.Errorf("release online %s: %w", nick, err)
	}
	return nil
}

// NextGuest returns a guest number no node was given before.
func (s *Store) NextGuest(ctx context.Context) (uint64, error) {
	n, err := s.advanceCounter(ctx, "guest", func(cur uint64) (uint64, bool) { return cur + 1, false })
	if err != nil {
		return 0, fmt.Errorf("next guest: %w", err)
	}
	return n, nil
}

// presenceKeeper refreshes this node's online claims before they expire.
type presenceKeeper struct {
	bucket *natsjs.Bucket
	ttl    time.Duration
	log    *slog.Logger

	mu     sync.Mutex // a leaf: claims
	claims map[string]heldClaim

	quit chan struct{}
	done chan struct{}
}

type heldClaim struct {
	holder string
	rev    uint64
}

func newPresenceKeeper(b *natsjs.Bucket, ttl time.Duration, log *slog.Logger) *presenceKeeper {
	p := &presenceKeeper{bucket: b, ttl: ttl, log: log, claims: map[string]heldClaim{},
		quit: make(chan struct{}), done: make(chan struct{})}
	go p.run()
	return p
}

func (p *presenceKeeper) keep(fold, holder string, rev uint64) {
	p.mu.Lock()
	p.claims[fold] = heldClaim{holder, rev}
	p.mu.Unlock()
}

func (p *presenceKeeper) forget(fold, holder string) {
	p.mu.Lock()
	if c, ok := p.claims[fold]; ok && c.holder == holder {
		delete(p.claims, fold)
	}
	p.mu.Unlock()
}

func (p *presenceKeeper) stop() {
	close(p.quit)
	<-p.done
}

func (p *presenceKeeper) run() {
	defer close(p.done)
	defer func() {
		if r := recover(); r != nil {
			p.log.Error("panic in presence keeper", "panic", r)
		}
	}()
	tick := time.NewTicker(p.ttl / 3)
	defer tick.Stop()
	for {
		select {
		case <-p.quit:
			return
		case <-tick.C:
			p.refresh()
		}
	}
}

// refresh writes every claim again with a new TTL, outside the lock.
func (p *presenceKeeper) refresh() {
	p.mu.Lock()
	snap := make(map[string]heldClaim, len(p.claims))
	for k, c := range p.claims {
		snap[k] = c
	}
	p.mu.Unlock()
	for fold, c := range snap {
		ctx, cancel := context.WithTimeout(context.Background(), p.ttl/3)
		rev, err := p.bucket.RefreshTTL(ctx, fold, []byte(c.holder), c.rev, p.ttl)
		cancel()
		p.mu.Lock()
		cur, ok := p.claims[fold]
		switch {
		case !ok || cur != c:
			// released or claimed again meanwhile: leave it alone
		case err == nil:
			p.claims[fold] = heldClaim{c.holder, rev}
		case errors.Is(err, natsjs.ErrRevisionMismatch), errors.Is(err, natsjs.ErrNotFound):
			delete(p.claims, fold) // lost (expired while NATS was away)
		default:
			p.log.Warn("refresh online claim", "nick", fold, "err", err)
		}
		p.mu.Unlock()
	}
}
