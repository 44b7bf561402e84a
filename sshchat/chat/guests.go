package chat

import "github.com/sshchat/sshchat/sshchat/store"

// sharedGuestNumber asks a store shared by several nodes for the next
// guest number, so that two nodes never name two guests alike; 0 when the
// store does not number guests (one node: the hub numbers them itself) or
// cannot answer now.
func (h *Hub) sharedGuestNumber() uint64 {
	g, ok := h.store.(store.GuestNumbers)
	if !ok {
		return 0
	}
	ctx, cancel := h.ctx()
	defer cancel()
	n, err := g.NextGuest(ctx)
	if err != nil {
		h.log.Warn("next guest number", "err", err)
		return 0
	}
	return n
}
