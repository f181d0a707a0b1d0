package trail

import (
	"bytes"
	"testing"

	"github.com/portcullis/portcullis/audit/event"
	"github.com/portcullis/portcullis/audit/pseudo"
	"github.com/portcullis/portcullis/internal/clock"
)

// BenchmarkPrepare is the writer's CPU per queued event: pseudonymise and
// encode (no sealing), the part that encode fans out over the CPUs.
func BenchmarkPrepare(b *testing.B) {
	p, err := pseudo.New(pseudo.Config{Keys: []pseudo.Key{{ID: "k1", Secret: bytes.Repeat([]byte{1}, 32)}}})
	if err != nil {
		b.Fatal(err)
	}
	t := &Trail{cfg: Config{Pseudonymizer: p}}
	a := catalogue()[event.GatewayRequest.Name].action
	b.ReportAllocs()
	for b.Loop() {
		e := event.New(event.GatewayRequest, event.Success, clock.System)
		e.User = &event.User{ID: "alice@example.com", Roles: []string{"Developer"}}
		e.Source = &event.Source{IP: "203.0.113.7"}
		e.HTTP = &event.HTTP{Request: &event.HTTPRequest{Method: "GET"}, Response: &event.HTTPResponse{StatusCode: 200, Body: &event.HTTPBody{Bytes: 10}}}
		e.URL = &event.URL{Path: "/api/teams/platform/projects/1"}
		e.Portcullis = &event.Product{RequestID: "01JC8Q2W3E4R5T6Y7U8I9O0PAS", PolicyIDs: []string{"policy0"}}
		if _, err := t.prepare(&e, a, true); err != nil {
			b.Fatal(err)
		}
	}
}
