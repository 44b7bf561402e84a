package chat

import (
	"fmt"
	"time"
)

// Defaults of the room caps (see Config).
const (
	DefaultRoomsPerHour   = 10
	DefaultMaxRooms       = 1000
	defaultMaxLoadedRooms = 1024
)

// mayCreateRoom reserves one room of the total and one of by's hourly
// allowance, or says why not. Operators have no hourly allowance, only the
// total cap.
func (h *Hub) mayCreateRoom(by roomCreator) error {
	if limit := h.cfg.MaxRooms; h.roomCount.Add(1) > int64(limit) && limit > 0 {
		h.roomCount.Add(-1)
		return fmt.Errorf("the server has %d rooms, its limit; join one of them (/rooms)", limit)
	}
	if by.key != "" && h.isOperatorKey(by.key) {
		return nil
	}
	now := h.cfg.Now()
	ok, wait := h.roomCreations.allow(actorKey(by.key, by.addr), now)
	if !ok {
		h.roomCount.Add(-1)
		return fmt.Errorf("you may create %d rooms an hour; try again in %s", h.cfg.RoomsPerHour,
			formatDuration(max(wait.Round(time.Minute), time.Minute)))
	}
	if by.key != "" {
		// Keys cost nothing to make: the keys of one address share a
		// larger allowance too (guests are counted by address already).
		if ok, wait := h.roomCreationsByAddr.allow(actorKey("", by.addr), now); !ok {
			h.roomCreations.refund(actorKey(by.key, by.addr))
			h.roomCount.Add(-1)
			return fmt.Errorf("the keys of your address may create %d rooms an hour; try again in %s",
				h.cfg.RoomsPerHour*roomsPerAddrFactor, formatDuration(max(wait.Round(time.Minute), time.Minute)))
		}
	}
	return nil
}

// roomsPerAddrFactor is how many keys' worth of hourly room creations the
// keys of one address (an IPv6 /64) share.
const roomsPerAddrFactor = 3

// refundRoomCreation gives back what mayCreateRoom counted for by, when
// the room was not created after all.
func (h *Hub) refundRoomCreation(by roomCreator) {
	h.roomCount.Add(-1)
	h.roomCreations.refund(actorKey(by.key, by.addr))
	if by.key != "" {
		h.roomCreationsByAddr.refund(actorKey("", by.addr))
	}
}

// orDefault returns v, or def when v is zero; a negative v means "no cap"
// and comes back as 0 (every cap treats <= 0 as none).
func orDefault[T int | time.Duration](v, def T) T {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}
