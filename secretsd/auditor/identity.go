package auditor

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/portcullis/portcullis/audit/event"
	"github.com/portcullis/portcullis/audit/pseudo"
	"github.com/portcullis/portcullis/secretsd/identity"
)

// Record implements identity.Auditor: it maps e onto the catalogue and
// writes it, durably when the action is privileged or the service waits on
// it (e.Durable).
func (a *Auditor) Record(ctx context.Context, e identity.Event) error {
	act, extra, ok := identity.ResolveAction(e)
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownAction, e.Action)
	}
	ev := a.fromIdentity(ctx, act, e, extra)
	if act.Privileged || e.Durable {
		return a.trail.Record(ctx, &ev)
	}
	return a.trail.Enqueue(&ev)
}

// fromIdentity builds the ECS event of an identity event.
func (a *Auditor) fromIdentity(ctx context.Context, act event.Action, e identity.Event, extra map[string]string) event.Event {
	outcome := event.Failure
	if e.Outcome == identity.OutcomeSuccess {
		outcome = event.Success
	}
	ev := a.Start(ctx, act, outcome)
	ev.Event.Reason = e.Reason

	// The user of an event is the actor; for an anonymous attempt (a failed
	// login of a known account), the account it was made on.
	userID := e.ActorID
	if userID == "" {
		userID = e.Subject
	}
	var roles []string
	if sc := identity.RequestScopeFrom(ctx); sc != nil && e.ActorID != "" {
		roles = sc.ActorRoles
	}
	SetActor(&ev, userID, roles, e.Session)
	if e.Subject != "" && e.Subject != userID {
		product(&ev).Resource = a.UserResource(e.Subject)
	}

	details := make(map[string]string, len(e.Details)+len(extra))
	for k, v := range e.Details {
		switch k {
		case "ip":
			// The request scope has the address; the details only stand in
			// when there is none. Never written raw: source.ip is truncated.
			if s, ok := v.(string); ok && ev.Source == nil {
				ev.Source = &event.Source{IP: s}
			}
		case "request_id":
			if s, ok := v.(string); ok && product(&ev).RequestID == "" {
				product(&ev).RequestID = s
			}
		case "user_agent":
			// Left out: a browser fingerprint is personal data the trail has
			// no use for.
		case "jti":
			if s, ok := v.(string); ok {
				product(&ev).TokenID = s
			}
		case "username":
			s, _ := v.(string)
			if e.Subject == userID && ev.User != nil {
				// The actor's own name: the trail pseudonymises it and seals
				// it under the user's key, so it stays readable until erased.
				ev.User.Name = s
			} else {
				h, _ := a.pseud.Hash(pseudo.FieldUserName, s)
				details["username"] = h
			}
		default:
			details[k] = detailString(v)
		}
	}
	for k, v := range extra {
		details[k] = v
	}
	if len(details) > 0 {
		product(&ev).Details = details
	}
	return ev
}

// detailString writes a detail value as the event's string map holds it:
// strings as they are, anything else as JSON.
func detailString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

var _ identity.Auditor = (*Auditor)(nil)
