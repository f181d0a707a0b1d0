package retention_test

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/audit/chain"
	"github.com/portcullis/portcullis/audit/event"
	"github.com/portcullis/portcullis/audit/retention"
)

// TestRetentionLifecycle runs the whole story on one chain: a legal hold
// blocks deletion, releasing it allows it, the shortened chain verifies,
// and its writer appends on, across a restart too.
func TestRetentionLifecycle(t *testing.T) {
	t.Parallel()
	c := newChain(t)
	start := day(2023, 1, 1)
	for i := range 4 {
		c.segment(t, start.AddDate(0, 0, 10*i), start.AddDate(0, 0, 10*i+1))
	}
	c.clk.Set(day(2024, 6, 1))
	c.segment(t, c.clk.Now())
	// The writer keeps the last segment open, as the trail does.
	live := c.open(t, 1<<30)
	if _, err := live.Append([][]byte{eventAt(c.clk.Now(), 100)}); err != nil {
		t.Fatal(err)
	}

	holds, err := retention.OpenHoldsWithClock(t.TempDir(), c.clk)
	if err != nil {
		t.Fatal(err)
	}
	hold, err := holds.Place(retention.Hold{Reason: "case 2024-17", From: start.AddDate(0, 0, 10), To: start.AddDate(0, 0, 11)})
	if err != nil {
		t.Fatal(err)
	}
	now := day(2024, 1, 5) // only segment 1 (2023-01-01..02) has expired
	list, err := holds.List()
	if err != nil {
		t.Fatal(err)
	}
	due, held, err := retention.Plan(c.dir, event.Standard, retention.Periods{}, now, list)
	if err != nil {
		t.Fatal(err)
	}
	if got := segNums(due); !slices.Equal(got, []int{1}) || held != 0 {
		t.Fatalf("with the hold: due %v, held %d; want [1], none held yet (only segment 1 has expired)", got, held)
	}
	now = day(2024, 6, 1) // every sealed segment has expired
	due, held, err = retention.Plan(c.dir, event.Standard, retention.Periods{}, now, list)
	if err != nil {
		t.Fatal(err)
	}
	if got := segNums(due); !slices.Equal(got, []int{1}) || held != 3 {
		t.Fatalf("with the hold, all expired: due %v, held %d; want [1], 3 held", got, held)
	}
	if err := retention.Delete(c.dir, due, c.priv, "test"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	rep := c.verifyLive(t)
	if rep.Anchor == nil || rep.Anchor.Segment != 2 || rep.Records != uint64(c.n)-2+1 {
		t.Fatalf("after the first deletion: %+v", rep)
	}

	if err := holds.Release(hold.ID); err != nil {
		t.Fatal(err)
	}
	list, _ = holds.List()
	due, held, err = retention.Plan(c.dir, event.Standard, retention.Periods{}, now, list)
	if err != nil {
		t.Fatal(err)
	}
	if got := segNums(due); !slices.Equal(got, []int{2, 3, 4}) || held != 0 {
		t.Fatalf("after release: due %v, held %d; want [2 3 4]", got, held)
	}
	if err := retention.Delete(c.dir, due, c.priv, "test"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if left, _ := chain.Segments(c.dir); !slices.Equal(left, []int{5}) {
		t.Fatalf("segments left: %v, want [5]", left)
	}

	// The live writer appends on, and the chain verifies from the anchor.
	if _, err := live.Append([][]byte{eventAt(now, 101)}); err != nil {
		t.Fatal(err)
	}
	if err := live.Close(); err != nil {
		t.Fatal(err)
	}
	rep = c.verify(t)
	if rep.Anchor.Segment != 5 || rep.Records != 3 || rep.LastSeq != 11 {
		t.Fatalf("after the second deletion: %+v", rep)
	}
	w := c.open(t, 1<<30)
	if first, err := w.Append([][]byte{eventAt(now, 102)}); err != nil || first != 12 {
		t.Fatalf("Append after reopen = %d, %v; want seq 12", first, err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	c.verify(t)
}

func TestDeleteRefusesAPlanThatDoesNotFit(t *testing.T) {
	t.Parallel()
	c := newChain(t)
	for i := range 4 {
		c.segment(t, day(2020, 1, 1+i))
	}
	now := day(2030, 1, 1)
	due, _, err := retention.Plan(c.dir, event.Standard, retention.Periods{}, now, nil)
	if err != nil || len(due) != 3 {
		t.Fatalf("Plan = %v, %v", segNums(due), err)
	}
	_, other := newKey(t)
	stale := slices.Clone(due)
	stale[1].LastSeq++
	cases := []struct {
		name string
		due  []retention.Segment
		key  []byte
		want string
	}{
		{"not the first segment", due[1:], c.priv, "not the chain's first"},
		{"not consecutive", []retention.Segment{due[0], due[2]}, c.priv, "not consecutive"},
		{"seq range changed", stale, c.priv, "not 2..3 as planned"},
		{"signer is not the chain's key", due, other, "not sealed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := retention.Delete(c.dir, tc.due, tc.key, "test")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Delete = %v, want an error with %q", err, tc.want)
			}
			if left, _ := chain.Segments(c.dir); len(left) != 4 {
				t.Fatalf("a refused Delete removed segments: %v left", left)
			}
			if _, err := os.Stat(c.dir + "/" + chain.AnchorFile); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("a refused Delete wrote an anchor: %v", err)
			}
		})
	}
	if err := retention.Delete(c.dir, nil, c.priv, "test"); err != nil {
		t.Fatalf("Delete(nothing) = %v", err)
	}
}
