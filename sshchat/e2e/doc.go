// Package e2e holds the black-box tests of the server: each one starts the
// in-process server (sshchattest.Start) and drives it through real SSH
// sessions (golang.org/x/crypto/ssh clients, and the OpenSSH client where
// it matters), as a person or a script would. What is tested at the level
// of one package (chat, store, sshd) lives beside that package instead.
// The package has no code of its own.
package e2e
