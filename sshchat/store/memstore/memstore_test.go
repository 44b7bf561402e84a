package memstore_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/sshchat/sshchat/sshchat/store"
	"github.com/sshchat/sshchat/sshchat/store/memstore"
	"github.com/sshchat/sshchat/sshchat/store/storetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestConformance: the in-memory engine passes the suite SQLite passes
// (full-text search, an optional capability, is skipped).
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return memstore.New() })
}
