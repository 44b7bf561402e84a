// Package sshchattest starts a real sshchat server in-process on a loopback
// port and drives it with real SSH clients (golang.org/x/crypto/ssh), with or
// without a pty, the way net/http/httptest serves net/http tests. Clients
// type lines and wait, with a deadline, for text to appear; nothing here
// sleeps and hopes.
package sshchattest
