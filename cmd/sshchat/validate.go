package main

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// validate refuses flag values that would silently mean something else
// than they say (a cap of 0 that the server would read as "default", a
// negative rate) and turns the documented spellings into Config values.
func validate(o *options) error {
	c := &o.cfg
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if c.MaxLine < 1 {
		bad("--max-line %d: must be at least 1 (bytes)", c.MaxLine)
	}
	for _, lim := range []struct {
		name string
		v    int
	}{{"max-conns", c.MaxConns}, {"max-conns-per-ip", c.MaxConnsPerIP}, {"new-conns-per-ip", c.NewConnsPerIP},
		{"rooms-per-hour", c.RoomsPerHour}, {"max-rooms", c.MaxRooms}, {"nick-claims-per-hour", c.NickClaimsPerHour}} {
		switch {
		case lim.v == 0:
			bad("--%s 0 is not a cap: use -1 for no cap, or a number from 1", lim.name)
		case lim.v < -1:
			bad("--%s %d: must be at least 1, or -1 for no cap", lim.name, lim.v)
		}
	}
	switch {
	case math.IsNaN(c.Rate) || math.IsInf(c.Rate, 0) || c.Rate < 0:
		bad("--rate %v: must be 0 (no pacing) or more lines per second", c.Rate)
	case c.Rate == 0:
		c.Rate = -1 // the flag's 0 means off; the Config's 0 means default
	}
	if c.Burst < 1 {
		bad("--burst %d: must be at least 1 line", c.Burst)
	}
	switch {
	case c.Scrollback < -1:
		bad("--scrollback %d: must be 0 or more lines, or -1 for none", c.Scrollback)
	case c.Scrollback == 0:
		c.Scrollback = -1 // none, as it says; the Config's 0 means default
	}
	if c.Retention < 0 {
		bad("--retention %v: must be 0 (forever) or more", c.Retention)
	}
	if c.MetricsAddr != "" && c.MetricsAddr == c.Addr && !strings.HasSuffix(c.Addr, ":0") {
		bad("--metrics %s: must not be the chat's address", c.MetricsAddr)
	}
	if c.Pprof && c.MetricsAddr == "" {
		bad("--pprof needs --metrics ADDRESS (pprof is served there, never on the chat port)")
	}
	validateNATS(c.NATS, bad)
	return errors.Join(errs...)
}
