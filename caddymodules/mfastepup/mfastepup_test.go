package mfastepup_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/portcullis/portcullis/caddymodules/mfastepup"
	"github.com/portcullis/portcullis/internal/principal"
)

var nextOK = caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
	w.WriteHeader(http.StatusNoContent)
	return nil
})

func serve(t testing.TB, m *mfastepup.MFAStepUp, p *principal.Principal) *httptest.ResponseRecorder {
	t.Helper()
	if err := m.Provision(caddy.Context{}); err != nil {
		t.Fatal(err)
	}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodDelete, "/api/admin/users/1", nil)
	if p != nil {
		r = r.WithContext(principal.WithPrincipal(r.Context(), p))
	}
	w := httptest.NewRecorder()
	if err := m.ServeHTTP(w, r, nextOK); err != nil {
		t.Fatal(err)
	}
	return w
}

func TestServeHTTP(t *testing.T) {
	t.Parallel()
	recent := time.Now().Add(-time.Minute)
	old := time.Now().Add(-time.Hour)
	cases := []struct {
		name       string
		cfg        mfastepup.MFAStepUp
		p          *principal.Principal
		wantStatus int
		wantHeader string
	}{
		{"recent otp passes", mfastepup.MFAStepUp{}, &principal.Principal{AMR: []string{"pwd", "otp"}, AuthTime: recent}, 204, ""},
		{"password only gets the step-up challenge", mfastepup.MFAStepUp{}, &principal.Principal{AMR: []string{"pwd"}, AuthTime: recent}, 401,
			`Bearer realm="portcullis", error="insufficient_user_authentication", error_description="A different authentication level is required", max_age="900"`},
		{"old otp gets the recency challenge", mfastepup.MFAStepUp{}, &principal.Principal{AMR: []string{"otp"}, AuthTime: old}, 401,
			`Bearer realm="portcullis", error="insufficient_user_authentication", error_description="More recent authentication is required", max_age="900"`},
		{"acr requirement names acceptable acr_values", mfastepup.MFAStepUp{ACR: "urn:portcullis:acr:phr", MaxAge: caddy.Duration(5 * time.Minute)},
			&principal.Principal{ACR: "urn:portcullis:acr:mfa", AuthTime: recent}, 401,
			`Bearer realm="portcullis", error="insufficient_user_authentication", error_description="A different authentication level is required", acr_values="urn:portcullis:acr:phr", max_age="300"`},
		{"disabled max_age accepts old otp", mfastepup.MFAStepUp{MaxAge: -1}, &principal.Principal{AMR: []string{"otp"}, AuthTime: old}, 204, ""},
		{"no principal fails closed", mfastepup.MFAStepUp{}, nil, 401, `Bearer realm="portcullis"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cfg := c.cfg
			cfg.StepUpURL = "https://id.example.com/step-up"
			w := serve(t, &cfg, c.p)
			if w.Code != c.wantStatus {
				t.Fatalf("status = %d, want %d", w.Code, c.wantStatus)
			}
			if got := w.Header().Get("WWW-Authenticate"); got != c.wantHeader {
				t.Fatalf("WWW-Authenticate =\n%s\nwant\n%s", got, c.wantHeader)
			}
			if c.wantStatus != 401 {
				return
			}
			var body struct {
				Error   string         `json:"error"`
				Details map[string]any `json:"details"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("body is not JSON: %v: %s", err, w.Body)
			}
			if c.p != nil && (body.Error != "insufficient_user_authentication" || body.Details["step_up_url"] != "https://id.example.com/step-up") {
				t.Fatalf("body = %s", w.Body)
			}
		})
	}
}

func TestUnmarshalCaddyfile(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		input   string
		wantErr string
	}{
		{"defaults", "mfa_stepup", ""},
		{"full block", "mfa_stepup {\n methods otp hwk\n acr urn:portcullis:acr:mfa\n max_age 10m\n step_up_url https://id.example.com/s\n}", ""},
		{"max_age 0 disables recency", "mfa_stepup {\n max_age 0\n}", ""},
		{"unknown option", "mfa_stepup {\n maxage 10m\n}", `unrecognized option "maxage"`},
		{"negative max_age", "mfa_stepup {\n max_age -5m\n}", "not a non-negative duration"},
		{"acr outside the ladder", "mfa_stepup {\n acr gold\n}", `acr "gold" is not one of the levels`},
		{"relative step_up_url", "mfa_stepup {\n step_up_url /step-up\n}", "not an absolute URL"},
		{"inline argument", "mfa_stepup 15m", "unexpected argument"},
		{"empty methods", "mfa_stepup {\n methods\n}", "at least one amr"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var m mfastepup.MFAStepUp
			err := m.UnmarshalCaddyfile(caddyfile.NewTestDispenser(c.input))
			if c.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("error = %v, want it to contain %q", err, c.wantErr)
			}
		})
	}
}

func FuzzUnmarshalCaddyfile(f *testing.F) {
	f.Add("mfa_stepup {\n methods otp hwk\n acr urn:portcullis:acr:mfa\n max_age 10m\n step_up_url https://id.example.com/s\n}")
	f.Add("mfa_stepup {\n max_age 0\n}")
	f.Add("mfa_stepup {\n acr_levels a b c\n acr b\n}")
	f.Fuzz(func(t *testing.T, input string) {
		var m mfastepup.MFAStepUp
		if err := m.UnmarshalCaddyfile(caddyfile.NewTestDispenser(input)); err != nil {
			return
		}
		// Whatever parsed must be a valid, provisionable configuration.
		if err := m.Provision(caddy.Context{}); err != nil {
			t.Fatalf("parsed config does not provision: %v", err)
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("parsed config does not validate: %v", err)
		}
	})
}

func BenchmarkServeHTTP(b *testing.B) {
	m := &mfastepup.MFAStepUp{}
	_ = m.Provision(caddy.Context{})
	p := &principal.Principal{AMR: []string{"otp"}, AuthTime: time.Now()}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r = r.WithContext(principal.WithPrincipal(r.Context(), p))
	w := httptest.NewRecorder()
	for b.Loop() {
		_ = m.ServeHTTP(w, r, nextOK)
	}
}
