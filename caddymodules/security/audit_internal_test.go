package security

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/portcullis/portcullis/audit/event"
	"github.com/portcullis/portcullis/audit/pseudo"
	"github.com/portcullis/portcullis/audit/trail"
	"github.com/portcullis/portcullis/internal/clock"
)

func TestAuditDefaultsKeepKeysApartFromTheTrail(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	c, err := AuditConfig{Dir: filepath.Join(root, "audit"), Writer: "gw-1"}.resolved()
	if err != nil {
		t.Fatal(err)
	}
	if c.SigningKey != filepath.Join(root, "audit-keys", "gw-1.ed25519") || c.PseudonymKey != filepath.Join(root, "audit-keys", "pseudonym.key") {
		t.Fatalf("defaults %+v", c)
	}
	_, err = AuditConfig{Dir: root, SigningKey: filepath.Join(root, "k", "gw.ed25519")}.resolved()
	if err == nil || !strings.Contains(err.Error(), "inside the trail directory") {
		t.Fatalf("signing key inside the trail accepted: %v", err)
	}
	if _, err := (AuditConfig{Dir: root, Writer: "Bad Name"}).resolved(); err == nil {
		t.Fatal("bad writer accepted")
	}
	if got := sanitizeWriter("Web-01.Example.COM"); got != "web-01.example.com" {
		t.Fatalf("sanitizeWriter = %q", got)
	}
}

// The audit block's field modes reach the events the gateway writes.
func TestOpenTrailAppliesFieldModes(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	c, err := AuditConfig{Dir: filepath.Join(root, "audit"), Writer: "gw-fields", RetentionStandard: "30d",
		Fields: map[string]pseudo.Mode{pseudo.FieldUserName: pseudo.Drop, pseudo.FieldSourceIP: pseudo.Keep}}.resolved()
	if err != nil {
		t.Fatal(err)
	}
	s, err := openTrail(c, newCollectorSet(nil), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	e := event.New(event.PolicyChange, event.Success, clock.System)
	e.User = &event.User{ID: "alice-id", Name: "Alice Example"}
	e.Source = &event.Source{IP: "203.0.113.7"}
	if err := s.trail.Record(t.Context(), &e); err != nil {
		t.Fatal(err)
	}
	if err := s.Destruct(); err != nil {
		t.Fatal(err)
	}
	segs, _ := filepath.Glob(filepath.Join(trail.ChainDir(c.Dir, c.Writer, event.Standard), "*.jsonl"))
	var found bool
	for _, seg := range segs {
		data, err := os.ReadFile(seg)
		if err != nil {
			t.Fatal(err)
		}
		for line := range bytes.Lines(data) {
			var rec struct {
				Payload *event.Event `json:"payload"`
			}
			if err := json.Unmarshal(line, &rec); err != nil {
				t.Fatalf("%s: %v", seg, err)
			}
			w := rec.Payload
			if w == nil || w.Event.Action != event.PolicyChange.Name {
				continue
			}
			found = true
			if w.User == nil || w.User.Name != "" || w.User.ID == "" || w.User.ID == "alice-id" {
				t.Errorf("user = %+v; want no name and a pseudonymised id", w.User)
			}
			if w.Source == nil || w.Source.IP != "203.0.113.7" {
				t.Errorf("source = %+v; want the address kept", w.Source)
			}
		}
	}
	if !found {
		t.Fatal("the policy.change event is not in the standard chain")
	}
}
