package chat

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sshchat/sshchat/sshchat/store"
)

// /mute and /unmute.

func (h *Hub) cmdMute(m *Member, args string) {
	nick, rest := splitWord(args)
	if nick == "" {
		h.usage(m, "mute")
		return
	}
	d, reason, err := splitDuration(rest)
	if err != nil {
		h.notice(m, err.Error()+".")
		return
	}
	t, ok := h.resolve(m, nick)
	if !ok {
		return
	}
	switch {
	case isSelf(m, t):
		h.notice(m, "Not muted: that is you.")
		return
	case h.protectedFrom(m, t):
		h.notice(m, fmt.Sprintf("Not muted: %s's key is in the admins file.", t.nick))
		return
	}
	if muted, until := h.mutedTarget(t); muted {
		span := " for good"
		if !until.IsZero() {
			span = " for another " + formatDuration(until.Sub(h.cfg.Now()).Round(time.Second))
		}
		h.notice(m, fmt.Sprintf("%s is already muted%s; /unmute them first to change it.", t.nick, span))
		return
	}
	span := ""
	if d > 0 {
		span = " for " + formatDuration(d)
	}
	if t.key == "" {
		// A guest has no key: the mute holds for their address, on
		// this server, for every session from there.
		if err := h.muteGuest(t.online, m, d); err != nil {
			h.notice(m, "Not muted: "+err.Error()+".")
			return
		}
	} else {
		now := h.cfg.Now()
		mute := store.Mute{Key: t.key, By: m.Nick() + " (" + KeyOrGuest(m.key()) + ")", Created: now}
		if d > 0 {
			mute.Expires = now.Add(d)
		}
		if err := h.addMute(mute); err != nil {
			h.notice(m, "Not muted: "+err.Error()+".")
			return
		}
	}
	h.audit(m, "mute", t.label(), strings.TrimSpace(span+" "+reason))
	h.notice(m, fmt.Sprintf("%s is muted%s.", t.nick, span))
	for _, v := range h.sessionsOf(t) {
		if !v.hidden {
			h.notice(v, fmt.Sprintf("You were muted by %s%s.", m.Nick(), span))
		}
	}
}

// mutedTarget reports whether t is muted now, and until when.
func (h *Hub) mutedTarget(t target) (bool, time.Time) {
	if t.key == "" {
		if t.online == nil {
			return false, time.Time{}
		}
		return h.muted(t.online)
	}
	return h.muted(&Member{identity: Identity{Fingerprint: t.key}})
}

// muteGuest mutes the address of the guest g (for d; 0: until the server
// restarts), within maxMutes.
func (h *Hub) muteGuest(g, by *Member, d time.Duration) error {
	now := h.cfg.Now()
	mute := store.Mute{Key: addressKey(g.identity.Addr), By: by.Nick() + " (" + KeyOrGuest(by.key()) + ")", Created: now}
	if d > 0 {
		mute.Expires = now.Add(d)
	}
	h.mod.mu.Lock()
	defer h.mod.mu.Unlock()
	if len(h.mod.guestMutes) >= maxMutes {
		h.mod.expireLocked(now)
		if len(h.mod.guestMutes) >= maxMutes {
			return errTooManyMutes
		}
	}
	if h.mod.guestMutes == nil {
		h.mod.guestMutes = make(map[string]store.Mute)
	}
	h.mod.guestMutes[mute.Key] = mute
	return nil
}

var errTooManyMutes = fmt.Errorf("%d mutes are in force, the most this server keeps; lift some with /unmute", maxMutes)

// addMute stores mute and puts it in force, within maxMutes.
func (h *Hub) addMute(mute store.Mute) error {
	h.mod.mu.Lock()
	if len(h.mod.mutes) >= maxMutes {
		h.mod.expireLocked(h.cfg.Now())
	}
	full := len(h.mod.mutes) >= maxMutes
	h.mod.mu.Unlock()
	if full {
		return errTooManyMutes
	}
	ctx, cancel := h.ctx()
	err := h.store.AddMute(ctx, mute)
	cancel()
	if err != nil {
		h.log.Error("store mute", "err", err)
		return errors.New("the mute could not be stored")
	}
	h.mod.mu.Lock()
	h.mod.mutes[mute.Key] = mute
	h.mod.mu.Unlock()
	h.publishChange(ChangeModeration, "")
	return nil
}

func (h *Hub) cmdUnmute(m *Member, args string) {
	t, ok := h.oneTarget(m, "unmute", args)
	if !ok {
		return
	}
	if muted, _ := h.mutedTarget(t); !muted {
		h.notice(m, t.nick+" is not muted.")
		return
	}
	if t.key == "" && t.online != nil {
		h.mod.mu.Lock()
		delete(h.mod.guestMutes, addressKey(t.online.identity.Addr))
		h.mod.mu.Unlock()
	}
	if t.key != "" {
		ctx, cancel := h.ctx()
		_, err := h.store.RemoveMute(ctx, t.key)
		cancel()
		if err != nil {
			h.notice(m, "Not unmuted: the store could not be changed.")
			return
		}
		h.mod.mu.Lock()
		delete(h.mod.mutes, t.key)
		h.mod.mu.Unlock()
		h.publishChange(ChangeModeration, "")
	}
	h.audit(m, "unmute", t.label(), "")
	h.notice(m, t.nick+" may talk again.")
	for _, v := range h.sessionsOf(t) {
		if !v.hidden {
			h.notice(v, "You may talk again.")
		}
	}
}
