package chat

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/sshchat/sshchat/sshchat/store"
)

// moderation is the hub's in-memory view of operators, bans, mutes and the
// allowlist. The store is the record; this copy is what the hot paths (every
// authentication, every line) consult without I/O.
type moderation struct {
	mu        sync.RWMutex    // a leaf lock (see doc.go): maps only, no I/O
	fileOps   map[string]bool // from the admins file; not removable by /deop
	storeOps  map[string]bool // granted with /op
	bans      map[string]store.Ban
	mutes     map[string]store.Mute
	allowlist map[string]bool // nil: everyone may connect
}

func (h *Hub) loadModeration(ctx context.Context) error {
	now := h.cfg.Now()
	ops, err := h.store.Operators(ctx)
	if err != nil {
		return fmt.Errorf("load operators: %w", err)
	}
	bans, err := h.store.Bans(ctx, now)
	if err != nil {
		return fmt.Errorf("load bans: %w", err)
	}
	mutes, err := h.store.Mutes(ctx, now)
	if err != nil {
		return fmt.Errorf("load mutes: %w", err)
	}
	mod := &h.mod
	mod.mu.Lock()
	defer mod.mu.Unlock()
	mod.storeOps = make(map[string]bool, len(ops))
	for _, k := range ops {
		mod.storeOps[k] = true
	}
	mod.bans = make(map[string]store.Ban, len(bans))
	for _, b := range bans {
		mod.bans[b.Target] = b
	}
	mod.mutes = make(map[string]store.Mute, len(mutes))
	for _, m := range mutes {
		mod.mutes[m.Key] = m
	}
	return nil
}

// SetFileOperators replaces the operators listed in the admins file (key
// fingerprints); the server calls it at start and on SIGHUP.
func (h *Hub) SetFileOperators(keys []string) {
	h.mod.mu.Lock()
	defer h.mod.mu.Unlock()
	h.mod.fileOps = make(map[string]bool, len(keys))
	for _, k := range keys {
		h.mod.fileOps[k] = true
	}
}

// SetAllowlist turns allowlist mode on with these key fingerprints, or off
// with nil.
func (h *Hub) SetAllowlist(keys []string) {
	h.mod.mu.Lock()
	defer h.mod.mu.Unlock()
	if keys == nil {
		h.mod.allowlist = nil
		return
	}
	h.mod.allowlist = make(map[string]bool, len(keys))
	for _, k := range keys {
		h.mod.allowlist[k] = true
	}
}

func (h *Hub) isOperator(m *Member) bool { return h.isOperatorKey(m.key()) }

func (h *Hub) isOperatorKey(key string) bool {
	if key == "" {
		return false
	}
	h.mod.mu.RLock()
	defer h.mod.mu.RUnlock()
	return h.mod.fileOps[key] || h.mod.storeOps[key]
}

// Admission decides whether a key (or a guest, key "") from ip may connect.
// The reason is one line meant for the refused person.
func (h *Hub) Admission(key, ip string) (ok bool, reason string) {
	now := h.cfg.Now()
	h.mod.mu.RLock()
	defer h.mod.mu.RUnlock()
	if key != "" {
		if b, banned := h.mod.bans[key]; banned && b.Active(now) {
			return false, "You are banned from this server" + banDetail(b, now)
		}
	}
	if reason, banned := h.bannedAddressLocked(ip, now); banned {
		return false, reason
	}
	if h.mod.allowlist != nil {
		if key == "" {
			return false, "This server admits listed keys only; connect with your listed SSH key."
		}
		if !h.mod.allowlist[key] {
			return false, "Your key is not on this server's list (" + key + ")."
		}
	}
	return true, ""
}

// BannedAddress reports whether ip is under an address ban, with the
// reason to show. The server checks it before any SSH work.
func (h *Hub) BannedAddress(ip string) (reason string, banned bool) {
	h.mod.mu.RLock()
	defer h.mod.mu.RUnlock()
	return h.bannedAddressLocked(ip, h.cfg.Now())
}

func (h *Hub) bannedAddressLocked(ip string, now time.Time) (string, bool) {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return "", false
	}
	for _, b := range h.mod.bans {
		if p, ok := ipBanPrefix(b.Target); ok && p.Contains(addr.Unmap()) && b.Active(now) {
			return "Your address is banned from this server" + banDetail(b, now), true
		}
	}
	return "", false
}

func banDetail(b store.Ban, now time.Time) string {
	var s string
	if b.Reason != "" {
		s += ": " + b.Reason
	}
	if !b.Expires.IsZero() {
		s += fmt.Sprintf(" (for another %s)", formatDuration(b.Expires.Sub(now).Round(time.Minute)))
	}
	return s + "."
}

// ipBanPrefix reads an "ip:ADDR" or "ip:ADDR/BITS" target.
func ipBanPrefix(target string) (netip.Prefix, bool) {
	s, ok := strings.CutPrefix(target, "ip:")
	if !ok {
		return netip.Prefix{}, false
	}
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}

// muted reports whether m may not speak, and until when.
func (h *Hub) muted(m *Member) (bool, time.Time) {
	if m.mutedGuest.Load() {
		return true, time.Time{}
	}
	if m.key() == "" {
		return false, time.Time{}
	}
	h.mod.mu.RLock()
	mute, ok := h.mod.mutes[m.key()]
	h.mod.mu.RUnlock()
	if ok && mute.Active(h.cfg.Now()) {
		return true, mute.Expires
	}
	return false, time.Time{}
}

// refuseIfMuted tells a muted member so and reports true.
func (h *Hub) refuseIfMuted(m *Member) bool {
	muted, until := h.muted(m)
	if !muted {
		return false
	}
	if until.IsZero() {
		h.notice(m, "Not sent: you are muted.")
	} else {
		h.notice(m, fmt.Sprintf("Not sent: you are muted for another %s.", formatDuration(until.Sub(h.cfg.Now()).Round(time.Second))))
	}
	return true
}

// audit records a moderation action in the store and the log.
func (h *Hub) audit(actor *Member, action, target, reason string) {
	entry := store.AuditEntry{Time: h.cfg.Now(), Actor: actor.Nick() + " (" + KeyOrGuest(actor.key()) + ")", Action: action, Target: target, Reason: reason}
	h.log.Info("moderation", "actor", entry.Actor, "action", action, "target", target, "reason", reason)
	ctx, cancel := h.ctx()
	defer cancel()
	if err := h.store.Audit(ctx, entry); err != nil {
		h.log.Error("write audit trail", "err", err)
	}
}

// announceAll shows a server line in every room.
func (h *Hub) announceAll(text string) {
	h.mu.Lock()
	rooms := h.roomListLocked()
	h.mu.Unlock()
	for _, r := range rooms {
		r.publish(&Event{Kind: KindAnnounce, Text: text}, nil)
	}
}

// membersWhere returns the members for whom match is true.
func (h *Hub) membersWhere(match func(*Member) bool) []*Member {
	var out []*Member
	for _, m := range h.Members() {
		if match(m) {
			out = append(out, m)
		}
	}
	return out
}
