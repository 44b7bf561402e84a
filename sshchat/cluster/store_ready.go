package cluster

import (
	"context"
	"fmt"
)

// CheckWritable is the node's readiness (/readyz): the local read model
// takes writes (when it can tell) and NATS answers. A node whose NATS is
// away is not ready: it refuses new lines until NATS is back.
func (s *Store) CheckWritable(ctx context.Context) error {
	if p, ok := s.local.(interface{ CheckWritable(context.Context) error }); ok {
		if err := p.CheckWritable(ctx); err != nil {
			return err
		}
	}
	if _, err := s.stream.State(ctx); err != nil {
		return fmt.Errorf("NATS: %w", err)
	}
	return nil
}
