package cedarauthz

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/audit/event"
	"github.com/portcullis/portcullis/internal/authz"
	"github.com/portcullis/portcullis/internal/clock"
)

type recordingSink struct {
	recorded []*event.Event
	err      error
}

func (s *recordingSink) Record(ctx context.Context, e *event.Event) error {
	if _, ok := ctx.Deadline(); !ok {
		return errors.New("no deadline")
	}
	s.recorded = append(s.recorded, e)
	return s.err
}

func TestPolicyLoadsAreRecordedDurably(t *testing.T) {
	t.Parallel()
	sink := &recordingSink{}
	hook := reloadRecorder(sink)
	if err := hook(authz.ReloadEvent{Set: "enforced", Source: "./policies", Initial: true, Fingerprint: "ab", Policies: 18}); err != nil {
		t.Fatal(err)
	}
	e := sink.recorded[0]
	if e.Event.Action != "policy.reload" || e.Event.Outcome != event.Success || e.Event.Code != "6003" ||
		e.Portcullis.Resource.ID != "./policies" || e.Portcullis.Details["policies"] != "18" || e.Portcullis.Details["initial"] != "true" {
		t.Fatalf("event %+v %+v", e.Event, e.Portcullis)
	}
	sink.err = errors.New("disk full")
	if err := hook(authz.ReloadEvent{Set: "enforced"}); err == nil {
		t.Fatal("a failed write was not reported: the set would take effect unaudited")
	}
}

func TestARejectedSetIsAFailureWithItsReason(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 2000)
	e := PolicyReloadEvent(authz.ReloadEvent{Set: "shadow", Source: "cand/", Err: errors.New("cand/a.cedar:3: unknown attribute " + long)},
		clock.NewManual(time.Date(2026, 3, 11, 10, 0, 0, 0, time.UTC)))
	if e.Event.Outcome != event.Failure || e.Event.Code != "6004" || !strings.HasPrefix(e.Event.Reason, "cand/a.cedar:3:") || len(e.Event.Reason) > maxReason+4 {
		t.Fatalf("event %+v", e.Event)
	}
	if e.Portcullis.Details["set"] != "shadow" || e.Portcullis.Details["fingerprint"] != "" {
		t.Fatalf("details %v", e.Portcullis.Details)
	}
}
