// Package execcmd parses the arguments of one-shot commands such as
// `ssh -p 2222 host who`, `ssh host say '#dev' hello` or
// `ssh host tail -n 20 --json`: Parse turns the already shell-split command
// of an SSH session into a Command (who, say, tail, history or help) or into
// an error whose text is a one-line usage message, and Usage is the full
// help text. It only validates syntax (command names, room name syntax,
// line counts, stray arguments): it does not run the commands, look rooms
// up, sanitize or cap the text of say (the chat layer does, as for any
// line), format output, or pick the exit status (the caller exits 2 on an
// error).
package execcmd
