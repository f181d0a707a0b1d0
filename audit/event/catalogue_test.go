package event_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/audit/event"
)

// The ECS 8.11 allowed values
// (https://www.elastic.co/guide/en/ecs/8.11/ecs-allowed-values-event-category.html
// and ...-event-type.html).
var (
	ecsCategories = []string{
		"authentication", "configuration", "database", "driver", "email", "file",
		"host", "iam", "intrusion_detection", "library", "malware", "network",
		"package", "process", "registry", "session", "threat", "vulnerability", "web",
	}
	ecsTypes = []string{
		"access", "admin", "allowed", "change", "connection", "creation", "deletion",
		"denied", "end", "error", "group", "indicator", "info", "installation",
		"protocol", "start", "user",
	}
	ecsKinds = []string{
		"alert", "asset", "enrichment", "event", "metric", "state", "pipeline_error", "signal",
	}
)

func TestCatalogueHasAtLeastFortyActions(t *testing.T) {
	t.Parallel()
	if n := len(event.Actions()); n < 40 {
		t.Fatalf("catalogue has %d actions, want at least 40", n)
	}
}

func TestCatalogueNamesAndCodesAreUnique(t *testing.T) {
	t.Parallel()
	names := map[string]bool{}
	codes := map[int]string{}
	for _, a := range event.Actions() {
		if names[a.Name] {
			t.Errorf("name %q appears twice", a.Name)
		}
		names[a.Name] = true
		if a.SuccessCode == a.FailureCode {
			t.Errorf("%s: success and failure share code %d", a.Name, a.SuccessCode)
		}
		for _, c := range []int{a.SuccessCode, a.FailureCode} {
			if c <= 0 {
				t.Errorf("%s: code %d is not positive", a.Name, c)
			}
			if other, dup := codes[c]; dup {
				t.Errorf("code %d used by both %s and %s", c, other, a.Name)
			}
			codes[c] = a.Name
		}
	}
}

func TestCatalogueUsesOnlyECSAllowedValues(t *testing.T) {
	t.Parallel()
	for _, a := range event.Actions() {
		if len(a.Category) == 0 || len(a.Type) == 0 {
			t.Errorf("%s: empty category or type", a.Name)
		}
		for _, c := range a.Category {
			if !slices.Contains(ecsCategories, c) {
				t.Errorf("%s: %q is not an ECS event.category", a.Name, c)
			}
		}
		for _, ty := range a.Type {
			if !slices.Contains(ecsTypes, ty) {
				t.Errorf("%s: %q is not an ECS event.type", a.Name, ty)
			}
		}
		if !slices.Contains(ecsKinds, a.Kind) {
			t.Errorf("%s: %q is not an ECS event.kind", a.Name, a.Kind)
		}
	}
}

func TestCatalogueNamesAreLowerDottedAndRetentionIsKnown(t *testing.T) {
	t.Parallel()
	for _, a := range event.Actions() {
		if a.Name != strings.ToLower(a.Name) || !strings.Contains(a.Name, ".") || strings.ContainsAny(a.Name, " -") {
			t.Errorf("%q: names are lower-case, dotted, with underscores", a.Name)
		}
		if a.Retention != event.Standard && a.Retention != event.BreakGlassRetention {
			t.Errorf("%s: unknown retention class %q", a.Name, a.Retention)
		}
	}
}

func TestCatalogueClassifiesTheRulesOfTheDesign(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		privileged bool
		retention  event.Retention
	}{
		{"policy.change is privileged", true, event.Standard},
		{"policy.reload is privileged", true, event.Standard},
		{"key.rotate is privileged", true, event.Standard},
		{"user.create is privileged", true, event.Standard},
		{"user.role.change is privileged", true, event.Standard},
		{"breakglass.request is privileged", true, event.BreakGlassRetention},
		{"breakglass.activate is privileged", true, event.BreakGlassRetention},
		{"breakglass.expire is privileged", true, event.BreakGlassRetention},
		{"gateway.request is not privileged", false, event.Standard},
		{"auth.login is not privileged", false, event.Standard},
		{"authz.decision is not privileged", false, event.Standard},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, ok := event.Lookup(strings.Fields(tc.name)[0])
			if !ok {
				t.Fatalf("action missing from the catalogue")
			}
			if a.Privileged != tc.privileged || a.Retention != tc.retention {
				t.Fatalf("privileged=%v retention=%s, want %v %s", a.Privileged, a.Retention, tc.privileged, tc.retention)
			}
		})
	}
}

func TestLookup(t *testing.T) {
	t.Parallel()
	a, ok := event.Lookup("auth.login")
	if !ok || a.SuccessCode != 1001 || a.FailureCode != 1002 {
		t.Fatalf("Lookup(auth.login) = %+v, %v; want codes 1001/1002", a, ok)
	}
	if _, ok := event.Lookup("auth.login.bogus"); ok {
		t.Fatal("an unknown action was found; the catalogue must be closed")
	}
	// A caller changing the returned lists must not change the catalogue.
	a.Category[0] = "malware"
	if b, _ := event.Lookup("auth.login"); b.Category[0] != "authentication" {
		t.Fatalf("catalogue was changed through a looked-up action: %v", b.Category)
	}
}

func TestRetentionExpiry(t *testing.T) {
	t.Parallel()
	written := time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name  string
		class event.Retention
		want  time.Time
	}{
		{"standard keeps 365 days", event.Standard, time.Date(2025, 2, 28, 12, 0, 0, 0, time.UTC)},
		{"break-glass keeps 7 calendar years", event.BreakGlassRetention, time.Date(2031, 3, 1, 12, 0, 0, 0, time.UTC)},
	}
	for _, tc := range cases {
		if got := tc.class.ExpiresAt(written); !got.Equal(tc.want) {
			t.Errorf("%s: ExpiresAt = %s, want %s", tc.name, got, tc.want)
		}
	}
}
