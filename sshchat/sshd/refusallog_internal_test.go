package sshd

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"golang.org/x/time/rate"
)

// TestRefusalFloodIsLoggedSampled: 10,000 refused connections at once
// write a bounded number of log lines, and the next line says how many
// were left out.
func TestRefusalFloodIsLoggedSampled(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	l := newSampledLog()
	for range 10_000 {
		l.log(log, slog.LevelWarn, "connection refused", "reason", "test")
	}
	if n := strings.Count(buf.String(), "\n"); n > 25 {
		t.Fatalf("%d lines logged for 10,000 refusals", n)
	}
	l.lim.SetLimit(rate.Inf) // as if time had passed
	l.log(log, slog.LevelWarn, "connection refused", "reason", "test")
	if !strings.Contains(buf.String(), "not_logged_before=") {
		t.Fatalf("the count of lines left out is not logged:\n%s", buf.String())
	}
}
