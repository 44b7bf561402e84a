package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/sshchat/sshchat/sshchat/natsjs"
)

// The durable phase of --cluster-compare: how many lines per second the
// server stores when typed as fast as it accepts them. --durable-flooders
// sessions (spread over the nodes like every session) move to their own
// room, so that fan-out to the other sessions does not count, and each
// types --durable-lines lines in one write (the server runs with --rate 0,
// so nothing is paced). sshchat shows a line only once it is stored, so
// the first delivery of a line to anyone proves it durable: durable
// lines/s = lines stored / time from the writes to the last line's first
// delivery. With NATS, the stream's message count cross-checks it.

// durableRoom is the room the durable flooders move to.
const durableRoom = "#durable"

// storedLines records when each flood line was first delivered anywhere.
type storedLines struct {
	first []atomic.Int64 // by line id (flooder*lines+seq): ns since the tool's start; 0 not yet
	count atomic.Int64   // lines delivered at least once
	last  atomic.Int64   // the latest first delivery, ns since the tool's start
}

// init sizes the record for n lines; call before any reader runs.
func (s *storedLines) init(n int) { s.first = make([]atomic.Int64, n) }

// mark records flood line p's delivery at now, if it is the line's first.
func (s *storedLines) mark(p parsed, perSender int, now int64) {
	if s.first == nil {
		return
	}
	id := p.sender*perSender + p.seq
	if p.seq < 0 || p.seq >= perSender || id < 0 || id >= len(s.first) {
		return
	}
	now = max(now, 1)
	if !s.first[id].CompareAndSwap(0, now) {
		return
	}
	s.count.Add(1)
	for {
		l := s.last.Load()
		if now <= l || s.last.CompareAndSwap(l, now) {
			return
		}
	}
}

func (r *runner) durablePhase() bool {
	o := r.o
	f, k := min(o.durableFlooders, len(r.clients)), o.durableLines
	if f == 0 || k == 0 {
		return true
	}
	fl := r.clients[:f]
	for _, c := range fl {
		if err := c.send([]byte("/join " + durableRoom + "\r")); err != nil {
			r.logf("durable: /join: %v", err)
			return false
		}
	}
	joinBy := r.deadline(30 * time.Second)
	for _, c := range fl {
		if !r.waitCount(c.user+" in "+durableRoom, &c.moved, 1, joinBy) {
			return false
		}
	}
	stream0, streamErr := r.streamMsgs()

	total := int64(f * k)
	s0, n0, ru0, h0 := r.serverCPU(), r.natsCPU(), selfCPU(), hostCPU()
	t0 := int64(time.Since(r.start))
	var wg sync.WaitGroup
	var sendErrs atomic.Int64
	for i, c := range fl {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 0, k*40)
			for seq := range k {
				buf = fmt.Appendf(buf, "#FL %d %d %d\r", i, seq, t0)
			}
			if err := c.send(buf); err != nil && !r.aborted.Load() {
				sendErrs.Add(1)
				r.logf("  durable flooder %s: write: %v", c.user, err)
			}
		}()
	}
	wg.Wait()
	end := r.deadline(max(o.drain, 60*time.Second))
	storedOK := r.waitCount("durable lines delivered once", &r.ctr.stored.count, total, end)
	stored := r.ctr.stored.count.Load()
	took := time.Duration(r.ctr.stored.last.Load() - t0)
	// Everyone in the room gets every line too; not the measure, but a
	// line missing there is a lost line.
	allOK := r.waitCount("durable lines delivered to the room", &r.ctr.floodMsgs, total*int64(f), end)
	s1, n1, ru1, h := r.serverCPU(), r.natsCPU(), selfCPU(), hostCPU().sub(h0)
	got := r.ctr.floodMsgs.Load()
	stream1, streamErr1 := r.streamMsgs()

	rate := 0.0
	if took > 0 {
		rate = float64(stored) / took.Seconds()
	}
	other := h.user + h.sys + h.irq - (s1 - s0) - (n1 - n0) - (ru1 - ru0)
	r.logf("durable phase: %d sessions in %s typed %d lines each in one write", f, durableRoom, k)
	r.logf("  %d of %d lines stored (first delivered) within %v => %.0f durable lines/s; room deliveries %d of %d (duplicates %d)",
		stored, total, took.Round(time.Millisecond), rate, got, total*int64(f), r.ctr.floodDups.Load())
	r.logf("  CPU during the phase: sshchat %.2fs, NATS %.2fs, load tool %.2fs, other processes %.2fs",
		s1-s0, n1-n0, ru1-ru0, other)
	r.kv.set("durable_lines", "%d", total)
	r.kv.set("durable_stored", "%d", stored)
	r.kv.set("durable_s", "%.3f", took.Seconds())
	r.kv.set("durable_lines_per_s", "%.0f", rate)
	r.kv.set("durable_lost", "%d", total*int64(f)-got)
	r.kv.set("durable_server_cpu_s", "%.2f", s1-s0)
	r.kv.set("durable_nats_cpu_s", "%.2f", n1-n0)
	r.kv.set("durable_other_cpu_s", "%.2f", other)
	switch {
	case r.cl.nats == nil:
	case streamErr != nil || streamErr1 != nil:
		r.logf("  stream message count not read: %v", firstErr(streamErr, streamErr1))
	default:
		r.logf("  the stream grew by %d messages during the phase (%d lines typed)", stream1-stream0, total)
		r.kv.set("durable_stream_msgs", "%d", stream1-stream0)
	}
	return storedOK && allOK && sendErrs.Load() == 0
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// streamMsgs reads the chat stream's message count from the run's NATS.
func (r *runner) streamMsgs() (uint64, error) {
	if r.cl == nil || r.cl.nats == nil {
		return 0, nil
	}
	nc, err := nats.Connect(r.cl.nats.URLs(), nats.Timeout(5*time.Second), nats.MaxReconnects(0))
	if err != nil {
		return 0, fmt.Errorf("connect: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, natsjs.DefaultStreamName)
	if err != nil {
		return 0, fmt.Errorf("stream %s: %w", natsjs.DefaultStreamName, err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("stream info: %w", err)
	}
	return info.State.Msgs, nil
}

// withoutPacing makes sure the spawned server does not pace (--rate 0),
// which the durable phase needs.
func withoutPacing(serverArgs string) string {
	for _, f := range strings.Fields(serverArgs) {
		if f == "--rate" || f == "-rate" || strings.HasPrefix(f, "--rate=") || strings.HasPrefix(f, "-rate=") {
			return serverArgs
		}
	}
	return strings.TrimSpace(serverArgs + " --rate 0")
}
