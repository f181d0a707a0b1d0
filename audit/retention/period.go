package retention

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/portcullis/portcullis/audit/event"
)

// ErrBadPeriod is returned for a retention period that does not parse or is
// out of range.
var ErrBadPeriod = errors.New("audit retention: bad retention period")

// Bounds of a period. A century is past any retention law we know of, and
// keeps AddDate far from overflowing.
const (
	maxPeriodMonths = 100 * 12
	maxPeriodDays   = 100 * 366
)

// Period is a retention period in calendar units: AddTo moves a time by
// Years, then Months, then Days with time.AddDate, so "7y" from a leap day
// lands on the same calendar date (normalised) seven years later, whatever
// the leap days in between. The zero Period means "the class's default" in
// Periods.
type Period struct {
	Years, Months, Days int
}

// ParsePeriod parses "365d", "7y", "18m" (months, not minutes) or a
// combination in the order years, months, days ("1y6m", "2y15d"). Each unit
// appears once; the period must be positive and at most a century.
func ParsePeriod(s string) (Period, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return Period{}, fmt.Errorf("%w: empty (write e.g. %q, %q or %q)", ErrBadPeriod, "365d", "7y", "1y6m")
	}
	var p Period
	last := -1 // index in "ymd" of the last unit read
	for rest := in; rest != ""; {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 {
			if rest[0] == '-' {
				return Period{}, fmt.Errorf("%w: %q is negative", ErrBadPeriod, in)
			}
			return Period{}, fmt.Errorf("%w: %q: want a number before each unit, e.g. %q", ErrBadPeriod, in, "1y6m")
		}
		if i == len(rest) {
			return Period{}, fmt.Errorf("%w: %q: %q has no unit (y, m or d)", ErrBadPeriod, in, rest)
		}
		// The unit is the run of letters, so that "30min" is reported as
		// an unknown unit rather than 30 months followed by garbage.
		j := i
		for j < len(rest) && (rest[j] >= 'a' && rest[j] <= 'z' || rest[j] >= 'A' && rest[j] <= 'Z') {
			j++
		}
		if j == i {
			j = i + 1
		}
		unit := -1
		if j == i+1 {
			unit = strings.IndexByte("ymd", rest[i])
		}
		if unit < 0 {
			return Period{}, fmt.Errorf("%w: %q: unknown unit %q (want y for years, m for months, d for days)", ErrBadPeriod, in, rest[i:j])
		}
		if unit <= last {
			return Period{}, fmt.Errorf("%w: %q: units must appear once each, in the order y, m, d", ErrBadPeriod, in)
		}
		n, err := strconv.Atoi(rest[:i])
		if err != nil || n > maxPeriodDays {
			return Period{}, fmt.Errorf("%w: %q is longer than a century", ErrBadPeriod, in)
		}
		switch unit {
		case 0:
			p.Years = n
		case 1:
			p.Months = n
		case 2:
			p.Days = n
		}
		last = unit
		rest = rest[i+1:]
	}
	if err := p.Validate(); err != nil {
		return Period{}, fmt.Errorf("%w (%q)", err, in)
	}
	return p, nil
}

// Validate reports whether p is a usable period: no negative part, positive,
// at most a century.
func (p Period) Validate() error {
	switch {
	case p.Years < 0 || p.Months < 0 || p.Days < 0:
		return fmt.Errorf("%w: %s is negative", ErrBadPeriod, p)
	case p.IsZero():
		return fmt.Errorf("%w: a period of zero would delete events as they are written", ErrBadPeriod)
	case p.Years > maxPeriodMonths/12 || p.Years*12+p.Months > maxPeriodMonths || p.Days > maxPeriodDays:
		return fmt.Errorf("%w: %s is longer than a century", ErrBadPeriod, p)
	}
	return nil
}

// IsZero reports whether p is the zero Period.
func (p Period) IsZero() bool { return p == Period{} }

// AddTo returns t moved forward by p in calendar units.
func (p Period) AddTo(t time.Time) time.Time { return t.AddDate(p.Years, p.Months, p.Days) }

// String is the form ParsePeriod reads: "7y", "1y6m", "365d"; "0d" for the
// zero Period.
func (p Period) String() string {
	if p.IsZero() {
		return "0d"
	}
	var b strings.Builder
	for _, part := range []struct {
		n    int
		unit string
	}{{p.Years, "y"}, {p.Months, "m"}, {p.Days, "d"}} {
		if part.n != 0 {
			b.WriteString(strconv.Itoa(part.n) + part.unit)
		}
	}
	return b.String()
}

// Periods are the retention periods of the classes. A zero field takes the
// class's default (event.Retention.ExpiresAt: 365 days standard, 7 years
// break-glass), so the zero Periods is today's behaviour.
type Periods struct {
	Standard   Period `json:"standard,omitzero"`
	BreakGlass Period `json:"break_glass,omitzero"`
}

// DefaultPeriods are the defaults spelled out: 365 days standard, 7 years
// for break-glass.
func DefaultPeriods() Periods {
	return Periods{Standard: Period{Days: 365}, BreakGlass: Period{Years: 7}}
}

// For is class's period, the default when not configured. A class other
// than break-glass is kept as standard, as event.Retention.ExpiresAt does.
func (ps Periods) For(class event.Retention) Period {
	p, def := ps.Standard, DefaultPeriods().Standard
	if class == event.BreakGlassRetention {
		p, def = ps.BreakGlass, DefaultPeriods().BreakGlass
	}
	if p.IsZero() {
		return def
	}
	return p
}

// ExpiresAt is when an event of class written at t may be deleted: t plus
// the configured period, or class.ExpiresAt(t) when none is.
func (ps Periods) ExpiresAt(class event.Retention, t time.Time) time.Time {
	p := ps.Standard
	if class == event.BreakGlassRetention {
		p = ps.BreakGlass
	}
	if p.IsZero() {
		return class.ExpiresAt(t)
	}
	return p.AddTo(t)
}

// Validate checks the configured (non-zero) periods.
func (ps Periods) Validate() error {
	for _, c := range []struct {
		name string
		p    Period
	}{{"standard", ps.Standard}, {"break_glass", ps.BreakGlass}} {
		if c.p.IsZero() {
			continue
		}
		if err := c.p.Validate(); err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
	}
	return nil
}
