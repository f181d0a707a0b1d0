package api

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/audit/pseudo"
)

// FuzzParseAuditQuery feeds arbitrary query strings to the audit filter
// parsing of /v1/audit/events and /export: it never panics, a refusal is
// always a 400 naming a parameter, and what it accepts never records a raw
// actor_user or full address in the audited summary.
func FuzzParseAuditQuery(f *testing.F) {
	p, err := pseudo.New(pseudo.Config{Keys: []pseudo.Key{{ID: "p1", Secret: []byte(strings.Repeat("k", 32))}}})
	if err != nil {
		f.Fatal(err)
	}
	a := &API{opts: Options{Audit: &Audit{Pseudonymizer: p}}}
	for _, s := range []string{
		"", "action=auth.login&outcome=success", "actor_user=u1&actor_user=u2", "source=192.0.2.7&source=192.0.2.0",
		"source=2001:db8::1", "from=2024-01-01T00:00:00Z&to=2024-01-02T00:00:00Z", "limit=1000&cursor=abc",
		"q=%00%ff", "action=a,b,,c", "actor_user=", "colour=red", "format=csv&request_id=gw:1", "source=::ffff:10.0.0.1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		got, err := a.parseAuditQuery(q)
		if err != nil {
			var ae *apiError
			if !errors.As(err, &ae) || ae.body.Status != http.StatusBadRequest || ae.body.Message == "" {
				t.Fatalf("%q: refused with %v, want a 400 with a message", raw, err)
			}
			return
		}
		others := map[string]bool{}
		for k, vs := range q {
			for _, v := range vs {
				others[v] = others[v] || k != "actor_user"
			}
		}
		for _, u := range q["actor_user"] {
			for _, v := range got.summary {
				if len(u) >= 12 && !others[u] && strings.Contains(v, u) {
					t.Fatalf("%q: the summary holds the raw user id %q", raw, u)
				}
			}
		}
	})
}
