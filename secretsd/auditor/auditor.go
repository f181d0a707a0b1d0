// Package auditor writes secretsd's audit events to the audit trail
// (audit/trail): the identity service's events, mapped onto the catalogue
// (it is the service's identity.Auditor), and the API's own (audit.query,
// audit.export, ...). Every event gets the request it belongs to from the
// context (identity.RequestScope): request id, client address, caller roles.
//
// Privileged actions are written durably before they take effect and an
// error refuses them; the others go through the trail's bounded queue.
package auditor

import (
	"context"
	"errors"
	"fmt"

	"github.com/portcullis/portcullis/audit/event"
	"github.com/portcullis/portcullis/audit/pseudo"
	"github.com/portcullis/portcullis/audit/trail"
	"github.com/portcullis/portcullis/internal/clock"
	"github.com/portcullis/portcullis/secretsd/identity"
)

// ErrUnknownAction is returned for an identity event the catalogue cannot
// name: it is refused rather than written under another action.
var ErrUnknownAction = errors.New("auditor: identity action not in the audit catalogue")

// Trail is what the auditor needs of a trail (*trail.Trail).
type Trail interface {
	Record(ctx context.Context, e *event.Event) error
	Enqueue(e *event.Event) error
}

var _ Trail = (*trail.Trail)(nil)

// Auditor writes events to a trail. Safe for concurrent use.
type Auditor struct {
	trail Trail
	pseud *pseudo.Pseudonymizer
	clock clock.Clock
}

// New returns an Auditor writing to t. p pseudonymises the personal values
// the trail itself does not see (a subject's id as the resource, a subject's
// user name in the details); clk stamps the events.
func New(t Trail, p *pseudo.Pseudonymizer, clk clock.Clock) *Auditor {
	if clk == nil {
		clk = clock.System
	}
	return &Auditor{trail: t, pseud: p, clock: clk}
}

// Start begins an event of action with outcome, stamped now and carrying
// the request of ctx: its id, the client address (the trail truncates and
// hashes it) and the caller.
func (a *Auditor) Start(ctx context.Context, action event.Action, outcome event.Outcome) event.Event {
	e := event.New(action, outcome, a.clock)
	sc := identity.RequestScopeFrom(ctx)
	if sc == nil {
		return e
	}
	if sc.ClientIP != "" {
		e.Source = &event.Source{IP: sc.ClientIP}
	}
	if sc.RequestID != "" {
		product(&e).RequestID = sc.RequestID
	}
	return e
}

// SetActor names the user who acted, with their roles.
func SetActor(e *event.Event, userID string, roles []string, sessionID string) {
	if userID != "" {
		e.User = &event.User{ID: userID, Roles: roles}
	}
	if sessionID != "" {
		product(e).SessionID = sessionID
	}
}

// Write stores e: durably before returning for a privileged action (the
// caller acts only on nil), else through the trail's queue (an error means
// the queue is full and the trail fails closed).
func (a *Auditor) Write(ctx context.Context, e *event.Event) error {
	act, ok := event.Lookup(e.Event.Action)
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownAction, e.Event.Action)
	}
	if act.Privileged {
		return a.trail.Record(ctx, e)
	}
	return a.trail.Enqueue(e)
}

// UserResource is the resource of an action about a user: the user's
// pseudonym, so the resource column holds no raw identity (and an erased
// subject stays erased).
func (a *Auditor) UserResource(userID string) *event.Resource {
	return &event.Resource{Type: "user", ID: a.pseud.User(userID)}
}

func product(e *event.Event) *event.Product {
	if e.Portcullis == nil {
		e.Portcullis = &event.Product{}
	}
	return e.Portcullis
}
