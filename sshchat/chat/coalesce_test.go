package chat

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// fakeWakeTimer is the room's coalescing timer under test control: the test
// fires it.
type fakeWakeTimer struct {
	mu     sync.Mutex
	f      func()
	armed  int // times scheduled or reset
	delays []time.Duration
}

func (t *fakeWakeTimer) Reset(d time.Duration) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.armed++
	t.delays = append(t.delays, d)
	return false
}

func (t *fakeWakeTimer) fire() {
	t.mu.Lock()
	f := t.f
	t.mu.Unlock()
	f()
}

// coalescingRoom is a room of n members with in-memory outboxes whose
// wake-up timer and clock the test drives.
func coalescingRoom(n int) (*Room, []*Member, *fakeWakeTimer, *time.Time) {
	r := &Room{name: "#burst", index: map[*Member]int{}}
	timer := &fakeWakeTimer{}
	now := time.Unix(1_700_000_000, 0)
	r.coalesce.clock = func() time.Time { return now }
	r.coalesce.schedule = func(d time.Duration, f func()) resetter {
		timer.f = f
		timer.Reset(d)
		return timer
	}
	var ms []*Member
	for i := range n {
		m := &Member{out: NewOutbox(1 << 20)}
		r.index[m] = i
		r.members = append(r.members, m)
		ms = append(ms, m)
	}
	return r, ms, timer, &now
}

func woken(m *Member) bool {
	select {
	case <-m.out.Ready():
		return true
	default:
		return false
	}
}

func line(i int, text string) *Event {
	return &Event{Kind: KindMessage, Room: "#burst", Seq: uint64(i), From: "alice", Text: text}
}

// TestRoomBurstWakesEachWriterOncePerWindow: lines that arrive close
// together wake each member's writer once per batch, through the room's one
// timer, and each writer then finds the whole batch queued; a line in a
// quiet room wakes everyone at once.
func TestRoomBurstWakesEachWriterOncePerWindow(t *testing.T) {
	r, ms, timer, now := coalescingRoom(5)

	r.deliver(line(1, "a quiet room: shown at once"))
	for i, m := range ms {
		if !woken(m) {
			t.Fatalf("member %d: a line in a quiet room did not wake the writer at once", i)
		}
		m.out.Drain(nil)
	}
	if timer.armed != 0 {
		t.Fatalf("a quiet room armed its timer %d times", timer.armed)
	}

	// A burst inside the window: nobody is woken, the timer is armed once.
	const burst = 100
	for i := range burst {
		r.deliver(line(2+i, fmt.Sprintf("burst line %d", i)))
	}
	for i, m := range ms {
		if woken(m) {
			t.Fatalf("member %d was woken during a burst", i)
		}
	}
	if timer.armed != 1 || timer.delays[0] > coalesceWindow {
		t.Fatalf("timer armed %d times with delays %v, want once within %v", timer.armed, timer.delays, coalesceWindow)
	}
	timer.fire()
	for i, m := range ms {
		if !woken(m) {
			t.Fatalf("member %d not woken when the window ended", i)
		}
		if got := len(m.out.Drain(nil)); got != burst {
			t.Fatalf("member %d found %d lines queued at its wake-up, want the whole batch of %d", i, got, burst)
		}
		if woken(m) {
			t.Fatalf("member %d woken twice for one batch", i)
		}
	}

	// After a quiet spell longer than the window, lines go out at once again.
	*now = now.Add(coalesceWindow)
	r.deliver(line(200, "quiet again"))
	for i, m := range ms {
		if !woken(m) {
			t.Fatalf("member %d: a line after a quiet spell was not shown at once", i)
		}
	}
}

// TestBusyRoomWakesEachWriterOncePerBusyWindow: once the timer has woken a
// room, lines that keep coming close together are gathered for
// coalesceBusyWindow after that wake (fewer writes per delivered line in a
// busy room), and a line after a quiet spell of coalesceWindow still goes
// out at once.
func TestBusyRoomWakesEachWriterOncePerBusyWindow(t *testing.T) {
	r, ms, timer, now := coalescingRoom(3)
	drainAll := func() {
		for _, m := range ms {
			woken(m) // take the signal too
			m.out.Drain(nil)
		}
	}
	r.deliver(line(1, "a quiet room: shown at once"))
	drainAll()
	r.deliver(line(2, "close behind: waits for the window"))
	timer.fire() // the room is busy from now on
	drainAll()

	*now = now.Add(5 * time.Millisecond)
	for i := range 10 {
		r.deliver(line(3+i, fmt.Sprintf("busy line %d", i)))
	}
	for i, m := range ms {
		if woken(m) {
			t.Fatalf("member %d was woken inside the busy window", i)
		}
	}
	if want := coalesceBusyWindow - 5*time.Millisecond; timer.armed != 2 || timer.delays[1] != want {
		t.Fatalf("timer armed %d times with delays %v, want the second in %v", timer.armed, timer.delays, want)
	}
	timer.fire()
	for i, m := range ms {
		if !woken(m) {
			t.Fatalf("member %d not woken when the busy window ended", i)
		}
		if got := len(m.out.Drain(nil)); got != 10 {
			t.Fatalf("member %d found %d lines at its wake-up, want 10", i, got)
		}
	}

	*now = now.Add(coalesceWindow)
	r.deliver(line(100, "after a quiet spell"))
	for i, m := range ms {
		if !woken(m) {
			t.Fatalf("member %d: a line after a quiet spell was not shown at once", i)
		}
	}
	m0 := ms[0]
	drainAll()
	*now = now.Add(time.Millisecond)
	r.deliver(line(101, "close behind a quiet wake"))
	if woken(m0) || timer.delays[len(timer.delays)-1] != coalesceWindow-time.Millisecond {
		t.Fatalf("after a quiet wake the window is %v again; delays %v", coalesceWindow, timer.delays)
	}
}

// TestRoomBurstBatchIsBoundedInBytes: a member whose queued batch reaches
// coalesceBytes is woken without waiting for the window, so a flood of
// long lines never builds one unbounded write.
func TestRoomBurstBatchIsBoundedInBytes(t *testing.T) {
	r, ms, _, _ := coalescingRoom(2)
	r.deliver(line(1, "first"))
	for _, m := range ms {
		woken(m)
		m.out.Drain(nil)
	}
	long := make([]byte, 900)
	for i := range long {
		long[i] = 'x'
	}
	sent := 0
	for seq := 2; !woken(ms[0]); seq++ {
		if sent > coalesceBytes {
			t.Fatalf("%d bytes queued in one window and the writer still not woken (bound %d)", sent, coalesceBytes)
		}
		ev := line(seq, string(long))
		sent += ev.size()
		r.deliver(ev)
	}
	if sent < coalesceBytes {
		t.Fatalf("writer woken after %d bytes, before the bound %d or the window", sent, coalesceBytes)
	}
}

// TestRoomLeaverGetsHeldLinesAtOnce: a member who leaves a room while its
// lines wait for the room's timer is woken on leaving, so those lines never
// wait on a timer that no longer covers them.
func TestRoomLeaverGetsHeldLinesAtOnce(t *testing.T) {
	r, ms, _, _ := coalescingRoom(2)
	r.deliver(line(1, "first"))
	for _, m := range ms {
		woken(m)
		m.out.Drain(nil)
	}
	r.deliver(line(2, "held for the window"))
	if woken(ms[0]) {
		t.Fatal("woken inside the window")
	}
	r.remove(ms[0])
	if !woken(ms[0]) {
		t.Fatal("a member leaving the room was not woken for the lines held for it")
	}
	if got := len(ms[0].out.Drain(nil)); got != 1 {
		t.Fatalf("%d lines queued for the leaver, want 1", got)
	}
}
