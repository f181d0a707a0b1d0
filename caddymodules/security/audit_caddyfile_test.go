package security_test

import (
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

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
			if a.Audit == nil || *a.Audit != c.want {
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
