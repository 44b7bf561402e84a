package sshchattest

import (
	"io"
	"net/http"
	"testing"
	"time"
)

// Get fetches path (e.g. "/metrics") from the server's operator listener
// and returns the status code and body. It keeps no connection open
// afterwards (goleak would see its goroutines).
func (s *Server) Get(t testing.TB, path string) (status int, body string) {
	t.Helper()
	client := &http.Client{
		Transport: &http.Transport{DisableKeepAlives: true},
		Timeout:   30 * time.Second,
	}
	resp, err := client.Get(s.OpsURL + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read: %v", path, err)
	}
	return resp.StatusCode, string(b)
}
