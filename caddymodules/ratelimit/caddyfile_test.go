package ratelimit_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/portcullis/portcullis/caddymodules/ratelimit"
)

func TestUnmarshalCaddyfile(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		input   string
		want    ratelimit.RateLimit
		wantErr string
	}{
		{name: "a bare rate_limit leaves the default zone to Provision", input: "rate_limit", want: ratelimit.RateLimit{}},
		{
			name: "zones keep their order and settings",
			input: `rate_limit {
				key_prefix gw1:
				redis_timeout 50ms
				zone per_ip {
					key {http.request.remote.host}
					events 100
					window 1m
				}
				zone per_key {
					key {http.request.header.X-Api-Key}
					events 1000
					window 1h
					burst 50
					max_keys 5000
				}
			}`,
			want: ratelimit.RateLimit{KeyPrefix: "gw1:", RedisTimeout: caddy.Duration(50 * time.Millisecond), Zones: []*ratelimit.Zone{
				{Name: "per_ip", Key: "{http.request.remote.host}", Events: 100, Window: caddy.Duration(time.Minute)},
				{Name: "per_key", Key: "{http.request.header.X-Api-Key}", Events: 1000, Window: caddy.Duration(time.Hour), Burst: 50, MaxKeys: 5000},
			}},
		},
		{name: "a zone without a block takes the defaults", input: "rate_limit {\n zone z\n}", want: ratelimit.RateLimit{Zones: []*ratelimit.Zone{{Name: "z"}}}},
		{name: "an argument on the directive is refused", input: "rate_limit 100", wantErr: `unexpected argument "100"`},
		{name: "a zone needs a name", input: "rate_limit {\n zone {\n events 1\n }\n}", wantErr: "zone needs a name"},
		{name: "a zone name must be plain", input: "rate_limit {\n zone \"a b\"\n}", wantErr: `zone name "a b"`},
		{name: "a zone declared twice is refused", input: "rate_limit {\n zone a\n zone a\n}", wantErr: "zone a is declared twice"},
		{name: "negative events are refused", input: "rate_limit {\n zone a {\n events -5\n }\n}", wantErr: `events must be a positive integer, got "-5"`},
		{name: "non-numeric burst is refused", input: "rate_limit {\n zone a {\n burst lots\n }\n}", wantErr: `burst must be a positive integer, got "lots"`},
		{name: "a bad window is refused", input: "rate_limit {\n zone a {\n window soon\n }\n}", wantErr: `window "soon" is not a positive duration`},
		{name: "an impossible rate is refused", input: "rate_limit {\n zone a {\n events 5000\n window 1ms\n }\n}", wantErr: "rate too high"},
		{name: "an unknown zone option is refused", input: "rate_limit {\n zone a {\n limit 5\n }\n}", wantErr: `unrecognized option "limit"`},
		{name: "an unknown option is refused", input: "rate_limit {\n zones a\n}", wantErr: `unrecognized option "zones"`},
		{name: "key takes one value", input: "rate_limit {\n zone a {\n key\n }\n}", wantErr: "key takes exactly one placeholder"},
		{name: "a bad redis_timeout is refused", input: "rate_limit {\n redis_timeout -1s\n}", wantErr: "redis_timeout"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var got ratelimit.RateLimit
			err := got.UnmarshalCaddyfile(caddyfile.NewTestDispenser(c.input))
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error = %v, want %q", err, c.wantErr)
				}
				if !strings.Contains(err.Error(), "Testfile:") {
					t.Fatalf("error %q does not name the file and line", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(c.want)
			if string(g) != string(w) {
				t.Fatalf("got %s\nwant %s", g, w)
			}
		})
	}
}

// FuzzUnmarshalCaddyfile: any input is parsed without panicking, and what
// parses re-encodes to JSON.
func FuzzUnmarshalCaddyfile(f *testing.F) {
	for _, seed := range []string{
		"rate_limit",
		"rate_limit {\n zone per_ip {\n key {remote_host}\n events 100\n window 1m\n }\n}",
		"rate_limit {\n key_prefix x:\n redis_timeout 50ms\n zone a {\n burst 3\n max_keys 10\n }\n zone b\n}",
		"rate_limit {\n zone a {\n events -5\n }\n}",
		"rate_limit {\n zone {\n }\n}",
		"rate_limit {\n zone a {\n window 0s\n }\n}",
		"rate_limit 1 2 3",
		"rate_limit {\n zone a b c\n}",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, input string) {
		var h ratelimit.RateLimit
		if err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(input)); err != nil {
			return
		}
		if _, err := json.Marshal(h); err != nil {
			t.Fatalf("parsed config does not encode: %v", err)
		}
	})
}
