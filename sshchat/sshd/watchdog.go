package sshd

import "time"

// watchdog cuts off clients whose writes have been blocked for longer than
// StuckTimeout. A client that stops reading fills its SSH channel window
// (2 MiB) and then blocks its writer with no timeout; closing its TCP
// connection is the only way to free that writer, and other members never
// wait on it because delivery is a non-blocking push.
func (s *Server) watchdog() {
	tick := time.NewTicker(max(s.cfg.StuckTimeout/5, 10*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
		}
		now := time.Now().UnixNano()
		var stuck []*session
		s.mu.Lock()
		for se := range s.sessions {
			if since := se.writingSince.Load(); since != 0 && now-since > int64(s.cfg.StuckTimeout) {
				stuck = append(stuck, se)
			}
		}
		s.mu.Unlock()
		for _, se := range stuck {
			s.log.Warn("kick stuck client", "nick", se.member.Nick(), "addr", se.conn.RemoteAddr().String(),
				"stuck_for", s.cfg.StuckTimeout.String())
			s.hub.Disconnect(se.member, "stopped reading")
		}
	}
}
