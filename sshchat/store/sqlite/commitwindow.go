package sqlite

import "time"

// A commit window trades latency for fewer transactions: most of the cost
// of storing a line is paid once per transaction (the WAL frames of the
// pages it touches, the sequence row, the FTS index update), not once per
// line. It is off by default: measured with sshchat-load --baseline at 200
// sessions and 200 lines/s (3 interleaved rounds), a 5 ms window cost
// 2.5 ms of median latency and saved no measurable CPU, because the group
// commit already gathers every line queued while the previous transaction
// runs.

// commitWindow is the writer goroutine's schedule of group commits; only
// that goroutine uses it.
type commitWindow struct {
	lastStart time.Time // when the previous group commit started
	timer     *time.Timer
}

// gather is called with the first line of a batch. If the previous commit
// started less than the window ago, lines keep coming: it waits for the
// rest of the window (or until the batch is full, or the queue is closed),
// adding what arrives. It returns the batch and marks the start of its
// commit.
func (w *commitWindow) gather(s *Store, batch []pending) []pending {
	wait := s.commitWindow - time.Since(w.lastStart)
	if s.commitWindow > 0 && wait > 0 && wait <= s.commitWindow {
		if w.timer == nil {
			w.timer = time.NewTimer(wait)
		} else {
			w.timer.Reset(wait)
		}
	gather:
		for len(batch) < s.maxBatch {
			select {
			case p, ok := <-s.queue:
				if !ok {
					break gather // closed: commit what we have; the next receive ends the writer
				}
				batch = append(batch, p)
			case <-w.timer.C:
				break gather
			}
		}
		w.timer.Stop()
	}
	w.lastStart = time.Now()
	return batch
}

func (w *commitWindow) stop() {
	if w.timer != nil {
		w.timer.Stop()
	}
}
