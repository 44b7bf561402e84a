package chat

import (
	"context"
	"fmt"
	"time"
)

// Nick claims are bounded two ways: a claim lapses when its key has not
// been seen for NickExpiry, so names squatted by throwaway keys come free
// again; and one address may make only NickClaimsPerHour first claims (a
// key that owns nothing claiming a name), so a script cycling keys cannot
// sweep up the names in one afternoon. Operators release a nick by hand
// with /release.

// Defaults of the nick claim bounds (see Config).
const (
	DefaultNickExpiry        = 90 * 24 * time.Hour
	DefaultNickClaimsPerHour = 10
	// nickSweepEvery is the least time between two expiry sweeps; a sweep
	// is one indexed DELETE, run when someone claims a nick.
	nickSweepEvery = time.Minute
)

// sweepExpiredNicks releases the nicks of keys not seen for NickExpiry, at
// most once every nickSweepEvery by the hub's clock. Keys online all that
// time are recorded as seen first.
func (h *Hub) sweepExpiredNicks(ctx context.Context) {
	if h.cfg.NickExpiry <= 0 {
		return
	}
	now := h.cfg.Now()
	last := h.nickSweep.Load()
	if last != 0 && now.Sub(time.Unix(0, last)) < nickSweepEvery {
		return
	}
	if !h.nickSweep.CompareAndSwap(last, now.UnixNano()) {
		return // someone else sweeps
	}
	refreshBefore := now.Add(-h.cfg.NickExpiry / 4).UnixNano()
	for _, m := range h.Members() {
		if m.key() != "" && m.seenStored.Load() < refreshBefore {
			h.recordSeen(ctx, m)
		}
	}
	n, err := h.store.ExpireNicks(ctx, now.Add(-h.cfg.NickExpiry))
	switch {
	case err != nil:
		h.log.Error("expire nicks", "err", err)
	case n > 0:
		h.log.Info("expired nick claims", "released", n, "unseen_for", h.cfg.NickExpiry.String())
	}
}

// recordSeen stores that m's key was seen now (the last-seen time that
// nick expiry reads).
func (h *Hub) recordSeen(ctx context.Context, m *Member) {
	if m.key() == "" {
		return
	}
	now := h.cfg.Now()
	if err := h.store.SeenKey(ctx, m.key(), now); err != nil {
		h.log.Error("record key seen", "fingerprint", m.key(), "err", err)
		return
	}
	m.seenStored.Store(now.UnixNano())
}

// mayClaimFirstNick counts a first claim from addr against the hourly
// allowance and explains a refusal ("" when allowed).
func (h *Hub) mayClaimFirstNick(addr string) (refusal string) {
	ok, _ := h.nickClaims.allow("addr:"+addressKey(addr), h.cfg.Now())
	if ok {
		return ""
	}
	return fmt.Sprintf("new keys from your address may claim %d nicks an hour", h.cfg.NickClaimsPerHour)
}

// refundNickClaim gives back a counted first claim that did not happen.
func (h *Hub) refundNickClaim(addr string) { h.nickClaims.refund("addr:" + addressKey(addr)) }

func (h *Hub) cmdRelease(m *Member, args string) {
	nick, extra := splitWord(args)
	if nick == "" || extra != "" {
		h.usage(m, "release")
		return
	}
	ctx, cancel := h.ctx()
	owner, err := h.store.ReleaseNick(ctx, nick)
	cancel()
	switch {
	case err != nil:
		h.log.Error("release nick", "nick", nick, "err", err)
		h.notice(m, "Not released: the store could not be changed.")
		return
	case owner == "":
		h.notice(m, fmt.Sprintf("No key owns %s.", nick))
		return
	}
	h.audit(m, "release", nick+" ("+owner+")", "")
	h.notice(m, fmt.Sprintf("%s is released: it no longer belongs to %s, and the next key to use it owns it.", nick, owner))
}

// recordJoinSeen stores that a joining member's key was seen.
func (h *Hub) recordJoinSeen(m *Member) {
	ctx, cancel := h.ctx()
	defer cancel()
	h.recordSeen(ctx, m)
}

// firstClaimRefused reports why m's /nick may only borrow a name ("" when
// it may claim one): m's key owns no nick yet and their address has used
// its first claims for this hour. It sweeps expired claims first.
func (h *Hub) firstClaimRefused(ctx context.Context, m *Member) string {
	if m.key() == "" {
		return ""
	}
	h.sweepExpiredNicks(ctx)
	owned, err := h.store.OwnedNick(ctx, m.key())
	if err != nil || owned != "" {
		return ""
	}
	return h.mayClaimFirstNick(m.identity.Addr)
}
