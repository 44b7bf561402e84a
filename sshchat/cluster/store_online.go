package cluster

import (
	"context"
	"errors"
	"fmt"

	"github.com/sshchat/sshchat/sshchat/natsjs"
	"github.com/sshchat/sshchat/sshchat/store"
)

// OnlineHolder returns who holds nick online (the holder its node claimed
// it with), "" when nobody does: the chat asks it to send a private
// message to someone online on another node.
func (s *Store) OnlineHolder(ctx context.Context, nick string) (string, error) {
	e, err := s.online.Get(ctx, store.Fold(nick))
	if errors.Is(err, natsjs.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("online holder of %s: %w", nick, err)
	}
	return string(e.Value), nil
}
