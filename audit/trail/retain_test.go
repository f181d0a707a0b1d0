package trail_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/portcullis/portcullis/audit/event"
	"github.com/portcullis/portcullis/audit/retention"
	"github.com/portcullis/portcullis/audit/trail"
	"github.com/portcullis/portcullis/internal/clock"
)

// retentionTrail writes 40 standard and 40 break-glass events at start into
// small segments, so that most of each chain is sealed; the trail keeps
// them for periods.
func retentionTrail(t *testing.T, start time.Time, periods retention.Periods) (trail.Config, *trail.Trail, *clock.Manual) {
	t.Helper()
	clk := clock.NewManual(start)
	cfg := config(t)
	cfg.Clock = clk
	cfg.Retention = periods
	cfg.Chain.SegmentBytes = 4 << 10
	tr := open(t, cfg)
	ctx := context.Background()
	for range 40 {
		if err := tr.Record(ctx, privilegedEvent(event.PolicyChange, clk)); err != nil {
			t.Fatal(err)
		}
		if err := tr.Record(ctx, privilegedEvent(event.BreakGlassActivate, clk)); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Minute)
	}
	for i := range 40 {
		e := requestEvent(clk)
		e.Timestamp = start.Add(time.Duration(i) * time.Minute)
		if err := tr.Enqueue(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := tr.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	return cfg, tr, clk
}

func TestRetainDeletesExpiredSegmentsAndAuditsIt(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)
	cfg, tr, clk := retentionTrail(t, start, retention.Periods{})
	clk.Set(start.AddDate(1, 0, 1)) // 366 days: standard expired, break-glass kept 7 years
	before := readChain(t, trail.ChainDir(cfg.Root, cfg.Writer, event.Standard))
	res, err := tr.Retain(context.Background(), clk.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	byClass := map[event.Retention]trail.RetentionResult{}
	for _, r := range res {
		byClass[r.Class] = r
	}
	if len(res) != 2 {
		t.Fatalf("results %+v, want one per class", res)
	}
	if n := len(byClass[event.BreakGlassRetention].Deleted); n != 0 {
		t.Errorf("deleted %d break-glass segments after one year", n)
	}
	deleted := byClass[event.Standard].Deleted
	if len(deleted) == 0 {
		t.Fatal("no standard segment deleted after 366 days")
	}
	after := readChain(t, trail.ChainDir(cfg.Root, cfg.Writer, event.Standard))
	last := after[len(after)-1]
	if last.Event.Action != event.AuditRetention.Name || last.Event.Outcome != event.Success {
		t.Fatalf("the last standard record is %s/%s, want the audit.retention event", last.Event.Action, last.Event.Outcome)
	}
	d := last.Portcullis.Details
	want := map[string]string{
		"class":     "standard",
		"segments":  strconv.Itoa(len(deleted)),
		"first_seq": "1",
		"last_seq":  strconv.FormatUint(deleted[len(deleted)-1].LastSeq, 10),
		"from":      deleted[0].From.Format(time.RFC3339Nano),
		"to":        deleted[len(deleted)-1].To.Format(time.RFC3339Nano),
	}
	for k, v := range want {
		if d[k] != v {
			t.Errorf("details[%s] = %q, want %q", k, d[k], v)
		}
	}
	if got, wantN := len(after), len(before)+1-int(deleted[len(deleted)-1].LastSeq); got != wantN {
		t.Errorf("%d records left, want %d", got, wantN)
	}
	// The shortened chain verifies from its anchor, live and after Close.
	verifyIntact(t, cfg.Root)
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	for _, r := range verifyIntact(t, cfg.Root) {
		if r.Class == event.Standard && (r.Anchor == nil || r.Anchor.Seq != deleted[len(deleted)-1].LastSeq) {
			t.Errorf("standard chain anchor %+v, want one at seq %d", r.Anchor, deleted[len(deleted)-1].LastSeq)
		}
	}
}

func TestRetainKeepsWhatALegalHoldCovers(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	cfg, tr, clk := retentionTrail(t, start, retention.Periods{})
	clk.Set(start.AddDate(8, 0, 0)) // everything expired, break-glass too
	holds := []retention.Hold{{ID: "case-1", Reason: "litigation", From: start.Add(-time.Hour), To: start.Add(time.Hour)}}
	before := readChain(t, trail.ChainDir(cfg.Root, cfg.Writer, event.Standard))
	res, err := tr.Retain(context.Background(), clk.Now(), holds)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if len(r.Deleted) != 0 || r.Held == 0 {
			t.Errorf("%s: deleted %d, held %d; want nothing deleted, segments held", r.Class, len(r.Deleted), r.Held)
		}
	}
	after := readChain(t, trail.ChainDir(cfg.Root, cfg.Writer, event.Standard))
	if len(after) != len(before) || slices.ContainsFunc(after, func(e event.Event) bool { return e.Event.Action == event.AuditRetention.Name }) {
		t.Errorf("a held chain changed: %d records before, %d after", len(before), len(after))
	}
	verifyIntact(t, cfg.Root)
}

// A configured period replaces the default: 30 days standard deletes what
// 365 days would keep, and leaves break-glass at its 7 years.
func TestRetainHonoursConfiguredPeriods(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)
	at := start.AddDate(0, 0, 40) // past 30 days and a month, well within 365
	cases := []struct {
		name       string
		periods    retention.Periods
		standard   bool // standard segments deleted
		breakGlass bool
	}{
		{"default 365 days keeps a month-old chain", retention.Periods{}, false, false},
		{"configured 30d standard deletes it", retention.Periods{Standard: retention.Period{Days: 30}}, true, false},
		{"configured 1m break-glass deletes only break-glass", retention.Periods{BreakGlass: retention.Period{Months: 1}}, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg, tr, clk := retentionTrail(t, start, tc.periods)
			clk.Set(at)
			res, err := tr.Retain(context.Background(), clk.Now(), nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range res {
				want := tc.standard
				if r.Class == event.BreakGlassRetention {
					want = tc.breakGlass
				}
				if got := len(r.Deleted) > 0; got != want {
					t.Errorf("%s: deleted %d segments, want deletion %v", r.Class, len(r.Deleted), want)
				}
			}
			verifyIntact(t, cfg.Root)
		})
	}
}

func TestRetainRefusesABadPeriod(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)
	cfg, tr, clk := retentionTrail(t, start, retention.Periods{Standard: retention.Period{Days: -1}})
	before := readChain(t, trail.ChainDir(cfg.Root, cfg.Writer, event.Standard))
	_, err := tr.Retain(context.Background(), clk.Now(), nil)
	if !errors.Is(err, retention.ErrBadPeriod) {
		t.Fatalf("Retain = %v, want ErrBadPeriod", err)
	}
	if after := readChain(t, trail.ChainDir(cfg.Root, cfg.Writer, event.Standard)); len(after) != len(before) {
		t.Fatalf("a bad period changed the chain: %d records before, %d after", len(before), len(after))
	}
}
