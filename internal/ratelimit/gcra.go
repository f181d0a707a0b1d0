package ratelimit

import (
	"errors"
	"fmt"
	"time"
)

// Defaults are the seed's: 100 requests per minute per client.
const (
	DefaultEvents = 100
	DefaultWindow = time.Minute
)

// Limit is a zone's rate: Events per Window, in bursts of up to Burst.
type Limit struct {
	// Events is how many events a Window allows. Must be positive.
	Events int
	// Window is the span Events are counted over. Must be positive.
	Window time.Duration
	// Burst is how many events may arrive at once; 0 means Events.
	Burst int
}

// Validate reports a limit the algorithm cannot honour.
func (l Limit) Validate() error {
	switch {
	case l.Events <= 0:
		return fmt.Errorf("events must be positive, got %d", l.Events)
	case l.Window <= 0:
		return fmt.Errorf("window must be positive, got %s", l.Window)
	case l.Burst < 0:
		return fmt.Errorf("burst must not be negative, got %d", l.Burst)
	case l.Window/time.Duration(l.Events) < time.Microsecond:
		return errors.New("rate too high: window/events is below one microsecond")
	}
	return nil
}

// burst is the effective burst.
func (l Limit) burst() int64 {
	if l.Burst == 0 {
		return int64(l.Events)
	}
	return int64(l.Burst)
}

// gcra holds a limit's parameters in microseconds.
type gcra struct {
	interval  int64 // T: one event's worth of time
	tolerance int64 // τ = burst × T
}

func (l Limit) gcra() gcra {
	t := (l.Window.Microseconds()*2 + int64(l.Events)) / (int64(l.Events) * 2) // rounded
	if t < 1 {
		t = 1
	}
	return gcra{interval: t, tolerance: t * l.burst()}
}

// Decision is what a zone says about one request.
type Decision struct {
	// Allowed is whether this zone alone would let the request through.
	Allowed bool
	// Remaining is how many more events the zone allows right now.
	Remaining int64
	// RetryAfter is how long until the zone allows an event again: for a
	// denied request, when to retry it; for an allowed one with Remaining 0,
	// when the next will pass; otherwise 0.
	RetryAfter time.Duration
	// Reset is how long until the bucket is full again (the whole Burst
	// available), which is also how long its state must be kept.
	Reset time.Duration
}

func micros(us int64) time.Duration { return time.Duration(us) * time.Microsecond }

// step applies one event at now to a bucket whose theoretical arrival time is
// tat (0 for a bucket never seen). It returns the TAT to store and the
// decision; a denied event returns tat unchanged.
func (g gcra) step(tat, now int64) (int64, Decision) {
	if tat < now {
		tat = now
	}
	next := tat + g.interval
	allowAt := next - g.tolerance
	if allowAt > now {
		return tat, Decision{RetryAfter: micros(allowAt - now), Reset: micros(tat - now)}
	}
	d := Decision{Allowed: true, Remaining: (now - allowAt) / g.interval, Reset: micros(next - now)}
	if d.Remaining == 0 {
		d.RetryAfter = micros(allowAt + g.interval - now)
	}
	return next, d
}
