// Package sshchat is the embeddable chat server: a program builds a Config,
// calls New, then Serve or ListenAndServe, and Shutdown or Close at the end
// (Reload re-reads the admins and allowlist files).
//
// What lives here: the Config and its defaults, and the wiring: the store
// (Config.Store, or the embedded SQLite database in Config.DataDir), the
// chat hub on it, the SSH server in front of it (package sshd), and the
// operator's HTTP listener for metrics and health checks.
//
// What does not live here: anything SSH (package sshd), the chat domain
// (package chat) or storage engines (package store and its engines).
package sshchat
