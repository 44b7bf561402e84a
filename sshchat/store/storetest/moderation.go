package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sshchat/sshchat/sshchat/store"
)

// Conformance of Moderation: operators, bans, mutes, the audit trail.

func testOperators(t *testing.T, s store.Store) {
	ops, err := s.Operators(ctx(t))
	must(t, err)
	if len(ops) != 0 {
		t.Errorf("Operators = %q, want none", ops)
	}
	must(t, s.SetOperator(ctx(t), "SHA256:z", true))
	must(t, s.SetOperator(ctx(t), "SHA256:a", true))
	must(t, s.SetOperator(ctx(t), "SHA256:a", true))
	must(t, s.SetOperator(ctx(t), "SHA256:m", true))
	must(t, s.SetOperator(ctx(t), "SHA256:m", false))
	must(t, s.SetOperator(ctx(t), "SHA256:nobody", false))
	ops, err = s.Operators(ctx(t))
	must(t, err)
	if want := []string{"SHA256:a", "SHA256:z"}; !slices.Equal(ops, want) {
		t.Errorf("Operators = %q, want %q", ops, want)
	}
}

func testBans(t *testing.T, s store.Store) {
	now := base.Add(time.Hour)
	bans := []store.Ban{
		{Target: "SHA256:forever", Reason: "spam", By: "op (SHA256:op)", Created: base.Add(3 * time.Minute)},
		{Target: "ip:203.0.113.0/24", Reason: "flood", By: "op", Created: base.Add(1 * time.Minute), Expires: now.Add(time.Millisecond)},
		{Target: "ip:2001:db8::1", Reason: "v6", By: "op", Created: base.Add(2 * time.Minute), Expires: now.Add(time.Hour)},
		{Target: "SHA256:expired", Reason: "old", By: "op", Created: base, Expires: now},
	}
	for _, b := range bans {
		must(t, s.AddBan(ctx(t), b))
	}
	got, err := s.Bans(ctx(t), now)
	must(t, err)
	if want := []store.Ban{bans[1], bans[2], bans[0]}; !bansEqual(got, want) {
		t.Errorf("Bans(now) = %+v, want %+v", got, want)
	}
	got, err = s.Bans(ctx(t), now.Add(time.Millisecond))
	must(t, err)
	if want := []store.Ban{bans[2], bans[0]}; !bansEqual(got, want) {
		t.Errorf("Bans(now+1ms) = %+v, want %+v", got, want)
	}
	// Replacing a ban of the same target.
	renewed := store.Ban{Target: "SHA256:expired", Reason: "again", By: "op2", Created: now, Expires: now.Add(time.Minute)}
	must(t, s.AddBan(ctx(t), renewed))
	got, err = s.Bans(ctx(t), now)
	must(t, err)
	if want := []store.Ban{bans[1], bans[2], bans[0], renewed}; !bansEqual(got, want) {
		t.Errorf("Bans after replace = %+v, want %+v", got, want)
	}
	ok, err := s.RemoveBan(ctx(t), "ip:2001:db8::1")
	must(t, err)
	if !ok {
		t.Error("RemoveBan of an existing ban = false")
	}
	ok, err = s.RemoveBan(ctx(t), "ip:2001:db8::1")
	must(t, err)
	if ok {
		t.Error("RemoveBan of a removed ban = true")
	}
	got, err = s.Bans(ctx(t), now)
	must(t, err)
	if want := []store.Ban{bans[1], bans[0], renewed}; !bansEqual(got, want) {
		t.Errorf("Bans after remove = %+v, want %+v", got, want)
	}
}

func bansEqual(a, b []store.Ban) bool {
	return slices.EqualFunc(a, b, func(x, y store.Ban) bool {
		return x.Target == y.Target && x.Reason == y.Reason && x.By == y.By &&
			x.Created.Equal(y.Created) && x.Expires.Equal(y.Expires) && x.Expires.IsZero() == y.Expires.IsZero()
	})
}

func testMutes(t *testing.T, s store.Store) {
	now := base.Add(time.Hour)
	mutes := []store.Mute{
		{Key: "SHA256:b", By: "op", Created: base.Add(2 * time.Minute)},
		{Key: "SHA256:a", By: "op", Created: base.Add(time.Minute), Expires: now.Add(time.Second)},
		{Key: "SHA256:gone", By: "op", Created: base, Expires: now.Add(-time.Second)},
	}
	for _, m := range mutes {
		must(t, s.AddMute(ctx(t), m))
	}
	got, err := s.Mutes(ctx(t), now)
	must(t, err)
	if want := []store.Mute{mutes[1], mutes[0]}; !mutesEqual(got, want) {
		t.Errorf("Mutes(now) = %+v, want %+v", got, want)
	}
	got, err = s.Mutes(ctx(t), now.Add(time.Second))
	must(t, err)
	if want := []store.Mute{mutes[0]}; !mutesEqual(got, want) {
		t.Errorf("Mutes(now+1s) = %+v, want %+v", got, want)
	}
	again := store.Mute{Key: "SHA256:b", By: "op2", Created: now, Expires: now.Add(time.Hour)}
	must(t, s.AddMute(ctx(t), again))
	ok, err := s.RemoveMute(ctx(t), "SHA256:a")
	must(t, err)
	if !ok {
		t.Error("RemoveMute of an existing mute = false")
	}
	ok, err = s.RemoveMute(ctx(t), "SHA256:nobody")
	must(t, err)
	if ok {
		t.Error("RemoveMute of no mute = true")
	}
	got, err = s.Mutes(ctx(t), now)
	must(t, err)
	if want := []store.Mute{again}; !mutesEqual(got, want) {
		t.Errorf("Mutes after replace and remove = %+v, want %+v", got, want)
	}
}

func mutesEqual(a, b []store.Mute) bool {
	return slices.EqualFunc(a, b, func(x, y store.Mute) bool {
		return x.Key == y.Key && x.By == y.By && x.Created.Equal(y.Created) &&
			x.Expires.Equal(y.Expires) && x.Expires.IsZero() == y.Expires.IsZero()
	})
}

func testAudit(t *testing.T, s store.Store) {
	log, err := s.AuditLog(ctx(t), 10)
	must(t, err)
	if len(log) != 0 {
		t.Errorf("AuditLog of an empty store = %+v", log)
	}
	var all []store.AuditEntry
	for i, action := range []string{"op", "kick", "ban", "unban", "topic"} {
		e := store.AuditEntry{Time: base.Add(time.Duration(i) * time.Second), Actor: "root (SHA256:root)",
			Action: action, Target: fmt.Sprint("t", i), Reason: fmt.Sprint("r", i)}
		must(t, s.Audit(ctx(t), e))
		all = append(all, e)
	}
	log, err = s.AuditLog(ctx(t), 3)
	must(t, err)
	if !auditEqual(log, all[2:]) {
		t.Errorf("AuditLog(3) = %+v, want %+v", log, all[2:])
	}
	log, err = s.AuditLog(ctx(t), 100)
	must(t, err)
	if !auditEqual(log, all) {
		t.Errorf("AuditLog(100) = %+v, want %+v", log, all)
	}
}

func auditEqual(a, b []store.AuditEntry) bool {
	return slices.EqualFunc(a, b, func(x, y store.AuditEntry) bool {
		return x.Time.Equal(y.Time) && x.Actor == y.Actor && x.Action == y.Action &&
			x.Target == y.Target && x.Reason == y.Reason
	})
}
