package auditor_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/audit/event"
	"github.com/portcullis/portcullis/audit/pseudo"
	"github.com/portcullis/portcullis/internal/clock"
	"github.com/portcullis/portcullis/secretsd/auditor"
	"github.com/portcullis/portcullis/secretsd/identity"
)

// fakeTrail keeps what it is given, by the way it was given.
type fakeTrail struct {
	recorded, enqueued []event.Event
	err                error
}

func (f *fakeTrail) Record(_ context.Context, e *event.Event) error {
	if f.err != nil {
		return f.err
	}
	f.recorded = append(f.recorded, *e)
	return nil
}

func (f *fakeTrail) Enqueue(e *event.Event) error {
	if f.err != nil {
		return f.err
	}
	f.enqueued = append(f.enqueued, *e)
	return nil
}

func newAuditor(t *testing.T) (*auditor.Auditor, *fakeTrail, *pseudo.Pseudonymizer) {
	t.Helper()
	p, err := pseudo.New(pseudo.Config{Keys: []pseudo.Key{{ID: "k1", Secret: []byte(strings.Repeat("s", 32))}}})
	if err != nil {
		t.Fatal(err)
	}
	tr := &fakeTrail{}
	return auditor.New(tr, p, clock.NewManual(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))), tr, p
}

func scoped() context.Context {
	return identity.WithRequestScope(context.Background(),
		&identity.RequestScope{RequestID: "gw:req-1", ClientIP: "192.0.2.7", ActorRoles: []string{"Admin"}})
}

func TestIdentityEventsAreMappedOntoTheCatalogue(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		ctx     context.Context
		in      identity.Event
		durable bool // written with Record, not Enqueue
		check   func(t *testing.T, e event.Event, p *pseudo.Pseudonymizer)
	}{
		{"a login is queued with the request, the client and the user's own name",
			scoped(), identity.Event{Action: identity.AuditLogin, Outcome: "success", ActorID: "u1", Subject: "u1", Session: "s1",
				Details: map[string]any{"username": "alice", "ip": "198.51.100.1", "user_agent": "curl/8", "acr": "urn:x", "mfa_required_by_role": true}},
			false, func(t *testing.T, e event.Event, _ *pseudo.Pseudonymizer) {
				if e.Event.Action != "auth.login" || e.Event.Outcome != event.Success || e.Event.Code != "1001" {
					t.Errorf("header: %+v", e.Event)
				}
				if e.User == nil || e.User.ID != "u1" || e.User.Name != "alice" || len(e.User.Roles) != 1 {
					t.Errorf("user (pseudonymised later by the trail): %+v", e.User)
				}
				if e.Source == nil || e.Source.IP != "192.0.2.7" {
					t.Errorf("source: the request scope's address wins over the details': %+v", e.Source)
				}
				p := e.Portcullis
				if p.RequestID != "gw:req-1" || p.SessionID != "s1" || p.Details["acr"] != "urn:x" || p.Details["mfa_required_by_role"] != "true" {
					t.Errorf("product fields: %+v", p)
				}
				for _, k := range []string{"ip", "user_agent", "username"} {
					if _, ok := p.Details[k]; ok {
						t.Errorf("detail %q kept", k)
					}
				}
			}},
		{"a user created by an Admin is durable, its subject a pseudonym",
			scoped(), identity.Event{Action: identity.AuditUserCreate, Outcome: "success", ActorID: "admin1", Subject: "u2", Durable: true,
				Details: map[string]any{"username": "bob", "role": "Viewer", "groups": []string{"a", "b"}}},
			true, func(t *testing.T, e event.Event, p *pseudo.Pseudonymizer) {
				res := e.Portcullis.Resource
				if res == nil || res.Type != "user" || res.ID != p.User("u2") {
					t.Errorf("resource: %+v", res)
				}
				want, _ := p.Hash(pseudo.FieldUserName, "bob")
				if d := e.Portcullis.Details; d["username"] != want || d["groups"] != `["a","b"]` || d["role"] != "Viewer" {
					t.Errorf("details: %+v", d)
				}
				if e.User.Name != "" {
					t.Errorf("the subject's name is not the actor's: %+v", e.User)
				}
			}},
		{"bootstrap is a user.create marked bootstrap",
			context.Background(), identity.Event{Action: identity.AuditUserBootstrap, Outcome: "success", Subject: "root1", Durable: true,
				Details: map[string]any{"username": "root"}},
			true, func(t *testing.T, e event.Event, _ *pseudo.Pseudonymizer) {
				if e.Event.Action != "user.create" || e.Portcullis.Details["bootstrap"] != "true" || e.User.ID != "root1" || e.User.Name != "root" {
					t.Errorf("bootstrap event: %+v %+v %+v", e.Event, e.User, e.Portcullis)
				}
				if e.Source != nil || e.User.Roles != nil {
					t.Errorf("no request, no source or roles: %+v %+v", e.Source, e.User)
				}
			}},
		{"a failed login on a known account names the account, with the details' address",
			context.Background(), identity.Event{Action: identity.AuditLogin, Outcome: "failure", Reason: "wrong_password", Subject: "u3",
				Details: map[string]any{"ip": "203.0.113.9", "request_id": "r-9", "username": "carol"}},
			false, func(t *testing.T, e event.Event, _ *pseudo.Pseudonymizer) {
				if e.Event.Outcome != event.Failure || e.Event.Reason != "wrong_password" || e.Event.Code != "1002" {
					t.Errorf("header: %+v", e.Event)
				}
				if e.User.ID != "u3" || e.User.Name != "carol" || e.Source.IP != "203.0.113.9" || e.Portcullis.RequestID != "r-9" {
					t.Errorf("event: %+v %+v %+v", e.User, e.Source, e.Portcullis)
				}
			}},
		{"revoking someone else's token waits for its event although token.revoke is not privileged",
			scoped(), identity.Event{Action: identity.AuditRevokeToken, Outcome: "success", ActorID: "admin1", Session: "s9", Durable: true,
				Details: map[string]any{"jti": "s9.3"}},
			true, func(t *testing.T, e event.Event, _ *pseudo.Pseudonymizer) {
				if e.Portcullis.TokenID != "s9.3" || e.Portcullis.Details != nil {
					t.Errorf("the jti is the token id: %+v", e.Portcullis)
				}
			}},
		{"too many second-factor attempts is the alert",
			scoped(), identity.Event{Action: identity.AuditMFAVerify, Outcome: "failure", Reason: "too_many_attempts", ActorID: "u1", Subject: "u1"},
			false, func(t *testing.T, e event.Event, _ *pseudo.Pseudonymizer) {
				if e.Event.Action != "auth.mfa.too_many_attempts" || e.Event.Kind != event.KindAlert {
					t.Errorf("header: %+v", e.Event)
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			a, tr, p := newAuditor(t)
			if err := a.Record(c.ctx, c.in); err != nil {
				t.Fatal(err)
			}
			got := tr.enqueued
			if c.durable {
				got = tr.recorded
			}
			if len(got) != 1 || len(tr.recorded)+len(tr.enqueued) != 1 {
				t.Fatalf("recorded %d, enqueued %d; want one %s", len(tr.recorded), len(tr.enqueued), map[bool]string{true: "recorded", false: "enqueued"}[c.durable])
			}
			if _, err := json.Marshal(got[0]); err != nil {
				t.Fatal(err)
			}
			c.check(t, got[0], p)
		})
	}
}

func TestAuditorRefusesWhatItCannotWrite(t *testing.T) {
	t.Parallel()
	a, tr, _ := newAuditor(t)
	if err := a.Record(context.Background(), identity.Event{Action: "user.teleport"}); !errors.Is(err, auditor.ErrUnknownAction) {
		t.Errorf("an action outside the catalogue: %v", err)
	}
	e := event.Event{}
	e.Event.Action = "nope"
	if err := a.Write(context.Background(), &e); !errors.Is(err, auditor.ErrUnknownAction) {
		t.Errorf("Write of an unknown action: %v", err)
	}
	if len(tr.recorded)+len(tr.enqueued) != 0 {
		t.Error("something was written")
	}
	down := errors.New("disk full")
	tr.err = down
	if err := a.Record(scoped(), identity.Event{Action: identity.AuditKeyRotate, Outcome: "success", ActorID: "a", Durable: true}); !errors.Is(err, down) {
		t.Errorf("a failed write is the caller's error: %v", err)
	}
	q := a.Start(scoped(), event.AuditQuery, event.Success)
	if err := a.Write(context.Background(), &q); !errors.Is(err, down) {
		t.Errorf("a failed enqueue is the caller's error: %v", err)
	}
}
