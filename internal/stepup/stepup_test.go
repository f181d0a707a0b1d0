package stepup_test

import (
	"testing"
	"time"

	"github.com/portcullis/portcullis/internal/principal"
	"github.com/portcullis/portcullis/internal/stepup"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	mfa := stepup.Requirement{Methods: []string{"otp", "hwk"}, MaxAge: 15 * time.Minute}
	acr := stepup.Requirement{MinACR: "urn:portcullis:acr:mfa", ACRLevels: stepup.DefaultACRLevels, MaxAge: 5 * time.Minute}
	user := func(amr []string, acr string, authAge time.Duration) *principal.Principal {
		p := &principal.Principal{Subject: "alice", AMR: amr, ACR: acr}
		if authAge >= 0 {
			p.AuthTime = now.Add(-authAge)
		}
		return p
	}
	cases := []struct {
		name string
		req  stepup.Requirement
		p    *principal.Principal
		want stepup.Outcome
	}{
		{"password only is refused", mfa, user([]string{"pwd"}, "", 0), stepup.MissingMFA},
		{"no amr at all is refused", mfa, user(nil, "", 0), stepup.MissingMFA},
		{"otp within max_age passes", mfa, user([]string{"pwd", "otp"}, "", time.Minute), stepup.Satisfied},
		{"hardware key within max_age passes", mfa, user([]string{"hwk"}, "", 0), stepup.Satisfied},
		{"otp exactly at max_age passes", mfa, user([]string{"otp"}, "", 15*time.Minute), stepup.Satisfied},
		{"otp older than max_age is refused", mfa, user([]string{"otp"}, "", 15*time.Minute+time.Second), stepup.StaleAuth},
		{"otp without auth_time is refused when max_age is set", mfa, user([]string{"otp"}, "", -1), stepup.MissingAuthTime},
		{"an amr not in the list does not count", mfa, user([]string{"sms"}, "", 0), stepup.MissingMFA},
		{"acr at the minimum level passes", acr, user(nil, "urn:portcullis:acr:mfa", 0), stepup.Satisfied},
		{"acr above the minimum level passes", acr, user(nil, "urn:portcullis:acr:phr", 0), stepup.Satisfied},
		{"acr below the minimum level is refused", acr, user(nil, "urn:portcullis:acr:pwd", 0), stepup.MissingMFA},
		{"an unknown acr is refused", acr, user(nil, "urn:other:gold", 0), stepup.MissingMFA},
		{"strong acr but stale is refused", acr, user(nil, "urn:portcullis:acr:phr", 6*time.Minute), stepup.StaleAuth},
		{"no principal fails closed", mfa, nil, stepup.MissingPrincipal},
		{"no max_age ignores auth_time", stepup.Requirement{Methods: []string{"otp"}}, user([]string{"otp"}, "", -1), stepup.Satisfied},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := c.req.Check(c.p, now); got != c.want {
				t.Fatalf("Check = %s, want %s", got, c.want)
			}
		})
	}
}

func TestChallengeFollowsRFC9470(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		req  stepup.Requirement
		o    stepup.Outcome
		want string
	}{
		{
			"acr and max_age",
			stepup.Requirement{MinACR: "urn:portcullis:acr:mfa", ACRLevels: stepup.DefaultACRLevels, MaxAge: 15 * time.Minute},
			stepup.MissingMFA,
			`Bearer realm="portcullis", error="insufficient_user_authentication", error_description="A different authentication level is required", acr_values="urn:portcullis:acr:mfa urn:portcullis:acr:phr", max_age="900"`,
		},
		{
			"max_age only",
			stepup.Requirement{Methods: []string{"otp"}, MaxAge: 5 * time.Second},
			stepup.StaleAuth,
			`Bearer realm="portcullis", error="insufficient_user_authentication", error_description="More recent authentication is required", max_age="5"`,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := c.req.Challenge(c.o); got != c.want {
				t.Fatalf("Challenge =\n%s\nwant\n%s", got, c.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		req  stepup.Requirement
		ok   bool
	}{
		{"methods only is valid", stepup.Requirement{Methods: []string{"otp"}}, true},
		{"acr in ladder is valid", stepup.Requirement{MinACR: "urn:portcullis:acr:mfa", ACRLevels: stepup.DefaultACRLevels}, true},
		{"nothing that could satisfy is invalid", stepup.Requirement{}, false},
		{"acr outside the ladder is invalid", stepup.Requirement{MinACR: "gold", ACRLevels: stepup.DefaultACRLevels}, false},
		{"negative max_age is invalid", stepup.Requirement{Methods: []string{"otp"}, MaxAge: -1}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if err := c.req.Validate(); (err == nil) != c.ok {
				t.Fatalf("Validate = %v, want ok=%v", err, c.ok)
			}
		})
	}
}

func BenchmarkCheck(b *testing.B) {
	now := time.Now()
	req := stepup.Requirement{Methods: stepup.DefaultMethods, MaxAge: 15 * time.Minute}
	p := &principal.Principal{AMR: []string{"pwd", "otp"}, AuthTime: now}
	for b.Loop() {
		if req.Check(p, now) != stepup.Satisfied {
			b.Fatal("unexpected")
		}
	}
}
