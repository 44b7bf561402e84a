package chat

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sshchat/sshchat/sshchat/store"
)

// moderation is the hub's in-memory view of operators, bans, mutes and the
// allowlist. The store is the record; this copy is what the hot paths (every
// authentication, every line) consult without I/O. Admission costs one map
// probe for the key and, for the address, one probe per prefix length that
// some ban uses (at most 129), however many bans there are. What has
// expired is dropped (at most a minute late, and before a full table
// refuses a new entry), and the tables are bounded by maxBans and maxMutes.
type moderation struct {
	mu        sync.RWMutex    // a leaf lock (see doc.go): maps only, no I/O
	fileOps   map[string]bool // from the admins file; not removable by /deop
	storeOps  map[string]bool // granted with /op
	keyBans   map[string]store.Ban
	ipBans    map[netip.Prefix]store.Ban // masked prefixes (single addresses are /32 or /128)
	ipBanLens map[int]int                // prefix length -> how many ipBans use it
	mutes     map[string]store.Mute
	// guestMutes mutes guests by address (an IPv6 /64 counts as one), as
	// every other guest limit counts them: a guest has no key, so the
	// mute holds for every session from there. Node-local, not stored.
	guestMutes map[string]store.Mute
	allowlist  map[string]bool // nil: everyone may connect
	lastSweep  atomic.Int64    // unix nanoseconds of the last expiry sweep
}

// Bounds of the ban and mute tables. Past them a new ban or mute is
// refused with a message; lifting old ones (or their expiry) makes room.
const (
	maxBans  = 10_000
	maxMutes = 10_000
)

// moderationSweep is how often expired bans and mutes are dropped from
// memory (the store keeps them for the record; Bans and Mutes skip them):
// see maybeExpire.
const moderationSweep = time.Minute

func (mod *moderation) banCountLocked() int { return len(mod.keyBans) + len(mod.ipBans) }

// addBanLocked puts b in force, replacing a ban of the same target.
func (mod *moderation) addBanLocked(b store.Ban) {
	if p, ok := ipBanPrefix(b.Target); ok {
		if _, had := mod.ipBans[p]; !had {
			mod.ipBanLens[p.Bits()]++
		}
		mod.ipBans[p] = b
		return
	}
	mod.keyBans[b.Target] = b
}

func (mod *moderation) removeBanLocked(target string) {
	if p, ok := ipBanPrefix(target); ok {
		if _, had := mod.ipBans[p]; had {
			delete(mod.ipBans, p)
			if mod.ipBanLens[p.Bits()]--; mod.ipBanLens[p.Bits()] == 0 {
				delete(mod.ipBanLens, p.Bits())
			}
		}
		return
	}
	delete(mod.keyBans, target)
}

// banLocked returns the ban in force on target (a key or an ip: target).
func (mod *moderation) banLocked(target string, now time.Time) (store.Ban, bool) {
	var b store.Ban
	var ok bool
	if p, isIP := ipBanPrefix(target); isIP {
		b, ok = mod.ipBans[p]
	} else {
		b, ok = mod.keyBans[target]
	}
	return b, ok && b.Active(now)
}

// expireLocked drops the bans and mutes that have run out.
func (mod *moderation) expireLocked(now time.Time) {
	for k, b := range mod.keyBans {
		if !b.Active(now) {
			delete(mod.keyBans, k)
		}
	}
	for _, b := range mod.ipBans {
		if !b.Active(now) {
			mod.removeBanLocked(b.Target)
		}
	}
	for k, m := range mod.mutes {
		if !m.Active(now) {
			delete(mod.mutes, k)
		}
	}
	for k, m := range mod.guestMutes {
		if !m.Active(now) {
			delete(mod.guestMutes, k)
		}
	}
}

// maybeExpire drops expired bans and mutes at most once per
// moderationSweep. The hot paths (admission, every line's mute check) call
// it; they pay one atomic load unless a sweep is due, and the hub needs no
// goroutine of its own for it.
func (mod *moderation) maybeExpire(now time.Time) {
	last := mod.lastSweep.Load()
	if now.UnixNano()-last < int64(moderationSweep) || !mod.lastSweep.CompareAndSwap(last, now.UnixNano()) {
		return
	}
	mod.mu.Lock()
	mod.expireLocked(now)
	mod.mu.Unlock()
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
	mod.keyBans = make(map[string]store.Ban)
	mod.ipBans = make(map[netip.Prefix]store.Ban)
	mod.ipBanLens = make(map[int]int)
	for _, b := range bans {
		mod.addBanLocked(b)
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
// The reason is one line meant for the refused person. Keys in the admins
// file are never refused for their address: an address ban cannot lock the
// server's own administrators out.
func (h *Hub) Admission(key, ip string) (ok bool, reason string) {
	now := h.cfg.Now()
	h.mod.maybeExpire(now)
	h.mod.mu.RLock()
	defer h.mod.mu.RUnlock()
	if key != "" {
		if b, banned := h.mod.keyBans[key]; banned && b.Active(now) {
			return false, "You are banned from this server" + banDetail(b, now)
		}
	}
	if !h.mod.fileOps[key] || key == "" {
		if reason, banned := h.bannedAddressLocked(ip, now); banned {
			return false, reason
		}
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

// bannedAddressLocked probes the address bans once per prefix length in
// use, most specific first.
func (h *Hub) bannedAddressLocked(ip string, now time.Time) (string, bool) {
	addr, err := netip.ParseAddr(ip)
	if err != nil || len(h.mod.ipBans) == 0 {
		return "", false
	}
	addr = addr.Unmap()
	for bits := range h.mod.ipBanLens {
		p, err := addr.Prefix(bits)
		if err != nil {
			continue // a length of the other address family
		}
		if b, ok := h.mod.ipBans[p]; ok && b.Active(now) {
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

// ipBanPrefix reads an "ip:ADDR" or "ip:ADDR/BITS" target, masked (a
// single address is a /32 or /128).
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
	now := h.cfg.Now()
	h.mod.maybeExpire(now)
	h.mod.mu.RLock()
	var mute store.Mute
	var ok bool
	if m.key() == "" {
		mute, ok = h.mod.guestMutes[addressKey(m.identity.Addr)]
	} else {
		mute, ok = h.mod.mutes[m.key()]
	}
	h.mod.mu.RUnlock()
	if ok && mute.Active(now) {
		return true, mute.Expires
	}
	return false, time.Time{}
}

// refuseIfMuted tells a muted member so and reports true.
func (h *Hub) refuseIfMuted(m *Member) bool { return h.refuseIfMutedAs(m, "Not sent") }

// refuseIfMutedAs is refuseIfMuted for what a muted member may not do
// either, because others would see it: set a topic, an away note, a nick.
func (h *Hub) refuseIfMutedAs(m *Member, refused string) bool {
	muted, until := h.muted(m)
	if !muted {
		return false
	}
	if until.IsZero() {
		h.notice(m, refused+": you are muted.")
	} else {
		h.notice(m, fmt.Sprintf("%s: you are muted for another %s.", refused, formatDuration(until.Sub(h.cfg.Now()).Round(time.Second))))
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

// everyoneWhere returns the members and one-shot listeners (tail) for whom
// match is true; match runs under h.mu and must only read the member.
func (h *Hub) everyoneWhere(match func(*Member) bool) []*Member {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []*Member
	for _, m := range h.nicks {
		if match(m) {
			out = append(out, m)
		}
	}
	for m := range h.watchers {
		if match(m) {
			out = append(out, m)
		}
	}
	return out
}

// admitted is Admission for an identity already connected (its Addr is
// "host:port").
func (h *Hub) admitted(id Identity) (bool, string) {
	host, _, err := net.SplitHostPort(id.Addr)
	if err != nil {
		host = id.Addr
	}
	return h.Admission(id.Fingerprint, host)
}
