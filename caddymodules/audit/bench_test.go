package audit_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/portcullis/portcullis/audit/event"
	"github.com/portcullis/portcullis/audit/pseudo"
	"github.com/portcullis/portcullis/audit/trail"
	"github.com/portcullis/portcullis/caddymodules/audit"
	"github.com/portcullis/portcullis/caddymodules/security"
	"github.com/portcullis/portcullis/internal/clock"
)

// openBenchTrail opens a real trail on a temporary directory.
func openBenchTrail(b *testing.B) *trail.Trail {
	b.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	p, err := pseudo.New(pseudo.Config{Keys: []pseudo.Key{{ID: "k1", Secret: secret}}})
	if err != nil {
		b.Fatal(err)
	}
	tr, err := trail.Open(trail.Config{Root: b.TempDir(), Writer: "gateway-bench", Signer: priv, KeyID: "bench",
		Pseudonymizer: p, QueueSize: 1 << 20, FailOpen: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = tr.Close() })
	return tr
}

// discard is a sink that keeps nothing: the handler's own cost.
type discard struct{}

func (discard) Enqueue(*event.Event) error                 { return nil }
func (discard) Record(context.Context, *event.Event) error { return nil }
func (discard) Reserve() error                             { return nil }
func (discard) EnqueueReserved(*event.Event) error         { return nil }
func (discard) Unreserve()                                 {}

// BenchmarkAuditHandler is what the audit handler adds to one request:
// request id, report, counting writer, the event, and Enqueue.
func BenchmarkAuditHandler(b *testing.B) {
	next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
	for _, c := range []struct {
		name string
		sink func(*testing.B) security.AuditSink
	}{
		{"discard", func(*testing.B) security.AuditSink { return discard{} }},
		{"trail", func(b *testing.B) security.AuditSink { return openBenchTrail(b) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			h := audit.NewForTest(c.sink(b), true)
			req := httptest.NewRequest("GET", "/api/teams/platform/projects/1", nil)
			req.RemoteAddr = "192.0.2.7:50000"
			req = caddyhttp.PrepareRequest(req, caddy.NewReplacer(), nil, nil)
			w := httptest.NewRecorder()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if err := h.ServeHTTP(w, req, next); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkTrailEnqueue is the Enqueue part alone, on the request path's
// goroutine, with events built beforehand. Target: ≤ 2 µs.
func BenchmarkTrailEnqueue(b *testing.B) {
	tr := openBenchTrail(b)
	evs := make([]*event.Event, b.N)
	for i := range evs {
		e := event.New(event.GatewayRequest, event.Success, clock.System)
		e.Source = &event.Source{IP: "192.0.2.7"}
		e.User = &event.User{ID: "alice", Roles: []string{"Developer"}}
		evs[i] = &e
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if err := tr.Enqueue(evs[i]); err != nil {
			b.Fatal(err)
		}
	}
}
