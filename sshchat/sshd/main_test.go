package sshd

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any test leaves a goroutine behind: every
// goroutine the server starts must have an owner that stops it.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
