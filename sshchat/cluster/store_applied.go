package cluster

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// How far the read model got, in stream sequences. It serves two ends:
//
//   - Live delivery waits for it: the Bus of a node hands a room line to
//     its members only once this node's read model has committed it
//     (BusOptions.ReadModel), so /history right after a line was shown
//     live contains it, on every node.
//   - A restarted node resumes reading the stream after it: the mark is
//     saved in the local store (at most once a second while lines flow,
//     and at Close), and OpenStore starts its consumer just after the
//     saved mark, so a restart costs what was missed, not the whole
//     stream. The saved mark may lag the real one (a crash); the lines in
//     between are applied again, which the read model refuses harmlessly
//     (keyed by the room's number).

// appliedMark is the stream sequence up to which every message the read
// model was handed is committed to the local store.
type appliedMark struct {
	// mu (a leaf) guards the fields below; held for bookkeeping only.
	mu sync.Mutex
	// handed is the last stream sequence handed to the read model.
	handed uint64
	// pending are the room lines handed to the local store and not yet
	// committed, in stream order; done marks those committed out of order.
	pending []uint64
	done    map[uint64]bool
	through uint64
	// failed is the first room line the local store failed to apply (0:
	// none): the saved mark stays below it, so a restart applies it again.
	failed uint64
	// changed is closed (and replaced) whenever through moves.
	changed chan struct{}
	// stalled: a wait timed out with the mark at stalledAt. Until the
	// mark moves past it, waits give up at once: one line stuck in the
	// local store must cost live delivery one timeout, not one per line.
	stalled   bool
	stalledAt uint64
}

func newAppliedMark(from uint64) *appliedMark {
	return &appliedMark{handed: from, through: from, done: map[uint64]bool{}, changed: make(chan struct{})}
}

// hand records that seq goes to the read model; line says whether it is
// a room line the local store commits (else it is applied at once).
func (a *appliedMark) hand(seq uint64, line bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.handed = seq
	if line {
		a.pending = append(a.pending, seq)
		return
	}
	a.advance()
}

// committed records that the local store is done with seq: ok, it is in
// the read model (committed now or before); not ok, it failed to apply,
// and live delivery goes on without it, but the saved mark stays below it.
func (a *appliedMark) committed(seq uint64, ok bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !ok && (a.failed == 0 || seq < a.failed) {
		a.failed = seq
	}
	a.done[seq] = true
	a.advance()
}

// advance moves through past the committed prefix of pending. Called
// with mu held.
func (a *appliedMark) advance() {
	n := 0
	for n < len(a.pending) && a.done[a.pending[n]] {
		delete(a.done, a.pending[n])
		n++
	}
	a.pending = a.pending[n:]
	through := a.handed
	if len(a.pending) > 0 {
		through = a.pending[0] - 1
	}
	if through > a.through {
		a.through = through
		close(a.changed)
		a.changed = make(chan struct{})
	}
}

// savable returns the mark a restart may resume after: below any line
// that failed to apply.
func (a *appliedMark) savable() uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.failed != 0 {
		return min(a.through, a.failed-1)
	}
	return a.through
}

// wait waits until the mark reaches seq, at most timeout or until stop
// is closed, and reports whether it did. After a timeout it does not wait
// again until the mark moves (see stalled).
func (a *appliedMark) wait(seq uint64, timeout time.Duration, stop <-chan struct{}) bool {
	var timer *time.Timer
	for {
		a.mu.Lock()
		through, changed := a.through, a.changed
		if a.stalled && through != a.stalledAt {
			a.stalled = false // the mark moved: wait again from now on
		}
		stalled := a.stalled
		a.mu.Unlock()
		if through >= seq {
			if timer != nil {
				timer.Stop()
			}
			return true
		}
		if stalled {
			return false
		}
		if timer == nil {
			timer = time.NewTimer(timeout)
			defer timer.Stop()
		}
		select {
		case <-changed:
		case <-timer.C:
			a.mu.Lock()
			a.stalled, a.stalledAt = true, a.through
			a.mu.Unlock()
			return false
		case <-stop:
			return false
		}
	}
}

// WaitApplied waits until this node's read model has committed every
// message of the stream up to seq, at most timeout or until stop is
// closed, and reports whether it has. The Bus calls it before it delivers
// a room line, so that what a member is shown is in /history already.
func (s *Store) WaitApplied(seq uint64, timeout time.Duration, stop <-chan struct{}) bool {
	return s.mark.wait(seq, timeout, stop)
}

// The saved mark lives in the local store among preferences, under a key
// no person can have (keys are "SHA256:..." fingerprints), with the
// creation time of the stream it counts in: a stream deleted and made
// again numbers its messages anew, and the mark means nothing there.
const (
	markKey        = "sshchat:read-model"
	markName       = "stream_seq"
	markStreamName = "stream_created"
	// markSaveEvery bounds how often the mark is written while lines flow.
	markSaveEvery = time.Second
)

// savedMark returns the stream sequence the read model had committed
// when it last saved its mark (0: none, or saved for another stream than
// the one created at created: read from the start). It records created
// for the marks saved from now on.
func (s *Store) savedMark(ctx context.Context, created time.Time) (uint64, error) {
	prefs, err := s.local.Prefs(ctx, markKey)
	if err != nil {
		return 0, fmt.Errorf("cluster store: read the read model's mark: %w", err)
	}
	stamp := created.UTC().Format(time.RFC3339Nano)
	v, ok := prefs[markName]
	if ok && prefs[markStreamName] != stamp {
		s.log.Warn("read model: the stream was made again since the mark was saved: reading it from its start",
			"mark", v, "stream_created", stamp)
		ok = false
	}
	if !ok {
		// The mark of this stream starts at 0; saved with it from now on.
		if err := s.local.SetPref(ctx, markKey, markName, ""); err != nil {
			return 0, fmt.Errorf("cluster store: reset the read model's mark: %w", err)
		}
		if err := s.local.SetPref(ctx, markKey, markStreamName, stamp); err != nil {
			return 0, fmt.Errorf("cluster store: record the stream of the read model's mark: %w", err)
		}
		return 0, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("cluster store: read model mark %q: %w", v, err)
	}
	return n, nil
}

// saveMark writes the mark if it moved since the last save (and, unless
// force, at most once per markSaveEvery). It runs on the consumer's
// goroutine, or in Close after the consumer stopped: never two at once.
func (s *Store) saveMark(force bool) {
	now := time.Now()
	if !force && now.Sub(s.markSavedAt) < markSaveEvery {
		return
	}
	through := s.mark.savable()
	if through == s.markSaved {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.local.SetPref(ctx, markKey, markName, strconv.FormatUint(through, 10)); err != nil {
		s.log.Warn("read model: save the mark (a restart reads more of the stream)", "err", err)
		return
	}
	s.markSaved, s.markSavedAt = through, now
}
