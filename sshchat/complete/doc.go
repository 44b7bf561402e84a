// Package complete is Tab completion for the chat line editor: a Completer
// plugs into golang.org/x/term's Terminal.AutoCompleteCallback and completes
// the word before the cursor to a command ("/ni" at the start of the line), a
// room ("#de") or a nick (anything else; at the start of the line a nick gets
// ": " as in IRC), cycling through the matches in a stable case-insensitive
// order on repeated Tab. It is pure string manipulation over a snapshot of
// Candidates that the caller supplies: it does not know who is online or
// which commands exist, does not read keys or draw anything (x/term and
// package termio do), and does not sanitize the line (candidates that are not
// already clean text are skipped).
package complete
