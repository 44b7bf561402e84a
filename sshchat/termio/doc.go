// Package termio is the terminal input plumbing of one session: KeyReader
// sits between an SSH channel and golang.org/x/term's Terminal and rewrites
// what x/term misreads (Home/End variants, SS3 arrows, unknown escape
// sequences, control bytes inside bracketed paste) while bounding how much a
// single line can grow; LineReader splits the input of sessions without a
// pty (bots, pipes) into bounded lines. Both work on bytes from an io.Reader
// and know nothing about SSH or chat: they do not sanitize text for display
// (package sanitize does), enforce the chat's line length rules, or write
// anything.
package termio
