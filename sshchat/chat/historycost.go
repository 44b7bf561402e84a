package chat

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/sshchat/sshchat/sshchat/store"
)

// Reading history costs the server in proportion to what is asked, and a
// person decides how much to ask, so every key (every address for guests)
// has a budget of history credits, shared by all of its sessions and its
// one-shot commands: a search costs one, /history and `ssh host history`
// or `tail` one per historyLinesPerCredit lines asked for (at least one).
// Credits come back at one per historyRefill, up to the burst
// (Config.HistoryBurst, default historyBurst). A request past the
// budget is refused with the time to wait; it is not delayed, because the
// reader that would wait also carries the person's chat lines. On top of
// that a key runs one search at a time. Joining a room (its scrollback
// comes from memory) costs nothing.
const (
	historyBurst          = 10
	historyRefill         = 2 * time.Second
	historyLinesPerCredit = 100
	// maxHistoryKeys bounds the keys whose credits are remembered. A key
	// with a full budget is the same as a forgotten one and is dropped
	// first; when every remembered key is still owed credits, history
	// requests of new keys are refused until some are.
	maxHistoryKeys = 10_000
	// historyScanFactor bounds the stored lines /history reads to find n
	// said lines among the announcements: n times this.
	historyScanFactor = 10
)

// historyGate is the hub's per-key history budget. A zero burst means no
// budget (one search per key at a time still holds).
type historyGate struct {
	burst   int                      // credits a key holds at most; set before use
	mu      sync.Mutex               // lock tier: leaf; guards the maps below, nothing else is locked or called while held
	buckets map[string]*rate.Limiter // credits by costKey
	running map[string]struct{}      // keys with a search under way
}

// errHistoryBusy: the gate remembers maxHistoryKeys keys, all still owed
// credits.
var errHistoryBusy = errors.New("the server is busy with history requests; try again in a moment")

// pacedError says how long to wait for enough credits.
type pacedError struct{ wait time.Duration }

func (e pacedError) Error() string {
	secs := int(math.Ceil(e.wait.Seconds()))
	return fmt.Sprintf("too many searches and history requests: try again in %ds", secs)
}

// errSearchRunning: the key already has a search under way.
var errSearchRunning = errors.New("your last search is still running; wait for its answer")

// charge takes cost credits from key's budget at now, or reports why not.
func (g *historyGate) charge(key string, cost int, now time.Time) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.chargeLocked(key, cost, now)
}

func (g *historyGate) chargeLocked(key string, cost int, now time.Time) error {
	if g.burst <= 0 {
		return nil
	}
	cost = min(max(cost, 1), g.burst)
	lim := g.buckets[key]
	if lim == nil {
		if g.buckets == nil {
			g.buckets = make(map[string]*rate.Limiter)
		}
		if len(g.buckets) >= maxHistoryKeys && !g.sweepLocked(now) {
			return errHistoryBusy
		}
		lim = rate.NewLimiter(rate.Every(historyRefill), g.burst) // starts full
		g.buckets[key] = lim
	}
	if have := lim.TokensAt(now); have < float64(cost) {
		return pacedError{wait: time.Duration((float64(cost) - have) * float64(historyRefill))}
	}
	lim.AllowN(now, cost)
	return nil
}

// sweepLocked forgets the keys whose budget is full again and reports
// whether any was forgotten.
func (g *historyGate) sweepLocked(now time.Time) bool {
	before := len(g.buckets)
	for key, lim := range g.buckets {
		if _, busy := g.running[key]; !busy && lim.TokensAt(now) >= float64(g.burst) {
			delete(g.buckets, key)
		}
	}
	return len(g.buckets) < before
}

// startSearch charges key for a search and marks it running; release
// ends it. A key with a search under way is refused without a charge.
func (g *historyGate) startSearch(key string, now time.Time) (release func(), err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, busy := g.running[key]; busy {
		return nil, errSearchRunning
	}
	if err := g.chargeLocked(key, 1, now); err != nil {
		return nil, err
	}
	if g.running == nil {
		g.running = make(map[string]struct{})
	}
	g.running[key] = struct{}{}
	return func() {
		g.mu.Lock()
		delete(g.running, key)
		g.mu.Unlock()
	}, nil
}

// historyCost is the credits asked for by a request of n lines.
func historyCost(n int) int { return (n + historyLinesPerCredit - 1) / historyLinesPerCredit }

// costKey is whose budget a request is charged to: the key, or for a guest
// the address (an IPv6 /64, which one host can hold whole).
func costKey(id Identity) string {
	if id.Fingerprint != "" {
		return "key " + id.Fingerprint
	}
	ap, err := netip.ParseAddrPort(id.Addr)
	if err != nil {
		return "addr " + id.Addr
	}
	ip := ap.Addr().Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return "addr " + p.String()
	}
	return "addr " + ip.String()
}

// ChargeHistory charges the one-shot request of id for lines of history
// (`ssh host history N`, `tail -n N`) to its budget, and says why not when
// the budget is spent.
func (h *Hub) ChargeHistory(id Identity, lines int) error {
	return h.history.charge(costKey(id), historyCost(lines), h.cfg.Now())
}

// searchRefusal is what a member is told when the store refused or
// stopped their search; refused is false for other errors.
func searchRefusal(err error) (msg string, refused bool) {
	switch {
	case errors.Is(err, store.ErrSearchTooManyTerms):
		return fmt.Sprintf("Search too broad: use at most %d different words.", store.MaxSearchTerms), true
	case errors.Is(err, store.ErrSearchTooBroad):
		return "Search too broad: it matches too many lines to finish in time. Use longer or rarer words.", true
	case errors.Is(err, store.ErrSearchBusy):
		return "Search is busy right now; try again in a moment.", true
	}
	return "", false
}

// capitalized is a refusal of the history gate as a sentence.
func capitalized(err error) string {
	s := err.Error()
	if s != "" && 'a' <= s[0] && s[0] <= 'z' {
		s = string(s[0]-'a'+'A') + s[1:]
	}
	return s + "."
}
