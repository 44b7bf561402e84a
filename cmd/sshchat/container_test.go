package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The container files are checked here, statically, because most machines
// that run the tests have no Docker daemon (.ci/run builds the image where
// there is one).

func readRepoFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDockerContextExcludesSecretsAndData: the local host key (a private
// key), the database, .git and build outputs never reach the build
// context, and the sources still do.
func TestDockerContextExcludesSecretsAndData(t *testing.T) {
	var patterns []string
	for _, line := range strings.Split(readRepoFile(t, ".dockerignore"), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			patterns = append(patterns, strings.TrimPrefix(line, "/"))
		}
	}
	for _, path := range []string{".git/config", "keys/ssh_host_ed25519", "keys/ssh_host_ed25519.pub", "data/sshchat.db",
		"data/sshchat.db-wal", "sshchat/store/sqlite/x.db", "sshchat-bin", "cmd/sshchat/sshchat.test", "cpu.prof"} {
		if !dockerIgnored(patterns, path) {
			t.Errorf(".dockerignore lets %s into the build context", path)
		}
	}
	for _, path := range []string{"go.mod", "go.sum", "cmd/sshchat/main.go", "sshchat/server.go", "sshchat/store/sqlite/sqlite.go"} {
		if dockerIgnored(patterns, path) {
			t.Errorf(".dockerignore keeps the source %s out of the build context", path)
		}
	}
}

// dockerIgnored reports whether a .dockerignore pattern matches path or one
// of its parent folders (no "!" exceptions are used here).
func dockerIgnored(patterns []string, path string) bool {
	parts := strings.Split(path, "/")
	for _, p := range patterns {
		for i := 1; i <= len(parts); i++ {
			prefix := strings.Join(parts[:i], "/")
			if ok, _ := filepath.Match(p, prefix); ok {
				return true
			}
			if rest, found := strings.CutPrefix(p, "**/"); found {
				if ok, _ := filepath.Match(rest, parts[i-1]); ok {
					return true
				}
			}
		}
	}
	return false
}

// TestDockerfileRules is a small hadolint: base images pinned by digest
// (or marked TODO(pin) with the tag named), a HEALTHCHECK, a non-root
// user, no ADD, no :latest, version and commit stamped.
func TestDockerfileRules(t *testing.T) {
	df := readRepoFile(t, "Dockerfile")
	lines := strings.Split(df, "\n")
	from := regexp.MustCompile(`^FROM\s+(\S+)`)
	froms := 0
	for i, line := range lines {
		m := from.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		froms++
		image := m[1]
		if strings.HasSuffix(image, ":latest") || !strings.Contains(image, ":") {
			t.Errorf("line %d: %s has no fixed tag", i+1, image)
		}
		if !strings.Contains(image, "@sha256:") && (i == 0 || !strings.Contains(lines[i-1], "TODO(pin)") || !strings.Contains(lines[i-1], image)) {
			t.Errorf("line %d: %s is not pinned by digest, and the line above does not name it with a TODO(pin)", i+1, image)
		}
		if strings.Contains(image, "@sha256:") && (i == 0 || !strings.HasPrefix(lines[i-1], "#")) {
			t.Errorf("line %d: a digest needs a comment above saying which tag it is", i+1)
		}
	}
	if froms < 2 {
		t.Errorf("%d FROM lines, want a build stage and a runtime stage", froms)
	}
	final := df[strings.LastIndex(df, "\nFROM "):]
	for _, want := range []string{"HEALTHCHECK", "USER nonroot", "ENTRYPOINT"} {
		if !strings.Contains(final, want) {
			t.Errorf("the runtime stage has no %s", want)
		}
	}
	for _, want := range []string{"-X main.version=", "-X main.commit=", "CGO_ENABLED=0"} {
		if !strings.Contains(df, want) {
			t.Errorf("the build does not use %s", want)
		}
	}
	if regexp.MustCompile(`(?m)^ADD\s`).MatchString(df) {
		t.Error("ADD fetches or unpacks implicitly; use COPY")
	}
}

// TestComposeKeepsKeysAndData: the compose file keeps the host key and the
// data in volumes and serves metrics on the host's loopback only.
func TestComposeKeepsKeysAndData(t *testing.T) {
	compose := readRepoFile(t, "docker-compose.yml")
	for _, want := range []string{"keys:/srv/sshchat/keys", "data:/srv/sshchat/data", `"127.0.0.1:9090:9090"`, "SSHCHAT_METRICS", "COMMIT:"} {
		if !strings.Contains(compose, want) {
			t.Errorf("docker-compose.yml lacks %s", want)
		}
	}
}
