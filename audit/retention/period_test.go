package retention_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/audit/event"
	"github.com/portcullis/portcullis/audit/retention"
)

func TestParsePeriod(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want retention.Period
		str  string
	}{
		{"365d", retention.Period{Days: 365}, "365d"},
		{"7y", retention.Period{Years: 7}, "7y"},
		{"18m", retention.Period{Months: 18}, "18m"},
		{"1y6m", retention.Period{Years: 1, Months: 6}, "1y6m"},
		{"2y3m4d", retention.Period{Years: 2, Months: 3, Days: 4}, "2y3m4d"},
		{"0y30d", retention.Period{Days: 30}, "30d"},
		{" 30d ", retention.Period{Days: 30}, "30d"},
		{"100y", retention.Period{Years: 100}, "100y"},
		{"007d", retention.Period{Days: 7}, "7d"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := retention.ParsePeriod(tc.in)
			if err != nil || got != tc.want {
				t.Fatalf("ParsePeriod(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
			}
			if got.String() != tc.str {
				t.Fatalf("String() = %q, want %q", got.String(), tc.str)
			}
		})
	}
}

func TestParsePeriodRejects(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in, want string
	}{
		{"empty", "", "empty"},
		{"blank", "   ", "empty"},
		{"zero", "0d", "zero"},
		{"zero in every unit", "0y0m0d", "zero"},
		{"negative", "-1d", "negative"},
		{"negative part", "1y-1d", "negative"},
		{"no unit", "365", "no unit"},
		{"minutes are not a unit", "30min", "unknown unit"},
		{"hours are not a unit", "24h", `unknown unit "h"`},
		{"upper case", "7Y", "unknown unit"},
		{"weeks are not a unit", "2w", "unknown unit"},
		{"unit without number", "y", "number before each unit"},
		{"units out of order", "6m1y", "in the order y, m, d"},
		{"unit twice", "1d1d", "once each"},
		{"space inside", "1y 6m", "number before each unit"},
		{"more than a century in years", "101y", "century"},
		{"more than a century in months", "99y13m", "century"},
		{"more than a century in days", "36601d", "century"},
		{"overflowing int", "99999999999999999999999d", "century"},
		{"go duration", "8760h0m0s", "unknown unit"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := retention.ParsePeriod(tc.in)
			if !errors.Is(err, retention.ErrBadPeriod) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ParsePeriod(%q) = %+v, %v; want ErrBadPeriod mentioning %q", tc.in, p, err, tc.want)
			}
		})
	}
}

func TestPeriodsExpiresAt(t *testing.T) {
	t.Parallel()
	leap := day(2024, 2, 29)
	cases := []struct {
		name    string
		periods retention.Periods
		class   event.Retention
		written time.Time
		want    time.Time
	}{
		{"zero Periods: standard is 365 days", retention.Periods{}, event.Standard, day(2024, 1, 1), day(2024, 12, 31)},
		{"zero Periods: break-glass is 7 calendar years across a leap day", retention.Periods{}, event.BreakGlassRetention, leap, day(2031, 3, 1)},
		{"configured 30d standard", retention.Periods{Standard: retention.Period{Days: 30}}, event.Standard, day(2025, 1, 15), day(2025, 2, 14)},
		{"configured 1y6m standard by calendar", retention.Periods{Standard: retention.Period{Years: 1, Months: 6}}, event.Standard, day(2025, 8, 31), day(2027, 3, 3)},
		{"configured 10y break-glass from a leap day", retention.Periods{BreakGlass: retention.Period{Years: 10}}, event.BreakGlassRetention, leap, day(2034, 3, 1)},
		{"configured break-glass does not change standard", retention.Periods{BreakGlass: retention.Period{Years: 10}}, event.Standard, day(2024, 1, 1), day(2024, 12, 31)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.periods.ExpiresAt(tc.class, tc.written); !got.Equal(tc.want) {
				t.Fatalf("ExpiresAt = %v, want %v", got, tc.want)
			}
		})
	}
}

// The spelled-out defaults and the zero Periods are one behaviour: the
// event catalogue's.
func TestDefaultPeriodsAreTheCataloguesDefaults(t *testing.T) {
	t.Parallel()
	def := retention.DefaultPeriods()
	if def.Standard.String() != "365d" || def.BreakGlass.String() != "7y" {
		t.Fatalf("DefaultPeriods = %s, %s; want 365d, 7y", def.Standard, def.BreakGlass)
	}
	start := day(2023, 1, 1)
	for _, class := range []event.Retention{event.Standard, event.BreakGlassRetention} {
		for d := 0; d < 4*366; d += 17 {
			ts := start.AddDate(0, 0, d)
			want := class.ExpiresAt(ts)
			if got := def.ExpiresAt(class, ts); !got.Equal(want) {
				t.Fatalf("%s written %v: DefaultPeriods gives %v, the catalogue %v", class, ts, got, want)
			}
			if got := (retention.Periods{}).ExpiresAt(class, ts); !got.Equal(want) {
				t.Fatalf("%s written %v: zero Periods gives %v, the catalogue %v", class, ts, got, want)
			}
		}
		if got := (retention.Periods{}).For(class); got != def.For(class) {
			t.Fatalf("For(%s) = %s, want %s", class, got, def.For(class))
		}
	}
}

func TestPeriodsValidate(t *testing.T) {
	t.Parallel()
	if err := (retention.Periods{}).Validate(); err != nil {
		t.Fatalf("zero Periods: %v", err)
	}
	err := retention.Periods{BreakGlass: retention.Period{Months: -1}}.Validate()
	if !errors.Is(err, retention.ErrBadPeriod) || !strings.Contains(err.Error(), "break_glass") {
		t.Fatalf("negative break-glass period: %v, want ErrBadPeriod naming break_glass", err)
	}
}
