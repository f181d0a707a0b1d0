package audit_test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/portcullis/portcullis/caddymodules/audit"
)

var uuidV7 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestClientRequestIDIsKeptOnlyWhenSafe(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		sent []string
		keep bool
	}{
		{"a plain id is kept", []string{"req-42.a_b:c"}, true},
		{"128 characters are kept", []string{strings.Repeat("a", 128)}, true},
		{"129 characters are replaced", []string{strings.Repeat("a", 129)}, false},
		{"a space is replaced", []string{"a b"}, false},
		{"a log-forging newline is replaced", []string{"x\n{\"forged\":1}"}, false},
		{"quotes are replaced", []string{`"x"`}, false},
		{"non-ASCII is replaced", []string{"idé"}, false},
		{"an empty id is replaced", []string{""}, false},
		{"no header gets a new id", nil, false},
		{"several headers: the first safe one wins and the others are dropped", []string{"first", "second"}, true},
	}
	sink := &fakeSink{}
	h := audit.NewForTest(sink, false)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/x", nil)
			if c.sent != nil {
				req.Header[audit.RequestIDHeader] = c.sent
			}
			var upstream []string
			rec, err := serve(t, h, req, caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
				upstream = r.Header.Values(audit.RequestIDHeader)
				w.WriteHeader(http.StatusNoContent)
				return nil
			}))
			if err != nil {
				t.Fatal(err)
			}
			if len(upstream) != 1 {
				t.Fatalf("upstream saw %q, want exactly one id", upstream)
			}
			id := upstream[0]
			if c.keep && id != c.sent[0] {
				t.Fatalf("id %q, want the client's %q kept", id, c.sent[0])
			}
			if !c.keep && !uuidV7.MatchString(id) {
				t.Fatalf("id %q, want a fresh UUIDv7", id)
			}
			if rec.Header().Get(audit.RequestIDHeader) != id {
				t.Fatalf("response id %q, upstream %q", rec.Header().Get(audit.RequestIDHeader), id)
			}
			evs := sink.taken()
			if len(evs) != 1 || evs[0].Portcullis.RequestID != id || evs[0].HTTP.Response.StatusCode != 204 {
				t.Fatalf("events %d, %+v", len(evs), evs)
			}
		})
	}
}

func TestNewRequestIDsAreUUIDv7AndDistinct(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 11, 10, 0, 0, 0, time.UTC)
	a, b := audit.NewRequestID(now), audit.NewRequestID(now)
	if !uuidV7.MatchString(a) || a == b || !audit.ValidRequestID(a) {
		t.Fatalf("ids %q %q", a, b)
	}
	if later := audit.NewRequestID(now.Add(time.Second)); later <= a {
		t.Fatalf("ids do not sort by time: %q then %q", a, later)
	}
}

// FuzzValidRequestID: whatever a client sends, an id that is kept holds only
// the safe characters, so it can go into a header, a log line and the trail.
func FuzzValidRequestID(f *testing.F) {
	for _, s := range []string{"abc", "req-1:2.3_4", "", "a b", "x\r\ny", strings.Repeat("z", 129), "ü", "\x00"} {
		f.Add(s)
	}
	safe := regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)
	f.Fuzz(func(t *testing.T, s string) {
		if audit.ValidRequestID(s) != safe.MatchString(s) {
			t.Fatalf("ValidRequestID(%q) = %v, the pattern says %v", s, audit.ValidRequestID(s), safe.MatchString(s))
		}
	})
}
