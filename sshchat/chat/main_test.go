package chat

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain proves the hub's timers and goroutines end with the hub.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
