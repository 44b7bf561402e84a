package execcmd

import "strconv"

// Usage returns the multi-line help text listing every command, ending in a
// newline.
func Usage() string {
	return `usage: ssh [-p PORT] HOST [COMMAND [ARGS...]]

Without a command you join the chat. Commands:
  ` + pad(usageWho) + `list who is online, one nick per line with the room
  ` + pad(usageSay) + `post TEXT as you (to #room instead of your room)
  ` + pad(usageTail) + `print the last N lines (default ` + itoa(DefaultTailLines) + `), then follow new ones
  ` + pad(usageHistory) + `print the last N lines (default ` + itoa(DefaultHistoryLines) + `) and exit
  ` + pad(usageHelp) + `show this text

N is 1-` + itoa(MaxLines) + `; tail also takes -nN and --lines N. With --json each line is one
JSON object: {"room","from","fingerprint","text","ts","seq"}.
tail --since-marker starts after the last line your key's tails were shown
(every line since, however many; the last N the first time) and moves that
marker: a bridge that reconnects neither loses nor repeats a line.
Quote room names for your shell: ssh HOST say '#dev' hello.
`
}

func pad(s string) string {
	const width = 30
	for len(s) < width {
		s += " "
	}
	return s
}

func itoa(n int) string { return strconv.Itoa(n) }
