package security_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/portcullis/portcullis/audit/pseudo"
	"github.com/portcullis/portcullis/caddymodules/security"
)

func TestAuditBlock(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		block   string
		want    security.AuditConfig
		wantErr string
	}{
		{name: "every option", block: "dir /var/lib/portcullis/audit\n writer gw-1\n signing_key /etc/pc/gw.ed25519\n pseudonym_key /etc/pc/p.key\n subject_keys /var/lib/pc/subjects.db\n queue_size 1024\n fail_open",
			want: security.AuditConfig{Dir: "/var/lib/portcullis/audit", Writer: "gw-1", SigningKey: "/etc/pc/gw.ed25519",
				PseudonymKey: "/etc/pc/p.key", SubjectKeys: "/var/lib/pc/subjects.db", QueueSize: 1024, FailOpen: true}},
		{name: "dir alone", block: "dir .run/audit", want: security.AuditConfig{Dir: ".run/audit"}},
		{name: "dir is required", block: "writer gw-1", wantErr: "dir is required"},
		{name: "a writer name with a slash is refused", block: "dir a\n writer ../x", wantErr: "writer"},
		{name: "queue_size must be positive", block: "dir a\n queue_size 0", wantErr: "queue_size"},
		{name: "queue_size has a cap", block: "dir a\n queue_size 100000000", wantErr: "queue_size"},
		{name: "fail_open takes no value", block: "dir a\n fail_open yes", wantErr: "wrong argument count"},
		{name: "unknown option", block: "dir a\n color red", wantErr: `unrecognized audit option "color"`},
		{name: "retention periods and field modes",
			block: "dir a\n retention_standard 30d\n retention_break_glass 10y\n field user.name drop\n field source.ip keep\n field source.address pseudonymise",
			want: security.AuditConfig{Dir: "a", RetentionStandard: "30d", RetentionBreakGlass: "10y",
				Fields: map[string]pseudo.Mode{"user.name": pseudo.Drop, "source.ip": pseudo.Keep, "source.address": pseudo.Pseudonymise}}},
		{name: "a calendar combination", block: "dir a\n retention_standard 1y6m", want: security.AuditConfig{Dir: "a", RetentionStandard: "1y6m"}},
		{name: "a zero period is refused", block: "dir a\n retention_standard 0d", wantErr: "retention_standard: audit retention: bad retention period: a period of zero"},
		{name: "a negative period is refused", block: "dir a\n retention_break_glass -1y", wantErr: "negative"},
		{name: "a Go duration is no period", block: "dir a\n retention_standard 8760h", wantErr: `unknown unit "h"`},
		{name: "a period takes one value", block: "dir a\n retention_standard 1y 6m", wantErr: "wrong argument count"},
		{name: "an unknown field names the known ones", block: "dir a\n field user.nmae drop", wantErr: `unknown field "user.nmae" (want one of source.address, source.ip, user.email, user.id, user.name)`},
		{name: "an unknown mode", block: "dir a\n field user.id hash", wantErr: `unknown mode "hash"`},
		{name: "truncate is for addresses only", block: "dir a\n field user.id truncate", wantErr: "truncate applies only to IP addresses"},
		{name: "a field without its mode", block: "dir a\n field user.name", wantErr: "field takes a field and a mode"},
		{name: "a field set twice", block: "dir a\n field user.name drop\n field user.name keep", wantErr: `field "user.name" is set twice`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			a := new(security.App)
			err := a.UnmarshalCaddyfile(caddyfile.NewTestDispenser("portcullis {\n audit {\n " + c.block + "\n }\n}"))
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if a.Audit == nil || !reflect.DeepEqual(*a.Audit, c.want) {
				t.Fatalf("audit = %+v, want %+v", a.Audit, c.want)
			}
		})
	}
}

func TestDefaultWriterIsAValidWriterName(t *testing.T) {
	t.Parallel()
	w := security.DefaultWriter()
	if !strings.HasPrefix(w, "gateway-") || len(w) > 64 || strings.ContainsAny(w, "/ ABCDEFGHIJKLMNOPQRSTUVWXYZ") {
		t.Fatalf("default writer %q", w)
	}
}

// A JSON config (no Caddyfile) is refused at provisioning for the same
// mistakes, and a good one opens the trail.
func TestProvisionChecksRetentionAndFields(t *testing.T) {
	cases := []struct {
		name    string
		audit   security.AuditConfig
		wantErr string
	}{
		{"periods and fields", security.AuditConfig{RetentionStandard: "30d", RetentionBreakGlass: "10y",
			Fields: map[string]pseudo.Mode{"user.name": pseudo.Drop, "source.ip": pseudo.Keep}}, ""},
		{"a bad period", security.AuditConfig{RetentionBreakGlass: "7 years"}, "retention_break_glass"},
		{"a zero period", security.AuditConfig{RetentionStandard: "0y"}, "a period of zero"},
		{"an unknown field", security.AuditConfig{Fields: map[string]pseudo.Mode{"user.phone": pseudo.Drop}}, `unknown field "user.phone"`},
		{"an unknown mode", security.AuditConfig{Fields: map[string]pseudo.Mode{"user.email": "hide"}}, `unknown mode "hide"`},
		{"truncate on a user field", security.AuditConfig{Fields: map[string]pseudo.Mode{"user.name": pseudo.Truncate}}, "only to IP addresses"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			c.audit.Dir = filepath.Join(root, "audit")
			c.audit.Writer = "gw-provision"
			raw, err := json.Marshal(security.App{Audit: &c.audit})
			if err != nil {
				t.Fatal(err)
			}
			err = caddy.Validate(&caddy.Config{Admin: &caddy.AdminConfig{Disabled: true},
				AppsRaw: caddy.ModuleMap{security.AppName: raw}})
			if c.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				if _, err := os.Stat(filepath.Join(c.audit.Dir, c.audit.Writer)); err != nil {
					t.Fatalf("the trail was not opened: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("Validate = %v, want an error containing %q", err, c.wantErr)
			}
			if _, err := os.Stat(c.audit.Dir); !os.IsNotExist(err) {
				t.Errorf("a refused config created the trail directory (%v)", err)
			}
		})
	}
}
