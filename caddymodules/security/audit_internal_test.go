package security

import (
	"path/filepath"
	"strings"
	"testing"
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
