package execcmd

import (
	"errors"
	"fmt"
	"strings"
)

// One-line usages, also used in error messages.
const (
	usageWho     = "who"
	usageSay     = "say [#room] TEXT..."
	usageTail    = "tail [#room] [-n N] [--json]"
	usageHistory = "history [#room] [N] [--json]"
	usageHelp    = "help"
)

// Parse reads args (args[0] is the command name). An error's text is a
// one-line usage message suitable for stderr; the caller exits 2.
//
// Command names are case-insensitive. "help", "--help" and "-h" give Help
// whatever follows; "--help" after who, tail or history does too. say takes
// an optional first word "#room" and needs text after it ("--" as the first
// word ends the room: `say -- #1 fan` posts "#1 fan"); empty words are
// dropped. tail takes "-n N", "-nN", "--lines N", "--lines=N", "--json" and
// "#room" in any order; history takes "#room", a bare N and "--json" in any
// order. N is a decimal integer from 1 to MaxLines. Room names are "#" and
// 1-31 ASCII letters, digits, '_' or '-' (as chat.ValidRoom). Anything else,
// and a room, N or flag given twice, is an error (a repeated --json is not).
func Parse(args []string) (Command, error) {
	if len(args) == 0 {
		return Command{}, errors.New("missing command; try: who, say, tail, history")
	}
	rest := args[1:]
	switch strings.ToLower(args[0]) {
	case "who":
		return parseWho(rest)
	case "say":
		return parseSay(rest)
	case "tail":
		return parseTail(rest)
	case "history":
		return parseHistory(rest)
	case "help", "--help", "-h":
		return Command{Kind: Help}, nil
	}
	return Command{}, fmt.Errorf("unknown command %s; try: who, say, tail, history", quote(args[0]))
}

func parseWho(args []string) (Command, error) {
	if wantsHelp(args) {
		return Command{Kind: Help}, nil
	}
	if len(args) > 0 {
		return Command{}, usageErr(usageWho, "unexpected argument %s", quote(args[0]))
	}
	return Command{Kind: Who}, nil
}

func parseSay(args []string) (Command, error) {
	c := Command{Kind: Say}
	if len(args) > 0 {
		switch {
		case args[0] == "--":
			args = args[1:]
		case strings.HasPrefix(args[0], "#"):
			if err := validRoom(args[0]); err != nil {
				return Command{}, usageErr(usageSay, "%v", err)
			}
			c.Room, args = args[0], args[1:]
		}
	}
	words := make([]string, 0, len(args))
	for _, w := range args {
		if w != "" {
			words = append(words, w)
		}
	}
	c.Text = strings.Join(words, " ")
	if strings.TrimSpace(c.Text) == "" {
		return Command{}, usageErr(usageSay, "missing text")
	}
	return c, nil
}
