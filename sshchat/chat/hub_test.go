package chat

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

type fakePeer struct {
	mu      sync.Mutex
	reasons []string
}

func (p *fakePeer) Disconnect(reason string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reasons = append(p.reasons, reason)
}

func (p *fakePeer) disconnected() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.reasons) > 0
}

func quietHub(cfg Config) *Hub {
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	h, err := NewHub(cfg)
	if err != nil {
		panic(err)
	}
	return h
}

// drainText renders everything queued for m as a plain screen would.
func drainText(m *Member) string {
	var b strings.Builder
	for _, ev := range m.Outbox().Drain(nil) {
		b.Write(ev.Bytes(StylePlain))
	}
	return b.String()
}

func join(t testing.TB, h *Hub, user string) (*Member, *fakePeer) {
	t.Helper()
	p := &fakePeer{}
	m, err := h.Join(Identity{User: user, Fingerprint: "SHA256:" + user}, p)
	if err != nil {
		t.Fatal(err)
	}
	return m, p
}

func TestOutboxIsBoundedInBytes(t *testing.T) {
	o := NewOutbox(1000)
	ev := &Event{Kind: KindMessage, Text: strings.Repeat("x", 100)}
	pushed := 0
	for o.Push(ev) {
		pushed++
		if pushed > 100 {
			t.Fatal("outbox never filled")
		}
	}
	if want := 1000 / ev.size(); pushed != want {
		t.Fatalf("pushed %d events of %d bytes into 1000 bytes, want %d", pushed, ev.size(), want)
	}
	if o.Push(&Event{Text: "tiny"}) {
		t.Fatal("an overflowed outbox accepted more")
	}
	if got := len(o.Drain(nil)); got != pushed {
		t.Fatalf("drained %d, want %d", got, pushed)
	}
	o.Close()
	if !o.Push(ev) || o.Len() != 0 {
		t.Fatal("a closed outbox must drop silently")
	}
}

func TestSlowMemberIsCutOffAndOthersLoseNothing(t *testing.T) {
	h := quietHub(Config{OutboxBytes: 4096})
	defer h.Close()
	slow, slowPeer := join(t, h, "slow")
	fast, fastPeer := join(t, h, "fast")
	sender, _ := join(t, h, "sender")
	drainText(fast)
	drainText(sender)
	var got strings.Builder
	for i := range 500 {
		h.Handle(sender, fmt.Sprintf("line %03d", i))
		got.WriteString(drainText(fast))
		drainText(sender)
	}
	if !slowPeer.disconnected() {
		t.Fatal("the member who never drained was not disconnected")
	}
	if fastPeer.disconnected() {
		t.Fatal("a member who kept up was disconnected")
	}
	// The session notices its connection is gone and leaves.
	h.Leave(slow, "connection lost")
	if slow.LeaveReason() != "outbox overflow" {
		t.Fatalf("leave reason %q", slow.LeaveReason())
	}
	got.WriteString(waitText(t, fast, "slow left"))
	for i := range 500 {
		if !strings.Contains(got.String(), fmt.Sprintf("sender: line %03d\n", i)) {
			t.Fatalf("fast member lost line %d", i)
		}
	}
	if !strings.Contains(got.String(), "*** slow left #lobby.") {
		t.Fatal("no leave announcement for the slow member")
	}
}

var joinedLine = regexp.MustCompile(`^\*\*\* (.+) joined #lobby\. \((\d+) here\)$`)

func TestJoinBurstIsCoalesced(t *testing.T) {
	h := quietHub(Config{})
	defer h.Close()
	observer, _ := join(t, h, "observer")
	const burst = 200
	for i := range burst {
		join(t, h, fmt.Sprintf("user%03d", i))
	}
	// Wait for the gathered announcement: every joiner must be counted
	// exactly once, in far fewer lines than joins.
	var lines []string
	counted := 0
	deadline := time.After(10 * time.Second)
	for counted < burst+1 {
		select {
		case <-observer.Outbox().Ready():
		case <-deadline:
			t.Fatalf("only %d of %d joins announced in %q", counted, burst+1, lines)
		}
		for _, line := range strings.Split(drainText(observer), "\n") {
			m := joinedLine.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			lines = append(lines, line)
			counted += countNames(t, m[1])
		}
	}
	if counted != burst+1 {
		t.Fatalf("announced %d joins, want %d", counted, burst+1)
	}
	if len(lines) > 20 {
		t.Fatalf("%d join lines for %d joins: not coalesced", len(lines), burst+1)
	}
	if !strings.Contains(lines[len(lines)-1], "and ") || !strings.Contains(lines[len(lines)-1], "(201 here)") {
		t.Fatalf("last line %q does not gather the burst", lines[len(lines)-1])
	}
}

// countNames counts the nicks in "a, b and 38 others" style lists.
func countNames(t *testing.T, list string) int {
	if head, others, ok := strings.Cut(list, " and "); ok {
		names := len(strings.Split(head, ", "))
		if n, err := strconv.Atoi(strings.TrimSuffix(others, " others")); err == nil && strings.HasSuffix(others, " others") {
			return names + n
		}
		return names + 1
	}
	return 1
}

func TestPrivateMessagesReachOnlyTheTwo(t *testing.T) {
	h := quietHub(Config{})
	defer h.Close()
	a, _ := join(t, h, "alice")
	b, _ := join(t, h, "bob")
	c, _ := join(t, h, "carol")
	drainText(a)
	drainText(b)
	drainText(c)
	h.Handle(a, "/msg BOB the secret")
	if got := drainText(b); got != "*alice* the secret\n" {
		t.Fatalf("bob got %q", got)
	}
	if got := drainText(a); got != "-> *bob* the secret\n" {
		t.Fatalf("alice got %q", got)
	}
	if got := drainText(c); got != "" {
		t.Fatalf("carol got %q", got)
	}
}

func TestShutdownNotifiesAndEndsEveryone(t *testing.T) {
	h := quietHub(Config{})
	defer h.Close()
	a, _ := join(t, h, "alice")
	b, _ := join(t, h, "bob")
	h.Shutdown("going down")
	for _, m := range []*Member{a, b} {
		<-m.Done()
		if got := drainText(m); !strings.HasSuffix(got, "*** going down\n") {
			t.Fatalf("%s got %q", m.Nick(), got)
		}
	}
	if _, err := h.Join(Identity{User: "late"}, &fakePeer{}); !errors.Is(err, ErrShuttingDown) {
		t.Fatalf("join after shutdown: %v", err)
	}
}

func TestParseCommand(t *testing.T) {
	for _, tc := range []struct {
		line, name, args string
		ok               bool
	}{
		{"/who", "who", "", true},
		{"/MSG bob  hi there ", "msg", "bob  hi there", true},
		{"/me\twaves", "me", "waves", true},
		{"//not a command", "", "", false},
		{"hello /who", "", "", false},
		{"/", "", "", true},
	} {
		name, args, ok := ParseCommand(tc.line)
		if name != tc.name || args != tc.args || ok != tc.ok {
			t.Errorf("ParseCommand(%q) = %q, %q, %v; want %q, %q, %v", tc.line, name, args, ok, tc.name, tc.args, tc.ok)
		}
	}
}

// waitText drains m until its text contains want, for announcements that
// come from the announcer's timer.
func waitText(t *testing.T, m *Member, want string) string {
	t.Helper()
	var b strings.Builder
	deadline := time.After(10 * time.Second)
	for !strings.Contains(b.String(), want) {
		select {
		case <-m.Outbox().Ready():
		case <-deadline:
			t.Fatalf("%q not seen in %q", want, b.String())
		}
		b.WriteString(drainText(m))
	}
	return b.String()
}

func TestReplayNeverOverflowsTheOutbox(t *testing.T) {
	h := quietHub(Config{OutboxBytes: 16 << 10, Scrollback: 200})
	defer h.Close()
	sender, _ := join(t, h, "sender")
	long := strings.Repeat("x", 900)
	for i := range 100 {
		h.Handle(sender, fmt.Sprintf("%03d %s", i, long))
		drainText(sender)
	}
	late, peer := join(t, h, "late")
	text := drainText(late)
	if peer.disconnected() {
		t.Fatal("the scrollback replay overflowed the newcomer's outbox")
	}
	if !strings.Contains(text, "older lines left out") || !strings.Contains(text, "099 "+long) {
		t.Fatalf("replay did not keep the newest lines under a heading saying what was left out:\n%.300s", text)
	}
}
