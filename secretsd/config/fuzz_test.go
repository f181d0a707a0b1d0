package config_test

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/portcullis/portcullis/secretsd/config"
)

// FuzzParse feeds arbitrary files and one arbitrary environment value to the
// loader: it must never panic, and whatever it accepts must validate and
// survive a round trip through TOML unchanged.
func FuzzParse(f *testing.F) {
	seeds := []struct{ file, env string }{
		{"", ""},
		{"[server]\nlisten = \"127.0.0.1:9000\"\n", "SECRETSD_JWT_ALGORITHM=ES256"},
		{"[jwt]\naudience = [\"a\", \"b\"]\naccess_ttl = \"10m\"\n", "SECRETSD_JWT_AUDIENCE=x,y"},
		{"[mfa]\nrequired_roles = [\"Admin\", \"Viewer\"]\n", "SECRETSD_MFA_MAX_ATTEMPTS=3"},
		{"[password]\nmemory_kib = 19456\nparallelism = 4\n", "SECRETSD_PASSWORD_PARALLELISM=300"},
		{"[jwt]\naccess_ttl = 900\n", "SECRETSD_SERVER_LISTEN=:1"},
		{"[kms]\nmaster_key = \"x\"\n", "SECRETSD_MASTER_KEY=k"},
		{"[storage]\ndriver = \"postgres\"\ndsn = \"postgres://h/db\"\n", "SECRETSD_REDIS_URL=redis://h:1/0"},
		{"x = [1, \"a\"]\n[[server]]\n", "SECRETSD_LOG_LEVEL=debug"},
		{"[audit]\nfail_open = 1\n", "SECRETSD_AUDIT_FAIL_OPEN=0"},
		{"[[audit.forward]]\nname = \"h\"\nkind = \"splunk_hec\"\nurl = \"http://h\"\n", "SECRETSD_AUDIT_FORWARD_H_TOKEN=t"},
		{"[audit]\nwriter = \"gw-1\"\nqueue_size = 8\n", "SECRETSD_AUDIT_FORWARD=a elasticsearch http://e:9200 i;b elasticsearch https://f"},
		{"[redis]\nurl = \"redis://a:6379?addr=b:6379\"\nmode = \"cluster\"\n", "SECRETSD_REDIS_MODE=sentinel"},
		{"[redis]\nmode = \"galaxy\"\n", "SECRETSD_REDIS_URL=redis://s:26379?master_name=m&password=p"},
		{"[audit]\nretention_standard = \"30d\"\nfields = [\"user.name=drop\"]\n", "SECRETSD_AUDIT_RETENTION_BREAK_GLASS=1y6m"},
		{"[audit]\nfields = [\"source.ip=truncate\", \"user.id=keep\"]\n", "SECRETSD_AUDIT_FIELDS=user.email=drop,source.address=keep"},
	}
	for _, s := range seeds {
		f.Add([]byte(s.file), s.env)
	}
	f.Fuzz(func(t *testing.T, file []byte, env string) {
		cfg, err := config.Parse(file, "", []string{env})
		if err != nil {
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("Parse accepted a config that does not validate: %v", err)
		}
		var buf bytes.Buffer
		if err := toml.NewEncoder(&buf).Encode(cfg); err != nil {
			t.Fatalf("encoding an accepted config: %v", err)
		}
		// Environment-only values (the master key, forward tokens) are not
		// in the file: the same environment brings them back.
		again, err := config.Parse(buf.Bytes(), "", []string{env})
		if err != nil {
			t.Fatalf("re-parsing an accepted config: %v\n%s", err, buf.Bytes())
		}
		if !reflect.DeepEqual(normalize(again), normalize(cfg)) {
			t.Fatalf("round trip changed the config:\n%+v\n%+v", cfg, again)
		}
	})
}

// normalize treats a nil and an empty list alike (TOML cannot tell them apart).
func normalize(c config.Config) config.Config {
	for _, l := range []*[]string{&c.JWT.Audience, &c.MFA.RequiredRoles, &c.MFA.WebAuthnOrigins, &c.Audit.Fields} {
		if len(*l) == 0 {
			*l = nil
		}
	}
	if len(c.Audit.Forward) == 0 {
		c.Audit.Forward = nil
	}
	return c
}
