package execcmd

import (
	"fmt"
	"strconv"
	"strings"
)

func parseTail(args []string) (Command, error) {
	if wantsHelp(args) {
		return Command{Kind: Help}, nil
	}
	c := Command{Kind: Tail, N: DefaultTailLines}
	haveN := false
	setN := func(s string) error {
		if haveN {
			return usageErr(usageTail, "line count given twice")
		}
		n, err := parseN(s)
		if err != nil {
			return usageErr(usageTail, "%v", err)
		}
		c.N, haveN = n, true
		return nil
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		var err error
		switch {
		case a == "--json":
			c.JSON = true
		case a == "--since-marker":
			c.SinceMarker = true
		case a == "-n" || a == "--lines":
			if i+1 == len(args) {
				return Command{}, usageErr(usageTail, "%s needs a number", a)
			}
			i++
			err = setN(args[i])
		case strings.HasPrefix(a, "--lines="):
			err = setN(strings.TrimPrefix(a, "--lines="))
		case strings.HasPrefix(a, "-n"):
			err = setN(a[2:])
		case strings.HasPrefix(a, "#"):
			err = setRoom(&c, a, usageTail)
		default:
			err = usageErr(usageTail, "unexpected argument %s", quote(a))
		}
		if err != nil {
			return Command{}, err
		}
	}
	return c, nil
}

func parseHistory(args []string) (Command, error) {
	if wantsHelp(args) {
		return Command{Kind: Help}, nil
	}
	c := Command{Kind: History, N: DefaultHistoryLines}
	haveN := false
	for _, a := range args {
		var err error
		switch {
		case a == "--json":
			c.JSON = true
		case strings.HasPrefix(a, "#"):
			err = setRoom(&c, a, usageHistory)
		case looksNumeric(a):
			if haveN {
				return Command{}, usageErr(usageHistory, "line count given twice")
			}
			c.N, err = parseN(a)
			if err != nil {
				err = usageErr(usageHistory, "%v", err)
			}
			haveN = true
		default:
			err = usageErr(usageHistory, "unexpected argument %s", quote(a))
		}
		if err != nil {
			return Command{}, err
		}
	}
	return c, nil
}

func setRoom(c *Command, a, usage string) error {
	if c.Room != "" {
		return usageErr(usage, "room given twice")
	}
	if err := validRoom(a); err != nil {
		return usageErr(usage, "%v", err)
	}
	c.Room = a
	return nil
}

func wantsHelp(args []string) bool {
	for _, a := range args {
		if a == "--help" {
			return true
		}
	}
	return false
}

// looksNumeric reports whether a is meant as a number, valid or not, such
// as "20", "+5", "-3" or "0x10", rather than a misspelt word.
func looksNumeric(a string) bool {
	a = strings.TrimLeft(a, "+-")
	return a != "" && a[0] >= '0' && a[0] <= '9'
}

// parseN parses a line count.
func parseN(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > MaxLines {
		return 0, fmt.Errorf("N must be a whole number from 1 to %d, not %s", MaxLines, quote(s))
	}
	return n, nil
}
