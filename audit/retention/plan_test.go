package retention_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/audit/event"
	"github.com/portcullis/portcullis/audit/retention"
)

func segNums(segs []retention.Segment) []int {
	var out []int
	for _, s := range segs {
		out = append(out, s.Num)
	}
	return out
}

func TestPlanStandardKeeps365Days(t *testing.T) {
	t.Parallel()
	now := day(2025, 6, 1)
	c := newChain(t)
	c.segment(t, now.AddDate(0, 0, -400))
	c.segment(t, now.AddDate(0, 0, -366))
	c.segment(t, now.AddDate(0, 0, -364))
	c.segment(t, now) // being written

	due, held, err := retention.Plan(c.dir, event.Standard, retention.Periods{}, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := segNums(due); !slices.Equal(got, []int{1, 2}) || held != 0 {
		t.Fatalf("due = %v, held %d; want segments [1 2] (day 400 and 366), day 364 kept", got, held)
	}
	if due[1].FirstSeq != 2 || due[1].LastSeq != 2 || !due[1].From.Equal(now.AddDate(0, 0, -366)) {
		t.Fatalf("segment 2 = %+v", due[1])
	}
}

func TestPlanExpiryBoundaries(t *testing.T) {
	t.Parallel()
	leap := day(2024, 2, 29)
	var defaults retention.Periods
	days30 := retention.Periods{Standard: retention.Period{Days: 30}}
	years10 := retention.Periods{BreakGlass: retention.Period{Years: 10}}
	cases := []struct {
		name    string
		class   event.Retention
		periods retention.Periods
		written time.Time
		now     time.Time
		due     bool
	}{
		{"standard, exactly 365 days later", event.Standard, defaults, day(2024, 1, 1), day(2024, 12, 31), true},
		{"standard, a second before 365 days", event.Standard, defaults, day(2024, 1, 1), day(2024, 12, 31).Add(-time.Second), false},
		{"break-glass on a leap day, 2031-03-01 by calendar", event.BreakGlassRetention, defaults, leap, day(2031, 3, 1), true},
		{"break-glass on a leap day, a second before", event.BreakGlassRetention, defaults, leap, day(2031, 3, 1).Add(-time.Second), false},
		{"break-glass, 7×365 days is not 7 years", event.BreakGlassRetention, defaults, leap, leap.AddDate(0, 0, 7*365), false},
		{"break-glass after 6 years", event.BreakGlassRetention, defaults, leap, day(2030, 3, 1), false},
		{"standard rules do not apply to break-glass", event.BreakGlassRetention, defaults, leap, leap.AddDate(1, 0, 1), false},
		{"spelled-out defaults act as the zero Periods", event.BreakGlassRetention, retention.DefaultPeriods(), leap, day(2031, 3, 1), true},
		{"configured 30d standard, 30 days later", event.Standard, days30, day(2024, 2, 1), day(2024, 3, 2), true},
		{"configured 30d standard, a second before", event.Standard, days30, day(2024, 2, 1), day(2024, 3, 2).Add(-time.Second), false},
		{"configured 30d standard leaves break-glass at 7 years", event.BreakGlassRetention, days30, leap, day(2031, 3, 1).Add(-time.Second), false},
		{"configured 10y break-glass, 7 years on is kept", event.BreakGlassRetention, years10, leap, day(2031, 3, 1), false},
		{"configured 10y break-glass from a leap day, 2034-03-01", event.BreakGlassRetention, years10, leap, day(2034, 3, 1), true},
		{"configured 10y break-glass leaves standard at 365 days", event.Standard, years10, day(2024, 1, 1), day(2024, 12, 31), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newChain(t)
			c.segment(t, tc.written)
			c.segment(t, tc.now)
			due, _, err := retention.Plan(c.dir, tc.class, tc.periods, tc.now, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(due) == 1; got != tc.due {
				t.Fatalf("due = %v, want due %v", segNums(due), tc.due)
			}
		})
	}
}

func TestPlanRefusesABadPeriod(t *testing.T) {
	t.Parallel()
	c := newChain(t)
	c.segment(t, day(2020, 1, 1))
	c.segment(t, day(2025, 1, 1))
	for _, ps := range []retention.Periods{
		{Standard: retention.Period{Days: -1}},
		{BreakGlass: retention.Period{Years: 101}},
	} {
		due, _, err := retention.Plan(c.dir, event.Standard, ps, day(2025, 1, 1), nil)
		if !errors.Is(err, retention.ErrBadPeriod) || len(due) != 0 {
			t.Errorf("Plan with %+v = %v, %v; want ErrBadPeriod and nothing due", ps, segNums(due), err)
		}
	}
}

func TestPlanDeletesOnlyWholeExpiredPrefix(t *testing.T) {
	t.Parallel()
	now := day(2025, 6, 1)
	c := newChain(t)
	c.segment(t, now.AddDate(-2, 0, 0))
	// Its first record is expired, its last is not: the whole segment stays,
	// and so does every later one even when expired.
	c.segment(t, now.AddDate(-2, 0, 0), now.AddDate(0, -1, 0))
	c.segment(t, now.AddDate(-2, 0, 0))
	c.segment(t, now)
	due, held, err := retention.Plan(c.dir, event.Standard, retention.Periods{}, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := segNums(due); !slices.Equal(got, []int{1}) || held != 0 {
		t.Fatalf("due = %v, held %d; want [1]", got, held)
	}
}

func TestPlanNeverDeletesTheLastSegment(t *testing.T) {
	t.Parallel()
	c := newChain(t)
	now := day(2030, 1, 1)
	if due, _, err := retention.Plan(c.dir, event.Standard, retention.Periods{}, now, nil); err != nil || len(due) != 0 {
		t.Fatalf("empty chain: due = %v, %v", segNums(due), err)
	}
	c.segment(t, day(2020, 1, 1), day(2020, 1, 2))
	if due, _, err := retention.Plan(c.dir, event.Standard, retention.Periods{}, now, nil); err != nil || len(due) != 0 {
		t.Fatalf("one segment: due = %v, %v; want none", segNums(due), err)
	}
}

func TestPlanLegalHolds(t *testing.T) {
	t.Parallel()
	now := day(2025, 6, 1)
	c := newChain(t)
	spans := [][2]time.Time{
		{day(2022, 1, 1), day(2022, 1, 10)},
		{day(2022, 2, 1), day(2022, 2, 10)},
		{day(2022, 3, 1), day(2022, 3, 10)},
		{day(2022, 4, 1), day(2022, 4, 10)},
	}
	for _, s := range spans {
		c.segment(t, s[0], s[1])
	}
	c.segment(t, now)
	cases := []struct {
		name string
		hold retention.Hold
		due  []int
		held int
	}{
		{"hold over segment 2 keeps it and every later one", retention.Hold{From: day(2022, 2, 5), To: day(2022, 2, 6)}, []int{1}, 3},
		{"hold ending on segment 3's first record", retention.Hold{From: day(2022, 2, 15), To: day(2022, 3, 1)}, []int{1, 2}, 2},
		{"hold starting on segment 4's last record", retention.Hold{From: day(2022, 4, 10)}, []int{1, 2, 3}, 1},
		{"unbounded hold keeps everything", retention.Hold{}, nil, 4},
		{"hold up to before the chain", retention.Hold{To: day(2021, 12, 31)}, []int{1, 2, 3, 4}, 0},
		{"hold between segments", retention.Hold{From: day(2022, 1, 11), To: day(2022, 1, 31)}, []int{1, 2, 3, 4}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.hold.ID, tc.hold.Reason = "h1", "litigation"
			due, held, err := retention.Plan(c.dir, event.Standard, retention.Periods{}, now, []retention.Hold{tc.hold})
			if err != nil {
				t.Fatal(err)
			}
			if got := segNums(due); !slices.Equal(got, tc.due) || held != tc.held {
				t.Fatalf("due = %v, held %d; want %v, held %d", got, held, tc.due, tc.held)
			}
		})
	}
}

func TestPlanRefusesUnreadableSegments(t *testing.T) {
	t.Parallel()
	c := newChain(t)
	w := c.open(t, 1)
	if _, err := w.Append([][]byte{[]byte(`{"event":{"action":"x"}}`), eventAt(day(2025, 1, 1), 2)}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	_, _, err := retention.Plan(c.dir, event.Standard, retention.Periods{}, day(2030, 1, 1), nil)
	if err == nil || !strings.Contains(err.Error(), "@timestamp") {
		t.Fatalf("Plan = %v, want an error about the missing @timestamp", err)
	}
}
