package sshchat

import (
	"bufio"
	"bytes"
	"fmt"
	"os"

	gossh "golang.org/x/crypto/ssh"
)

// readKeyFile reads an authorized_keys file and returns the SHA256
// fingerprints of its keys. Blank lines and comments are skipped; a line
// that is not a key is an error naming the line, so a typo cannot silently
// lock out an operator.
func readKeyFile(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read key file %s: %w", path, err)
	}
	var keys []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		key, _, _, _, err := gossh.ParseAuthorizedKey(line)
		if err != nil {
			return nil, fmt.Errorf("key file %s line %d: %w", path, n, err)
		}
		keys = append(keys, gossh.FingerprintSHA256(key))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read key file %s: %w", path, err)
	}
	return keys, nil
}

// Reload re-reads the admins and allowlist files (the program calls it on
// SIGHUP). Both are read before either is applied: on error the previous
// lists both stay in force.
func (s *Server) Reload() error {
	var admins, allowed []string
	var err error
	if s.cfg.AdminsFile != "" {
		if admins, err = readKeyFile(s.cfg.AdminsFile); err != nil {
			return err
		}
	}
	if s.cfg.AllowlistFile != "" {
		if allowed, err = readKeyFile(s.cfg.AllowlistFile); err != nil {
			return err
		}
	}
	if s.cfg.AdminsFile != "" {
		s.hub.SetFileOperators(admins)
		s.log.Info("loaded operators", "path", s.cfg.AdminsFile, "keys", len(admins))
	}
	if s.cfg.AllowlistFile != "" {
		if allowed == nil {
			allowed = []string{} // an empty list admits nobody; nil would turn the list off
		}
		s.hub.SetAllowlist(allowed)
		s.log.Info("loaded allowlist", "path", s.cfg.AllowlistFile, "keys", len(allowed))
		if len(allowed) == 0 {
			s.log.Warn("the allowlist has no keys: everyone is refused", "path", s.cfg.AllowlistFile)
		}
	}
	return nil
}
