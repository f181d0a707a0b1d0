package ratelimit_test

import (
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/clock"
	"github.com/portcullis/portcullis/internal/ratelimit"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func TestLimitValidate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		limit ratelimit.Limit
		want  string // "" = valid
	}{
		{"the seed's default is valid", ratelimit.Limit{Events: 100, Window: time.Minute}, ""},
		{"an explicit burst is valid", ratelimit.Limit{Events: 10, Window: time.Second, Burst: 3}, ""},
		{"zero events are refused", ratelimit.Limit{Events: 0, Window: time.Minute}, "events must be positive"},
		{"negative events are refused", ratelimit.Limit{Events: -5, Window: time.Minute}, "events must be positive"},
		{"a zero window is refused", ratelimit.Limit{Events: 1}, "window must be positive"},
		{"a negative burst is refused", ratelimit.Limit{Events: 1, Window: time.Second, Burst: -1}, "burst must not be negative"},
		{"more than one event per microsecond is refused", ratelimit.Limit{Events: 2000, Window: time.Millisecond}, "rate too high"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			err := c.limit.Validate()
			if c.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Validate() = %v, want %q", err, c.want)
			}
		})
	}
}

// event is one step of a GCRA scenario: advance the clock, take, expect.
type event struct {
	advance   time.Duration
	allowed   bool
	remaining int64
	retry     time.Duration // expected RetryAfter
	reset     time.Duration // expected Reset; -1 = don't check
}

func TestGCRA(t *testing.T) {
	t.Parallel()
	// 10 per second: T = 100ms.
	ten := ratelimit.Limit{Events: 10, Window: time.Second}
	burst := func(n int, remainingFrom int64) []event {
		var ev []event
		for i := 0; i < n; i++ {
			r := remainingFrom - int64(i)
			e := event{allowed: true, remaining: r, reset: time.Duration(i+1) * 100 * time.Millisecond}
			if r == 0 {
				e.retry = 100 * time.Millisecond
			}
			ev = append(ev, e)
		}
		return ev
	}
	cases := []struct {
		name   string
		limit  ratelimit.Limit
		events []event
	}{
		{
			name:   "a fresh client may spend the whole window at once, then is refused for one interval",
			limit:  ten,
			events: append(burst(10, 9), event{allowed: false, retry: 100 * time.Millisecond, reset: time.Second}),
		},
		{
			name:  "after the burst, one event per interval passes (steady rate)",
			limit: ten,
			events: append(burst(10, 9),
				event{advance: 100 * time.Millisecond, allowed: true, remaining: 0, retry: 100 * time.Millisecond, reset: time.Second},
				event{allowed: false, retry: 100 * time.Millisecond, reset: time.Second},
				event{advance: 99 * time.Millisecond, allowed: false, retry: time.Millisecond, reset: 901 * time.Millisecond},
				event{advance: time.Millisecond, allowed: true, remaining: 0, retry: 100 * time.Millisecond, reset: time.Second},
			),
		},
		{
			name:  "retry-after counts down to the exact instant the next event passes",
			limit: ten,
			events: append(burst(10, 9),
				event{advance: 30 * time.Millisecond, allowed: false, retry: 70 * time.Millisecond, reset: 970 * time.Millisecond},
				event{advance: 69 * time.Millisecond, allowed: false, retry: time.Millisecond, reset: 901 * time.Millisecond},
				event{advance: time.Millisecond, allowed: true, retry: 100 * time.Millisecond, reset: time.Second},
			),
		},
		{
			name:   "a whole window of rest refills the bucket entirely",
			limit:  ten,
			events: append(burst(10, 9), event{advance: time.Second, allowed: true, remaining: 9, reset: 100 * time.Millisecond}),
		},
		{
			name:  "half a window of rest refills half the bucket",
			limit: ten,
			events: append(burst(10, 9),
				event{advance: 500 * time.Millisecond, allowed: true, remaining: 4, reset: 600 * time.Millisecond},
			),
		},
		{
			name:  "denied events do not push the reset further out",
			limit: ten,
			events: append(burst(10, 9),
				event{allowed: false, retry: 100 * time.Millisecond, reset: time.Second},
				event{allowed: false, retry: 100 * time.Millisecond, reset: time.Second},
				event{allowed: false, retry: 100 * time.Millisecond, reset: time.Second},
				event{advance: 100 * time.Millisecond, allowed: true, retry: 100 * time.Millisecond, reset: time.Second},
			),
		},
		{
			name:  "a burst smaller than events caps what arrives at once but not the rate",
			limit: ratelimit.Limit{Events: 10, Window: time.Second, Burst: 2},
			events: []event{
				{allowed: true, remaining: 1, reset: 100 * time.Millisecond},
				{allowed: true, remaining: 0, retry: 100 * time.Millisecond, reset: 200 * time.Millisecond},
				{allowed: false, retry: 100 * time.Millisecond, reset: 200 * time.Millisecond},
				{advance: 100 * time.Millisecond, allowed: true, remaining: 0, retry: 100 * time.Millisecond, reset: 200 * time.Millisecond},
			},
		},
		{
			name:  "one event per window: the next passes exactly one window later",
			limit: ratelimit.Limit{Events: 1, Window: time.Minute},
			events: []event{
				{allowed: true, remaining: 0, retry: time.Minute, reset: time.Minute},
				{advance: time.Minute - time.Microsecond, allowed: false, retry: time.Microsecond, reset: time.Microsecond},
				{advance: time.Microsecond, allowed: true, remaining: 0, retry: time.Minute, reset: time.Minute},
			},
		},
		{
			name:  "the seed's default: 100 pass at once, the 101st is told to come back in 600ms",
			limit: ratelimit.Limit{Events: ratelimit.DefaultEvents, Window: ratelimit.DefaultWindow},
			events: func() []event {
				ev := make([]event, 100)
				for i := range ev {
					ev[i] = event{allowed: true, remaining: int64(99 - i), reset: -1}
					if i == 99 {
						ev[i].retry = 600 * time.Millisecond
					}
				}
				return append(ev, event{allowed: false, retry: 600 * time.Millisecond, reset: time.Minute})
			}(),
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			clk := clock.NewManual(t0)
			tab := ratelimit.NewTable(c.limit, 0)
			for i, e := range c.events {
				clk.Advance(e.advance)
				d := tab.Take("client", clk.Now())
				if d.Allowed != e.allowed || d.Remaining != e.remaining || d.RetryAfter != e.retry || (e.reset >= 0 && d.Reset != e.reset) {
					t.Fatalf("event %d: got %+v, want allowed=%v remaining=%d retry=%s reset=%s", i, d, e.allowed, e.remaining, e.retry, e.reset)
				}
			}
		})
	}
}

func TestKeysHaveSeparateBuckets(t *testing.T) {
	t.Parallel()
	tab := ratelimit.NewTable(ratelimit.Limit{Events: 1, Window: time.Hour}, 0)
	if !tab.Take("a", t0).Allowed || !tab.Take("b", t0).Allowed {
		t.Fatal("first event of each key must pass")
	}
	if tab.Take("a", t0).Allowed {
		t.Fatal("second event of key a must be refused")
	}
}
