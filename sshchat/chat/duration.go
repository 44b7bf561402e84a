package chat

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// maxDuration bounds durations people type (ten years).
const maxDuration = 10 * 365 * 24 * time.Hour

var errDuration = errors.New("a duration is a number and a unit: 30s, 10m, 2h, 7d, 2w, or combined like 1d12h")

// ParseDuration reads a positive duration such as "30m", "2h", "7d", "2w"
// or "1d12h": Go's units plus d (24h) and w (7d).
func ParseDuration(s string) (time.Duration, error) {
	if s == "" || len(s) > 32 {
		return 0, errDuration
	}
	var total time.Duration
	rest := s
	for rest != "" {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		j := i
		for j < len(rest) && (rest[j] < '0' || rest[j] > '9') {
			j++
		}
		if i == 0 || j == i {
			return 0, errDuration
		}
		n, err := strconv.ParseInt(rest[:i], 10, 64)
		if err != nil || n > int64(maxDuration/time.Second) {
			return 0, errDuration
		}
		unit, ok := durationUnits[strings.ToLower(rest[i:j])]
		if !ok {
			return 0, errDuration
		}
		if time.Duration(n) > (maxDuration-total)/unit {
			return 0, fmt.Errorf("%w (at most ten years)", errDuration)
		}
		total += time.Duration(n) * unit
		rest = rest[j:]
	}
	if total <= 0 {
		return 0, errDuration
	}
	return total, nil
}

var durationUnits = map[string]time.Duration{
	"s": time.Second, "m": time.Minute, "h": time.Hour,
	"d": 24 * time.Hour, "w": 7 * 24 * time.Hour,
}

// formatDuration writes d the way ParseDuration reads it ("1h", "2d",
// "1w2d", "1h30m"), to the second.
func formatDuration(d time.Duration) string {
	d = d.Round(time.Second)
	if d <= 0 {
		return "0s"
	}
	var b strings.Builder
	for _, u := range []struct {
		name string
		size time.Duration
	}{{"w", 7 * 24 * time.Hour}, {"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}} {
		if n := d / u.size; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, u.name)
			d -= n * u.size
		}
	}
	return b.String()
}
