package cluster

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/sshchat/sshchat/sshchat/sanitize"
	"github.com/sshchat/sshchat/sshchat/store"
)

// The audit trail (/modlog) in the audit bucket, shared by every node: a
// ring of auditKeep slots. Audit takes the trail's next number from the
// "head" key by compare-and-set (one number per entry across nodes) and
// writes the entry to slot number mod auditKeep, overwriting the entry
// auditKeep before it; so the bucket never holds more than auditKeep
// entries of bounded size, whatever operators (or a compromised operator
// key) do. AuditLog reads the ring (one read of the small bucket: it is an
// operator's command, not a line's path) and orders it by number.

const (
	// auditKeep is how many entries the trail keeps (/modlog shows at
	// most 200).
	auditKeep = 1000
	// maxAuditField bounds each text of an entry; auditValueSize fits an
	// entry of four such texts in JSON.
	maxAuditField  = 1 << 10
	auditValueSize = 8 << 10
	auditHeadKey   = "head"
)

// auditSlot is one entry in the ring, with its number in the trail.
type auditSlot struct {
	N     uint64           `json:"n"`
	Entry store.AuditEntry `json:"e"`
}

func auditSlotKey(n uint64) string { return "slot/" + strconv.FormatUint(n%auditKeep, 10) }

// Audit appends e to the trail every node reads.
func (s *Store) Audit(ctx context.Context, e store.AuditEntry) error {
	e.Actor = sanitize.Truncate(e.Actor, maxAuditField)
	e.Action = sanitize.Truncate(e.Action, maxAuditField)
	e.Target = sanitize.Truncate(e.Target, maxAuditField)
	e.Reason = sanitize.Truncate(e.Reason, maxAuditField)
	e.Time = e.Time.UTC()
	var n uint64
	err := changeJSON(ctx, s.audit, auditHeadKey, func(head *uint64, _ bool) (bool, error) {
		*head++
		n = *head
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("audit %s: number: %w", e.Action, err)
	}
	val, err := json.Marshal(auditSlot{N: n, Entry: e})
	if err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	if _, err := s.audit.Put(ctx, auditSlotKey(n), val); err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}

// AuditLog returns the last limit entries of the trail, newest last.
func (s *Store) AuditLog(ctx context.Context, limit int) ([]store.AuditEntry, error) {
	if limit <= 0 {
		return nil, nil
	}
	all, err := snapshot(ctx, s.audit)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	var head uint64
	slots := make([]auditSlot, 0, len(all))
	for k, e := range all {
		if k == auditHeadKey {
			_ = json.Unmarshal(e.Value, &head)
			continue
		}
		var sl auditSlot
		if strings.HasPrefix(k, "slot/") && json.Unmarshal(e.Value, &sl) == nil {
			slots = append(slots, sl)
		}
	}
	// A slot whose newer entry was never written (its node died between
	// numbering and writing) still holds one from a lap before: not part
	// of the last auditKeep.
	slots = slices.DeleteFunc(slots, func(sl auditSlot) bool { return sl.N+auditKeep <= head })
	slices.SortFunc(slots, func(a, b auditSlot) int { return cmp.Compare(a.N, b.N) })
	if len(slots) > limit {
		slots = slots[len(slots)-limit:]
	}
	out := make([]store.AuditEntry, len(slots))
	for i, sl := range slots {
		out[i] = sl.Entry
	}
	return out, nil
}
