package sqlite

import (
	"errors"
	"path/filepath"
	"testing"
)

func TestSecondOpenOfADatabaseIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chat.db")
	s := open(t, path, Options{})
	if again, err := Open(path, Options{}); !errors.Is(err, ErrInUse) {
		if err == nil {
			again.Close()
		}
		t.Fatalf("second Open: %v, want ErrInUse", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := Open(path, Options{})
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	again.Close()
}
