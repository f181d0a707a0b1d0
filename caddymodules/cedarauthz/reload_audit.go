package cedarauthz

import (
	"context"
	"strconv"
	"time"

	"github.com/portcullis/portcullis/audit/event"
	"github.com/portcullis/portcullis/internal/authz"
	"github.com/portcullis/portcullis/internal/clock"
)

// recordTimeout bounds one durable write of a policy load. Past it the load
// does not take effect (fail closed) and is tried again at the next check.
const recordTimeout = 10 * time.Second

// maxReason keeps a rejected set's error (file:line and message, never a
// secret) to a readable size in the event.
const maxReason = 512

// reloadRecorder writes a policy.reload event durably before each policy set
// takes effect (DESIGN.md: privileged actions are audited first), and one
// for each rejected set.
func reloadRecorder(sink recorder) func(authz.ReloadEvent) error {
	return func(ev authz.ReloadEvent) error {
		e := PolicyReloadEvent(ev, clock.System)
		ctx, cancel := context.WithTimeout(context.Background(), recordTimeout)
		defer cancel()
		return sink.Record(ctx, &e)
	}
}

// PolicyReloadEvent is the audit event of a policy set load.
func PolicyReloadEvent(ev authz.ReloadEvent, clk clock.Clock) event.Event {
	outcome := event.Success
	if ev.Err != nil {
		outcome = event.Failure
	}
	e := event.New(event.PolicyReload, outcome, clk)
	if ev.Err != nil {
		reason := ev.Err.Error()
		if len(reason) > maxReason {
			reason = reason[:maxReason] + "…"
		}
		e.Event.Reason = reason
	}
	details := map[string]string{
		"set":               ev.Set,
		"initial":           strconv.FormatBool(ev.Initial),
		"policies":          strconv.Itoa(ev.Policies),
		"previous_policies": strconv.Itoa(ev.PreviousPolicies),
	}
	if ev.Fingerprint != "" {
		details["fingerprint"] = ev.Fingerprint
	}
	e.Portcullis = &event.Product{
		Resource: &event.Resource{Type: "policy_set", ID: ev.Source},
		Details:  details,
	}
	return e
}

// recorder is the part of the audit trail that policy loads use: Record,
// durable before the set takes effect.
type recorder interface {
	Record(context.Context, *event.Event) error
}
