package e2e

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/sshchat/sshchat/sshchat"
	"github.com/sshchat/sshchat/sshchat/sshchattest"
)

// smallDisk mounts a tmpfs of size bytes for the test, or skips the test
// where mounting is not permitted (not root, or in a container without
// CAP_SYS_ADMIN).
func smallDisk(t *testing.T, size int) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, fmt.Sprintf("size=%d", size)); err != nil {
		t.Skipf("cannot mount a small tmpfs for --data here (%v): skipping the full-disk test", err)
	}
	// Registered before the server starts, so it runs after the server's
	// own cleanup has stopped it.
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// fill writes a file until the disk is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 4096)
	for range 1 << 16 { // bounded: 256 MiB at most
		if _, err := f.Write(chunk); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return
			}
			t.Fatal(err)
		}
	}
	t.Fatal("the small disk never filled up")
}

// On a full disk, lines are refused with a message and shown to nobody;
// once there is room again, talk resumes, and history holds every line
// anyone saw.
func TestFullDiskLineIsNotShown(t *testing.T) {
	disk := smallDisk(t, 4<<20)
	dir := t.TempDir()
	cfg := sshchat.Config{DataDir: filepath.Join(disk, "data"), HostKeyPath: filepath.Join(dir, "keys", "host")}
	srv := sshchattest.Start(t, cfg)
	aliceKey := sshchattest.NewKey(t)
	alice := dialWelcome(t, srv.Addr, sshchattest.Options{User: "alice", Key: aliceKey})
	bob := dialWelcome(t, srv.Addr, sshchattest.Options{User: "bob"})
	alice.Send("before the disk filled")
	bob.WaitFor("alice: before the disk filled")

	filler := filepath.Join(disk, "filler")
	fill(t, filler)
	long := strings.Repeat("x", 900)
	refused := ""
	for i := range 2000 { // the WAL grows by a page or so per line
		line := fmt.Sprintf("full %04d %s", i, long)
		alice.Send(line)
		text := alice.WaitUntil("the line or a refusal", func(text string) bool {
			return strings.Contains(text, "alice: "+line) || strings.Count(text, "Not sent: the server could not store it.") > 0
		})
		if strings.Contains(text, "Not sent: the server could not store it.") {
			t.Logf("the disk was full after %d lines", i)
			refused = line
			break
		}
	}
	if refused == "" {
		t.Fatal("2000 lines of 900 bytes were all stored on a full 4 MiB disk")
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	alice.Send("room again")
	bob.WaitFor("alice: room again")
	if strings.Contains(bob.Text(), refused) || strings.Contains(alice.Text(), "alice: "+refused) {
		t.Fatal("a line refused for a full disk was shown")
	}
	out, _, status := run(t, srv.Addr, aliceKey, "alice", "history 500")
	if status != 0 {
		t.Fatalf("history: status %d", status)
	}
	for _, l := range lines(bob.Text()) {
		if said, ok := strings.CutPrefix(l, "alice: "); ok && !strings.Contains(out, said) {
			t.Fatalf("bob saw %.40q, which is not in history", said)
		}
	}
}
