package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/sshchat/sshchat/sshchat/natsjs"
	"github.com/sshchat/sshchat/sshchat/store"
)

// Offline mailboxes in the mailboxes bucket: one value per recipient key
// holding its kept messages, changed by compare-and-set, so a message
// kept on one node is shown when its owner connects to any node and the
// limits (store.MaxOffline, store.MaxOfflinePerSender) hold across nodes.

// mailboxValueSize bounds one mailbox value: MaxOffline messages of a
// long line each, in JSON, fit with room to spare (NATS's own payload
// limit is 1 MiB).
const mailboxValueSize = 512 << 10

type mailbox struct {
	NextID uint64          `json:"n"`
	Msgs   []store.Message `json:"m"`
}

func (s *Store) getMailbox(ctx context.Context, toKey string) (mailbox, uint64, error) {
	e, err := s.mailboxes.Get(ctx, toKey)
	if errors.Is(err, natsjs.ErrNotFound) {
		return mailbox{}, 0, nil
	}
	if err != nil {
		return mailbox{}, 0, err
	}
	var b mailbox
	if err := json.Unmarshal(e.Value, &b); err != nil {
		return mailbox{}, 0, fmt.Errorf("mailbox: %w", err)
	}
	return b, e.Revision, nil
}

// putMailbox writes b if the mailbox is still at rev (0: absent).
func (s *Store) putMailbox(ctx context.Context, toKey string, b mailbox, rev uint64) error {
	val, err := json.Marshal(b)
	if err != nil {
		return err
	}
	if rev == 0 {
		_, err = s.mailboxes.Create(ctx, toKey, val)
	} else {
		_, err = s.mailboxes.Update(ctx, toKey, val, rev)
	}
	return err
}

// changeMailbox applies change to toKey's mailbox with compare-and-set,
// again if another node changed it meanwhile.
func (s *Store) changeMailbox(ctx context.Context, toKey string, change func(*mailbox) error) error {
	for {
		b, rev, err := s.getMailbox(ctx, toKey)
		if err != nil {
			return err
		}
		if err := change(&b); err != nil {
			return err
		}
		err = s.putMailbox(ctx, toKey, b, rev)
		if errors.Is(err, natsjs.ErrExists) || errors.Is(err, natsjs.ErrRevisionMismatch) {
			continue
		}
		return err
	}
}

// SaveOffline keeps m for m.ToKey, within the limits.
func (s *Store) SaveOffline(ctx context.Context, m store.Message) error {
	m, err := store.OfflineToKeep(m)
	if err != nil {
		return err
	}
	err = s.changeMailbox(ctx, m.ToKey, func(b *mailbox) error {
		if err := store.OfflineAdmitted(b.Msgs, m); err != nil {
			return err
		}
		b.NextID++
		m.MailboxID = b.NextID
		b.Msgs = append(b.Msgs, m)
		return nil
	})
	if err != nil {
		return fmt.Errorf("save private message: %w", err)
	}
	return nil
}

// PeekOffline returns the messages kept for toKey, oldest first.
func (s *Store) PeekOffline(ctx context.Context, toKey string) ([]store.Message, error) {
	b, _, err := s.getMailbox(ctx, toKey)
	if err != nil {
		return nil, fmt.Errorf("peek mailbox: %w", err)
	}
	return b.Msgs, nil
}

// DeleteOffline deletes the messages with these ids from toKey's mailbox.
func (s *Store) DeleteOffline(ctx context.Context, toKey string, ids []uint64) error {
	err := s.changeMailbox(ctx, toKey, func(b *mailbox) error {
		b.Msgs = slices.DeleteFunc(b.Msgs, func(m store.Message) bool { return slices.Contains(ids, m.MailboxID) })
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete from mailbox: %w", err)
	}
	return nil
}
