package chat

import (
	"fmt"
	"strings"

	"github.com/sshchat/sshchat/sshchat/sanitize"
)

// Joining: a member's nick (asked for, owned, or Guest-N), registration
// in the hub and the default room, the welcome.

// Join registers a new member carried by peer and puts them in the default
// room. A keyed member gets the nick their user name asks for when no
// other key owns it (and then owns it); otherwise they get another one and
// are told why. Guests get Guest-N.
func (h *Hub) Join(id Identity, peer Peer) (*Member, error) {
	id.User = sanitize.Text(id.User)
	id.ClientVersion = sanitize.Truncate(sanitize.Text(id.ClientVersion), 128)
	now := h.cfg.Now()
	m := &Member{
		identity: id,
		joined:   now,
		out:      NewOutbox(h.cfg.OutboxBytes),
		peer:     peer,
		done:     make(chan struct{}),
	}
	m.lastActive.Store(now.UnixNano())
	m.colour = id.Terminal && !id.NoColor
	saved := h.savedPrefs(id.Fingerprint) // one read for prefs and ignore list
	m.prefs.Store(prefsFrom(id, saved))
	loadIgnored(m, saved)

	wanted := sanitize.Nick(id.User)
	candidates, why, mayOwn := h.nickCandidates(wanted, m.key(), id.Addr)
	claimed := h.claimOnline(m, candidates)
	nick, online, err := h.register(m, claimed, false)
	if err == nil && nick == "" {
		// Everything asked for is in use: only now ask the store about
		// the numbered variants, not on every join.
		numbered := h.claimOnline(m, h.numberedNicks(wanted, m.key()))
		claimed = append(claimed, numbered...)
		nick, online, err = h.register(m, numbered, true)
	}
	h.releaseOnline(m, claimed, nick)
	if err != nil {
		return nil, err
	}
	h.adoptIgnored(m) // a change made while we read the store did not reach us
	room := m.Room()
	if mayOwn {
		// Last seen is kept only on an owned nick: for a key that owns
		// none (a new key borrowing a name) the write would change nothing.
		h.recordJoinSeen(m)
	}

	h.log.Info("join", "nick", nick, "fingerprint", KeyOrGuest(id.Fingerprint), "addr", id.Addr)
	h.welcome(m, wanted, nick, why, online)
	if !id.Bot {
		h.seedRoom(room)
	}
	h.enterRoom(m, room, !id.Bot, true)
	h.deliverOffline(m)
	room.announcer.joined(nick)
	return m, nil
}

// nickCandidates lists the nicks a member may get, best first, after
// asking the store who owns them. why explains a refusal of wanted.
// mayOwn is false when the key is known to own no nick, even after this
// join's claim.
func (h *Hub) nickCandidates(wanted, key, addr string) (candidates []string, why string, mayOwn bool) {
	if key == "" {
		return nil, "", false // guests are Guest-N
	}
	ctx, cancel := h.ctx()
	defer cancel()
	h.sweepExpiredNicks(ctx)
	if guestShaped(wanted) {
		why, wanted = wanted+" is a name for guests without a key", ""
	}
	if wanted != "" {
		if refusal := h.lookalikeRefusal(wanted, key, nil); refusal != "" {
			// Not even claimed: a look-alike of someone else's nick is no one's.
			why, wanted = refusal, ""
		}
	}
	// A key owns one nick: the first it uses. Connecting under another
	// name does not move that ownership (only /nick does): the other name
	// is used if no key owns it.
	owned, err := h.store.OwnedNick(ctx, key)
	ownsKnown := err == nil
	claimed := false
	if err != nil {
		h.log.Error("look up owned nick", "err", err)
	}
	switch {
	case wanted == "":
	case owned == "" && ownsKnown:
		if refusal := h.mayClaimFirstNick(addr); refusal != "" {
			// Too many first claims from this address: the name may
			// be borrowed, not owned.
			switch owner, err := h.store.NickOwner(ctx, wanted); {
			case err != nil:
				h.log.Error("look up nick owner", "nick", wanted, "err", err)
			case owner == "":
				candidates = append(candidates, wanted)
				why = refusal + "; " + wanted + " is not yours to keep"
			default:
				why = wanted + " belongs to someone else's key"
			}
			break
		}
		owner, err := h.store.ClaimNick(ctx, wanted, key)
		if err != nil || owner != key {
			h.refundNickClaim(addr)
		}
		switch {
		case err != nil:
			h.log.Error("claim nick", "nick", wanted, "err", err)
		case owner == key:
			candidates = append(candidates, wanted)
			claimed = true
		default:
			why = wanted + " belongs to someone else's key"
		}
	case sanitize.FoldNick(owned) == sanitize.FoldNick(wanted):
		candidates = append(candidates, owned)
	default:
		owner, err := h.store.NickOwner(ctx, wanted)
		switch {
		case err != nil:
			h.log.Error("look up nick owner", "nick", wanted, "err", err)
		case owner == "":
			candidates = append(candidates, wanted)
		default:
			why = wanted + " belongs to someone else's key"
		}
	}
	// A key that owns a nick gets it back when it cannot have what it
	// asked for.
	if owned != "" && len(candidates) == 0 {
		candidates = append(candidates, owned)
	}
	return candidates, why, !ownsKnown || owned != "" || claimed
}

// numberedNicks lists wanted_2 … wanted_9 that no other key owns, for a
// keyed member whose choices are all in use.
func (h *Hub) numberedNicks(wanted, key string) []string {
	if key == "" || wanted == "" || guestShaped(wanted) {
		return nil
	}
	ctx, cancel := h.ctx()
	defer cancel()
	var nicks []string
	for i := 2; i <= 9; i++ {
		suffix := fmt.Sprintf("_%d", i)
		c := sanitize.Truncate(wanted, sanitize.MaxNickLen-len(suffix)) + suffix
		if owner, err := h.store.NickOwner(ctx, c); err == nil && (owner == "" || owner == key) {
			nicks = append(nicks, c)
		}
	}
	return nicks
}

// register puts m online, in the default room, under the first of
// candidates nobody online uses; with none free it gives a Guest-N name
// when guest is true and otherwise reports "".
func (h *Hub) register(m *Member, candidates []string, guest bool) (nick string, online int, err error) {
	var shared uint64
	if guest {
		shared = h.sharedGuestNumber() // before the lock: it may ask the store
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return "", 0, ErrShuttingDown
	}
	for _, c := range candidates {
		if !h.nickTakenLocked(c, m) {
			nick = c
			break
		}
	}
	if nick == "" {
		if !guest {
			return "", 0, nil
		}
		nick = h.guestNickLocked(shared)
	}
	h.nextID++
	m.id = h.nextID
	m.setNick(nick)
	h.setRoomLocked(m, h.lobby)
	h.nicks[sanitize.FoldNick(nick)] = m
	h.looks[sanitize.Skeleton(nick)] = m
	return nick, len(h.nicks), nil
}

// guestShaped reports whether nick looks like the names guests are given
// (Guest-N): keys cannot own those, so a guest never gets an owned name.
func guestShaped(nick string) bool {
	return strings.HasPrefix(sanitize.FoldNick(nick), "guest-")
}

func (h *Hub) guestNickLocked(shared uint64) string {
	if n := fmt.Sprintf("Guest-%d", shared); shared > 0 && !h.nickTakenLocked(n, nil) {
		return n
	}
	for {
		h.guestSeq++
		n := fmt.Sprintf("Guest-%d", h.guestSeq)
		if !h.nickTakenLocked(n, nil) {
			return n
		}
	}
}

func (h *Hub) welcome(m *Member, wanted, nick, why string, online int) {
	for _, line := range strings.Split(h.cfg.MOTD, "\n") {
		if line = sanitize.Text(line); strings.TrimSpace(line) != "" {
			h.notice(m, line)
		}
	}
	switch {
	case m.key() == "":
		h.notice(m, guestWelcome(nick))
	case why != "":
		h.notice(m, fmt.Sprintf("%s, so you are %s. Type /nick NAME to change it.", why, nick))
	case wanted == "":
		h.notice(m, fmt.Sprintf("Your user name has no usable characters, so you are %s. Type /nick NAME to change it.", nick))
	case sanitize.FoldNick(wanted) != sanitize.FoldNick(nick):
		h.notice(m, fmt.Sprintf("%s is in use, so you are %s. Type /nick NAME to change it.", wanted, nick))
	}
	if note := nickNameNote(m.identity.User, wanted); note != "" {
		h.notice(m, note)
	}
	h.zoneNotice(m)
	room := m.Room()
	h.notice(m, fmt.Sprintf("Welcome to %s, %s! %d online. Type /help for commands.", room.Name(), nick, online+len(h.elsewhere())))
	if topic := room.Topic(); topic != "" {
		h.notice(m, "Topic: "+topic)
	}
}
