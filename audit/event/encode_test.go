package event_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/portcullis/portcullis/audit/event"
	"github.com/portcullis/portcullis/internal/clock"
)

// sameAsMarshal fails t unless AppendJSON writes exactly json.Marshal's bytes
// (or both fail), also when appending to a non-empty buffer.
func sameAsMarshal(t *testing.T, e *event.Event) {
	t.Helper()
	want, werr := json.Marshal(e)
	prefix := []byte("prefix")
	got, gerr := e.AppendJSON(append([]byte(nil), prefix...))
	if (werr != nil) != (gerr != nil) {
		t.Fatalf("json.Marshal error %v, AppendJSON error %v", werr, gerr)
	}
	if werr != nil {
		if !bytes.Equal(got, prefix) {
			t.Fatalf("failed AppendJSON changed dst: %q", got)
		}
		return
	}
	if !bytes.HasPrefix(got, prefix) || !bytes.Equal(got[len(prefix):], want) {
		t.Fatalf("AppendJSON differs from json.Marshal\n got: %s\nwant: %s", got[min(len(prefix), len(got)):], want)
	}
}

func TestAppendJSONMatchesMarshal(t *testing.T) {
	t.Parallel()
	full := func(t *testing.T) *event.Event { e := sample(t); return &e }
	cases := []struct {
		name string
		edit func(*event.Event)
	}{
		{"full event", func(*event.Event) {}},
		{"minimal event: optional sets omitted", func(e *event.Event) {
			e.User, e.Source, e.HTTP, e.URL, e.Portcullis = nil, nil, nil, nil, nil
		}},
		{"zero event: nil slices are null, zero time", func(e *event.Event) { *e = event.Event{} }},
		{"empty slices are [] when not omitempty, omitted when omitempty", func(e *event.Event) {
			e.Event.Category, e.Event.Type = []string{}, []string{}
			e.User.Roles = []string{}
			e.Portcullis.PolicyIDs = []string{}
		}},
		{"empty sets are {}", func(e *event.Event) {
			e.User, e.Source, e.HTTP, e.URL = &event.User{}, &event.Source{}, &event.HTTP{}, &event.URL{}
			e.Portcullis = &event.Product{RateLimit: &event.RateLimit{}, MFA: &event.MFA{}, Resource: &event.Resource{}}
		}},
		{"http request without response, response without body", func(e *event.Event) {
			e.HTTP = &event.HTTP{Request: &event.HTTPRequest{}, Response: &event.HTTPResponse{StatusCode: 500}}
		}},
		{"zero body bytes are written", func(e *event.Event) {
			e.HTTP.Response.Body.Bytes = 0
			e.HTTP.Response.StatusCode = 0
		}},
		{"negative numbers", func(e *event.Event) {
			e.Event.Duration = -1
			e.Portcullis.RateLimit = &event.RateLimit{Limit: -9223372036854775808, Remaining: -3, RetryAfterMS: -4}
			e.HTTP.Response.StatusCode = -200
		}},
		{"empty and nil details are omitted", func(e *event.Event) { e.Portcullis.Details = map[string]string{} }},
		{"details sorted by byte order", func(e *event.Event) {
			e.Portcullis.Details = map[string]string{"b": "1", "B": "2", "a": "3", "": "4", "é": "5", "aa": "6", "a<": "7"}
		}},
		{"many details", func(e *event.Event) {
			e.Portcullis.Details = map[string]string{}
			for _, k := range []string{"q", "w", "e", "r", "t", "y", "u", "i", "o", "p", "a", "s", "d", "f", "g", "h", "j", "k", "l", "z"} {
				e.Portcullis.Details[k] = k + k
			}
		}},
		{"html characters escaped", func(e *event.Event) {
			e.Event.Reason = `<script>alert("x") & 'y'</script>`
			e.URL.Path = "/a?b=<c>&d"
		}},
		{"control characters", func(e *event.Event) {
			e.Event.Reason = "\x00\x01\b\f\n\r\t\x0b\x1f\x7f \\ \" /"
		}},
		{"unicode, line separators, invalid utf-8", func(e *event.Event) {
			e.Event.Reason = "é 日本 😀 \u2028 \u2029 \u2027 \u202a \xff \xc3 \xe2\x80 \xed\xa0\x80 end"
			e.User.Name = "\xe2\x80\xa8\xe2\x80\xa9"
			e.Portcullis.Details = map[string]string{"\u2028k\xff": "v\u2029"}
		}},
		{"custom outcome and kind", func(e *event.Event) { e.Event.Outcome = "odd\"one"; e.Event.Kind = "" }},
		{"bools", func(e *event.Event) { e.Portcullis.MFA.Verified = false }},
		{"timestamp in UTC without fraction", func(e *event.Event) { e.Timestamp = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }},
		{"timestamp with trailing zeros in fraction", func(e *event.Event) {
			e.Timestamp = time.Date(2026, 1, 2, 3, 4, 5, 120000000, time.UTC)
		}},
		{"timestamp with a negative offset", func(e *event.Event) {
			e.Timestamp = time.Date(2026, 1, 2, 3, 4, 5, 1, time.FixedZone("X", -(5*3600+30*60)))
		}},
		{"timestamp with monotonic reading", func(e *event.Event) { e.Timestamp = time.Now() }},
		{"timestamp year 0 and 9999", func(e *event.Event) { e.Timestamp = time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC) }},
		{"timestamp year 10000 fails", func(e *event.Event) { e.Timestamp = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }},
		{"timestamp negative year fails", func(e *event.Event) { e.Timestamp = time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC) }},
		{"timestamp offset of 24h fails", func(e *event.Event) { e.Timestamp = time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("Y", 24*3600)) }},
		{"timestamp with seconds in offset", func(e *event.Event) { e.Timestamp = time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("Z", 3600+17)) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := full(t)
			tc.edit(e)
			sameAsMarshal(t, e)
		})
	}
}

func TestAppendJSONOfCatalogueEvents(t *testing.T) {
	t.Parallel()
	for _, a := range event.Actions() {
		for _, o := range []event.Outcome{event.Success, event.Failure, event.Unknown} {
			e := event.New(a, o, clock.NewManual(t0))
			sameAsMarshal(t, &e)
		}
	}
}

// FuzzAppendJSON checks AppendJSON against json.Marshal on events whose
// strings, numbers, time and present field sets come from the fuzzer.
func FuzzAppendJSON(f *testing.F) {
	f.Add("p1:abc", "203.0.113.0", "/api/x", "reason", "k", "v", int64(1), int64(200), int64(1764322215123456789), int32(0), uint16(0xffff))
	f.Add("<&>", "\u2028\u2029", "\xff\xfe", "\x00\n\t\"\\", "", "", int64(-1), int64(0), int64(0), int32(-3600), uint16(0))
	f.Add("日本", "😀", "\xed\xa0\x80", "a\u007fb", "\u2028", "<", int64(0), int64(-5), int64(-62135596800000000), int32(86399), uint16(0x5555))
	f.Add("", "", "", "", "", "", int64(0), int64(0), int64(253402300800000000), int32(1), uint16(0xaaaa))
	f.Fuzz(func(t *testing.T, s1, s2, s3, s4, k, v string, n1, n2, unixNano int64, offset int32, present uint16) {
		has := func(bit int) bool { return present&(1<<bit) != 0 }
		ts := time.Unix(unixNano/1e9, unixNano%1e9)
		if has(13) {
			ts = ts.In(time.FixedZone("F", int(offset)))
		} else {
			ts = ts.UTC()
		}
		e := &event.Event{
			Timestamp: ts,
			ECS:       event.ECS{Version: s4},
			Event: event.Fields{
				ID: s1, Code: s2, Kind: s3, Action: s4, Outcome: event.Outcome(s1),
				Reason: s3, Duration: n1,
			},
		}
		if has(0) {
			e.Event.Category = []string{s1, s2}
			e.Event.Type = []string{}
		}
		if has(1) {
			e.User = &event.User{ID: s2, Name: s3}
			if has(2) {
				e.User.Roles = []string{s4, k}
			}
		}
		if has(3) {
			e.Source = &event.Source{IP: s1, Address: v}
		}
		if has(4) {
			e.HTTP = &event.HTTP{}
			if has(5) {
				e.HTTP.Request = &event.HTTPRequest{Method: s2}
			}
			if has(6) {
				e.HTTP.Response = &event.HTTPResponse{StatusCode: int(n2)}
				if has(7) {
					e.HTTP.Response.Body = &event.HTTPBody{Bytes: n1}
				}
			}
		}
		if has(8) {
			e.URL = &event.URL{Path: s3}
		}
		if has(9) {
			e.Portcullis = &event.Product{
				RequestID: s1, SessionID: s2, TokenID: s3, DecisionID: s4,
				SourceIPHash: k, Personal: v,
			}
			if has(10) {
				e.Portcullis.PolicyIDs = []string{v}
				e.Portcullis.RateLimit = &event.RateLimit{Zone: k, Limit: n1, Remaining: n2, RetryAfterMS: n1 ^ n2}
			}
			if has(11) {
				e.Portcullis.MFA = &event.MFA{Method: s4, Verified: has(14)}
				e.Portcullis.Resource = &event.Resource{Type: k, ID: v}
			}
			if has(12) {
				e.Portcullis.Details = map[string]string{k: v, s1: s2, s3: s4}
			}
		}
		sameAsMarshal(t, e)
	})
}

func benchEvent() *event.Event {
	e := event.New(event.GatewayRequest, event.Success, clock.NewManual(t0))
	e.Event.Duration = 1_234_567
	e.User = &event.User{ID: "k1:Zm9vYmFyYmF6cXV4cXV1eHh4eHh4eHh4eHh4eHh4eHg", Roles: []string{"Developer"}}
	e.Source = &event.Source{IP: "203.0.113.0"}
	e.HTTP = &event.HTTP{
		Request:  &event.HTTPRequest{Method: "GET"},
		Response: &event.HTTPResponse{StatusCode: 200, Body: &event.HTTPBody{Bytes: 5120}},
	}
	e.URL = &event.URL{Path: "/api/teams/platform/projects/1"}
	e.Portcullis = &event.Product{
		RequestID: "01JC8Q2W3E4R5T6Y7U8I9O0PAS", SessionID: "sess-4f1c2a", DecisionID: "dec-77aa01",
		PolicyIDs:    []string{"policy0", "policy3"},
		SourceIPHash: "k1:Zm9vYmFyYmF6cXV4cXV1eHh4eHh4eHh4eHh4eHh4eHg",
		RateLimit:    &event.RateLimit{Zone: "per-user", Limit: 600, Remaining: 598},
		MFA:          &event.MFA{Method: "otp", Verified: true},
	}
	return &e
}

// BenchmarkEncode compares AppendJSON with json.Marshal on a gateway request.
func BenchmarkEncode(b *testing.B) {
	e := benchEvent()
	b.Run("AppendJSON", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			var err error
			if buf, err = e.AppendJSON(buf[:0]); err != nil {
				b.Fatal(err)
			}
		}
		b.SetBytes(int64(len(buf)))
	})
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		var n int
		for b.Loop() {
			buf, err := json.Marshal(e)
			if err != nil {
				b.Fatal(err)
			}
			n = len(buf)
		}
		b.SetBytes(int64(n))
	})
}
