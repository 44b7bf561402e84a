package chat

import (
	"errors"
	"fmt"

	"github.com/sshchat/sshchat/sshchat/sanitize"
)

// postNick is the name a one-shot post by id appears under: the nick its
// key owns; else the user name, or a numbered variant of it, that no other
// key owns and nobody online is using (the user name is then claimed, as a
// first login would). A one-shot post has no session to keep a borrowed
// name in use, so it must never take a name someone else shows up as.
func (h *Hub) postNick(id Identity) (string, error) {
	key := id.Fingerprint
	ctx, cancel := h.ctx()
	defer cancel()
	owned, err := h.store.OwnedNick(ctx, key)
	if err != nil {
		return "", fmt.Errorf("nicks cannot be checked right now: %w", err)
	}
	if owned != "" {
		return owned, nil
	}
	wanted := sanitize.Nick(id.User)
	switch {
	case wanted == "":
		return "", errors.New("your user name has no usable characters; connect once and choose a /nick")
	case guestShaped(wanted):
		return "", errors.New(wanted + " is a name for guests without a key; connect once and choose a /nick")
	}
	candidates := []string{wanted}
	for i := 2; i <= 9; i++ {
		suffix := fmt.Sprintf("_%d", i)
		candidates = append(candidates, sanitize.Truncate(wanted, sanitize.MaxNickLen-len(suffix))+suffix)
	}
	for _, c := range candidates {
		if h.usedByAnotherKey(c, key) || h.lookalikeRefusal(c, key, nil) != "" {
			continue
		}
		owner, err := h.store.NickOwner(ctx, c)
		if err != nil {
			return "", fmt.Errorf("nicks cannot be checked right now: %w", err)
		}
		switch {
		case owner == key:
			return c, nil
		case owner != "":
			continue
		case c != wanted:
			return c, nil // like a login that gets a numbered name: not claimed
		}
		// A first claim counts against the address's hourly allowance,
		// as at login; past it the free name is used, not owned.
		if refusal := h.mayClaimFirstNick(id.Addr); refusal != "" {
			return c, nil
		}
		h.sweepExpiredNicks(ctx)
		if owner, err = h.store.ClaimNick(ctx, c, key); err != nil {
			h.refundNickClaim(id.Addr)
			return "", fmt.Errorf("nicks cannot be checked right now: %w", err)
		} else if owner == key {
			return c, nil
		}
		h.refundNickClaim(id.Addr)
	}
	return "", errors.New(wanted + " and its numbered variants are taken; connect once and choose a /nick")
}

// usedByAnotherKey reports whether someone online under another key (or a
// guest) uses nick, or holds it while renaming.
func (h *Hub) usedByAnotherKey(nick, key string) bool {
	folded := sanitize.FoldNick(nick)
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, m := range []*Member{h.nicks[folded], h.reserved[folded]} {
		if m != nil && (m.key() == "" || m.key() != key) {
			return true
		}
	}
	return false
}
