package config_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/portcullis/portcullis/secretsd/config"
)

func TestDefaultsNeedNoFile(t *testing.T) {
	t.Parallel()
	cfg, err := config.Load("", nil)
	if err != nil {
		t.Fatalf("Load with no file and no environment: %v", err)
	}
	if !reflect.DeepEqual(cfg, config.Default()) {
		t.Fatalf("Load() = %+v, want the defaults %+v", cfg, config.Default())
	}
	for name, got := range map[string]any{
		"listen":         cfg.Server.Listen == "127.0.0.1:8200",
		"max body":       cfg.Server.MaxBodyBytes == 65536,
		"driver":         cfg.Storage.Driver == "sqlite",
		"path":           cfg.Storage.Path == "./.run/secretsd.db",
		"no redis":       cfg.Redis.URL == "" && cfg.Redis.Mode == "standalone",
		"issuer":         cfg.JWT.Issuer == "https://portcullis.local",
		"audience":       reflect.DeepEqual(cfg.JWT.Audience, []string{"portcullis-gateway"}),
		"algorithm":      cfg.JWT.Algorithm == "RS256",
		"access ttl":     cfg.JWT.AccessTTL == 15*time.Minute,
		"refresh ttl":    cfg.JWT.RefreshTTL == 168*time.Hour,
		"rotate every":   cfg.JWT.RotateEvery == 720*time.Hour,
		"max attempts":   cfg.MFA.MaxAttempts == 5,
		"attempt window": cfg.MFA.AttemptWindow == 5*time.Minute,
		"required roles": reflect.DeepEqual(cfg.MFA.RequiredRoles, []string{"Admin"}),
		"rp id":          cfg.MFA.WebAuthnRPID == "localhost",
		"argon2":         cfg.Password == config.Password{MemoryKiB: 65536, Iterations: 2, Parallelism: 1},
		"kms":            cfg.KMS.Provider == "local" && cfg.KMS.MasterKeyFile == "./.run/master.key",
		"audit dir":      cfg.Audit.Dir == "./.run/audit" && cfg.Audit.Index == "./.run/audit-index.db",
		"audit keys": cfg.Audit.PseudonymKey == "./.run/audit-keys/pseudonym.key" && cfg.Audit.SubjectKeys == "./.run/audit-keys/subjects.db" &&
			cfg.Audit.SigningKeyFile(cfg.Audit.Writer) == filepath.Join(".run/audit-keys", cfg.Audit.Writer+".ed25519"),
		"audit writer":    strings.HasPrefix(cfg.Audit.Writer, "secretsd-"),
		"audit queue":     cfg.Audit.QueueSize == 65536 && !cfg.Audit.FailOpen,
		"audit intervals": cfg.Audit.IndexInterval == time.Second && cfg.Audit.RetentionInterval == 24*time.Hour,
		"no forwarding":   len(cfg.Audit.Forward) == 0,
		"log":             cfg.Log.Format == "json" && cfg.Log.Level == "info",
		"public url":      cfg.PublicBaseURL() == "http://127.0.0.1:8200",
		"webauthn origin": reflect.DeepEqual(cfg.Origins(), []string{"http://127.0.0.1:8200"}),
	} {
		if got != true {
			t.Errorf("default %s is wrong: %+v", name, cfg)
		}
	}
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "secretsd.toml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestFileAndEnvironment(t *testing.T) {
	t.Parallel()
	file := `
[server]
listen = "0.0.0.0:9000"
shutdown_timeout = "3s"

[storage]
path = "data/s.db"

[jwt]
algorithm = "ES256"
audience = ["gw-a", "gw-b"]
access_ttl = "10m"

[mfa]
required_roles = ["Admin", "Operator"]

[kms]
master_key_file = "/etc/secretsd/master.key"

[audit]
fail_open = true
dir = "trail"

[[audit.forward]]
name = "splunk"
kind = "splunk_hec"
url = "https://hec.example:8088"
index = "main"
`
	path := writeFile(t, file)
	dir := filepath.Dir(path)
	token := "SECRETSD_AUDIT_FORWARD_SPLUNK_TOKEN=hec-token-1"

	cases := []struct {
		name  string
		env   []string
		check func(t *testing.T, c config.Config)
	}{
		{"the file sets what it names and keeps the other defaults", []string{token}, func(t *testing.T, c config.Config) {
			if c.Server.Listen != "0.0.0.0:9000" || c.Server.ShutdownTimeout != 3*time.Second ||
				c.JWT.Algorithm != "ES256" || c.JWT.AccessTTL != 10*time.Minute || !c.Audit.FailOpen {
				t.Errorf("file values not applied: %+v", c)
			}
			if !reflect.DeepEqual(c.JWT.Audience, []string{"gw-a", "gw-b"}) ||
				!reflect.DeepEqual(c.MFA.RequiredRoles, []string{"Admin", "Operator"}) {
				t.Errorf("lists from the file: %v %v", c.JWT.Audience, c.MFA.RequiredRoles)
			}
			if c.JWT.RefreshTTL != 168*time.Hour || c.Server.MaxBodyBytes != 65536 {
				t.Errorf("defaults lost: %+v", c)
			}
		}},
		{"relative paths are taken from the file's folder, absolute ones kept", []string{token}, func(t *testing.T, c config.Config) {
			if c.Storage.Path != filepath.Join(dir, "data/s.db") {
				t.Errorf("storage.path = %q", c.Storage.Path)
			}
			if c.Audit.Dir != filepath.Join(dir, "trail") || c.Audit.PseudonymKey != filepath.Join(dir, ".run/audit-keys/pseudonym.key") {
				t.Errorf("audit paths = %q, %q", c.Audit.Dir, c.Audit.PseudonymKey)
			}
			if c.KMS.MasterKeyFile != "/etc/secretsd/master.key" {
				t.Errorf("kms.master_key_file = %q", c.KMS.MasterKeyFile)
			}
		}},
		{"the environment wins over the file", []string{
			"SECRETSD_SERVER_LISTEN=127.0.0.1:7000",
			"SECRETSD_JWT_ALGORITHM=EdDSA",
			"SECRETSD_JWT_AUDIENCE= x , y ,,",
			"SECRETSD_AUDIT_FAIL_OPEN=false",
			"SECRETSD_STORAGE_PATH=rel/env.db",
			token,
		}, func(t *testing.T, c config.Config) {
			if c.Server.Listen != "127.0.0.1:7000" || c.JWT.Algorithm != "EdDSA" || c.Audit.FailOpen {
				t.Errorf("environment not applied over the file: %+v", c)
			}
			if !reflect.DeepEqual(c.JWT.Audience, []string{"x", "y"}) {
				t.Errorf("comma-separated list = %q", c.JWT.Audience)
			}
			if c.Storage.Path != "rel/env.db" {
				t.Errorf("a relative path from the environment stays relative to the working folder: %q", c.Storage.Path)
			}
		}},
		{"every kind of value has an environment form", []string{
			token,
			"SECRETSD_SERVER_MAX_BODY_BYTES=2048",
			"SECRETSD_MFA_MAX_ATTEMPTS=7",
			"SECRETSD_PASSWORD_MEMORY_KIB=19456",
			"SECRETSD_PASSWORD_PARALLELISM=2",
			"SECRETSD_JWT_ROTATE_EVERY=0s",
			"SECRETSD_REDIS_URL=redis://:pw@127.0.0.1:6379/2",
			"SECRETSD_STORAGE_DRIVER=postgres",
			"SECRETSD_STORAGE_DSN=postgres://u:p@db/x",
			"SECRETSD_MASTER_KEY=abc",
		}, func(t *testing.T, c config.Config) {
			if c.Server.MaxBodyBytes != 2048 || c.MFA.MaxAttempts != 7 || c.Password.MemoryKiB != 19456 ||
				c.Password.Parallelism != 2 || c.JWT.RotateEvery != 0 || c.Redis.URL != "redis://:pw@127.0.0.1:6379/2" ||
				c.Storage.Driver != "postgres" || c.Storage.DSN != "postgres://u:p@db/x" || c.KMS.MasterKey != "abc" {
				t.Errorf("environment values: %+v", c)
			}
		}},
		{"forward destinations come from the file, their tokens from the environment", []string{token}, func(t *testing.T, c config.Config) {
			want := []config.AuditForward{{Name: "splunk", Kind: "splunk_hec", URL: "https://hec.example:8088", Index: "main", Token: "hec-token-1"}}
			if !reflect.DeepEqual(c.Audit.Forward, want) {
				t.Errorf("audit.forward = %+v", c.Audit.Forward)
			}
		}},
		{"the environment form of forward replaces the file's", []string{"SECRETSD_AUDIT_FORWARD=es elasticsearch https://es:9200 audit ; os elasticsearch http://os:9200"}, func(t *testing.T, c config.Config) {
			want := []config.AuditForward{{Name: "es", Kind: "elasticsearch", URL: "https://es:9200", Index: "audit"}, {Name: "os", Kind: "elasticsearch", URL: "http://os:9200"}}
			if !reflect.DeepEqual(c.Audit.Forward, want) {
				t.Errorf("audit.forward = %+v", c.Audit.Forward)
			}
		}},
		{"an empty list variable empties the list", []string{"SECRETSD_MFA_REQUIRED_ROLES=", token}, func(t *testing.T, c config.Config) {
			if len(c.MFA.RequiredRoles) != 0 {
				t.Errorf("required_roles = %q", c.MFA.RequiredRoles)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := config.Load(path, c.env)
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, cfg)
		})
	}
}

func TestRedisMode(t *testing.T) {
	t.Parallel()
	sentinelFile := "[redis]\nurl = \"redis://s1:26379/0?addr=s2:26379&master_name=mymaster\"\nmode = \"sentinel\"\n"
	cases := []struct {
		name string
		file string
		env  []string
		want string
	}{
		{"a URL alone is a standalone server", "", []string{"SECRETSD_REDIS_URL=redis://h:6379/0"}, "standalone"},
		{"the file sets the mode", sentinelFile, nil, "sentinel"},
		{"SECRETSD_REDIS_MODE wins over the file", sentinelFile,
			[]string{"SECRETSD_REDIS_MODE=cluster", "SECRETSD_REDIS_URL=redis://a:6379?addr=b:6379"}, "cluster"},
		{"an empty SECRETSD_REDIS_MODE means standalone", sentinelFile,
			[]string{"SECRETSD_REDIS_MODE=", "SECRETSD_REDIS_URL=redis://h:6379/0"}, "standalone"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			path := ""
			if c.file != "" {
				path = writeFile(t, c.file)
			}
			cfg, err := config.Load(path, c.env)
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.Redis.Options().EffectiveMode(); got != c.want {
				t.Fatalf("redis.mode = %q (effective %q), want %q", cfg.Redis.Mode, got, c.want)
			}
			// What secretsd connects with is what the gateway would.
			client, err := cfg.Redis.Options().New()
			if err != nil {
				t.Fatalf("the validated [redis] does not build a client: %v", err)
			}
			_ = client.Close()
		})
	}
}

func TestConfigFileFromEnvironment(t *testing.T) {
	t.Parallel()
	path := writeFile(t, "[server]\nlisten = \"127.0.0.1:9100\"\n")
	cfg, err := config.Load("", []string{config.ConfigEnv + "=" + path})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Server.Listen != "127.0.0.1:9100" {
		t.Fatalf("SECRETSD_CONFIG not read: %q", cfg.Server.Listen)
	}
	if cfg.Storage.Path != filepath.Join(filepath.Dir(path), ".run/secretsd.db") {
		t.Fatalf("the default path goes under the config file's folder: %q", cfg.Storage.Path)
	}
}

func TestRefused(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		file string
		env  []string
		want []string // substrings of the error
		not  []string // what must not appear (secrets)
	}{
		{name: "unknown key names it and suggests the right one",
			file: "[server]\nlistn = \"x\"\n", want: []string{`"server.listn"`, `did you mean "server.listen"`}},
		{name: "unknown section",
			file: "[servr]\nlisten = \"x\"\n", want: []string{`"servr"`, `did you mean "server"`}},
		{name: "several unknown keys are all named",
			file: "foo = 1\n[jwt]\nbar = 2\n", want: []string{`"foo"`, `"jwt.bar"`}},
		{name: "the master key may not be in the file",
			file: "[kms]\nmaster_key = \"k\"\n", want: []string{"kms.master_key", "SECRETSD_MASTER_KEY"}, not: []string{`"k"`}},
		{name: "malformed TOML gives the line",
			file: "[server\nlisten = 1\n", want: []string{"line 2"}},
		{name: "wrong type in the file names the key",
			file: "[mfa]\nmax_attempts = \"five\"\n", want: []string{"mfa.max_attempts"}},
		{name: "bad duration in the file",
			file: "[jwt]\naccess_ttl = \"15 minutes\"\n", want: []string{"15 minutes"}},
		{name: "a bare integer is no duration",
			file: "[jwt]\naccess_ttl = 900\n", want: []string{"jwt.access_ttl", "with a unit"}},
		{name: "bad duration in the environment names the variable",
			env: []string{"SECRETSD_JWT_ACCESS_TTL=soon"}, want: []string{"SECRETSD_JWT_ACCESS_TTL", "not a duration"}},
		{name: "bad integer in the environment",
			env: []string{"SECRETSD_MFA_MAX_ATTEMPTS=lots"}, want: []string{"SECRETSD_MFA_MAX_ATTEMPTS", "not an integer"}},
		{name: "bad boolean in the environment",
			env: []string{"SECRETSD_AUDIT_FAIL_OPEN=maybe"}, want: []string{"SECRETSD_AUDIT_FAIL_OPEN", "not a boolean"}},
		{name: "a bad writer name",
			env: []string{"SECRETSD_AUDIT_WRITER=Gateway One"}, want: []string{"audit.writer (from SECRETSD_AUDIT_WRITER)", `"Gateway One"`}},
		{name: "an empty queue",
			env: []string{"SECRETSD_AUDIT_QUEUE_SIZE=0"}, want: []string{"audit.queue_size"}},
		{name: "an index interval too short",
			env: []string{"SECRETSD_AUDIT_INDEX_INTERVAL=1ms"}, want: []string{"audit.index_interval"}},
		{name: "a malformed forward list",
			env: []string{"SECRETSD_AUDIT_FORWARD=just-a-name"}, want: []string{"SECRETSD_AUDIT_FORWARD", "name kind url"}},
		{name: "a HEC destination without its token names the variable",
			env: []string{"SECRETSD_AUDIT_FORWARD=hec splunk_hec https://h:8088"}, want: []string{"audit.forward", "SECRETSD_AUDIT_FORWARD_HEC_TOKEN"}},
		{name: "a forward of unknown kind, with a bad URL",
			file: "[[audit.forward]]\nname = \"x\"\nkind = \"kafka\"\nurl = \"ftp://h\"\n", want: []string{`kind "kafka"`, `"ftp://h"`}},
		{name: "a forward token in the file is refused",
			file: "[[audit.forward]]\nname = \"x\"\nkind = \"elasticsearch\"\nurl = \"http://h\"\ntoken = \"t\"\n", want: []string{"audit.forward.token"}},
		{name: "parallelism over 255",
			env: []string{"SECRETSD_PASSWORD_PARALLELISM=256"}, want: []string{"SECRETSD_PASSWORD_PARALLELISM"}},
		{name: "unknown algorithm",
			file: "[jwt]\nalgorithm = \"HS256\"\n", want: []string{"jwt.algorithm", `"HS256"`, "RS256, ES256 or EdDSA"}},
		{name: "unknown algorithm from the environment says so",
			env: []string{"SECRETSD_JWT_ALGORITHM=none"}, want: []string{"jwt.algorithm (from SECRETSD_JWT_ALGORITHM)"}},
		{name: "unknown role",
			env: []string{"SECRETSD_MFA_REQUIRED_ROLES=Admin,Root"}, want: []string{"mfa.required_roles", `"Root"`, "Admin, Operator"}},
		{name: "unknown driver",
			file: "[storage]\ndriver = \"mysql\"\n", want: []string{"storage.driver", "sqlite or postgres"}},
		{name: "postgres without a DSN",
			env: []string{"SECRETSD_STORAGE_DRIVER=postgres"}, want: []string{"storage.dsn"}},
		{name: "listen without a port",
			env: []string{"SECRETSD_SERVER_LISTEN=localhost"}, want: []string{"server.listen"}},
		{name: "refresh shorter than access",
			env: []string{"SECRETSD_JWT_REFRESH_TTL=5m"}, want: []string{"jwt.refresh_ttl", "shorter"}},
		{name: "weak argon2 parameters",
			env: []string{"SECRETSD_PASSWORD_MEMORY_KIB=1024"}, want: []string{"password.memory_kib", "OWASP"}},
		{name: "a bad Redis URL is refused without echoing its password",
			env: []string{"SECRETSD_REDIS_URL=redis://:hunter2@host:notaport/0"}, want: []string{"redis.url"}, not: []string{"hunter2"}},
		{name: "an unknown Redis mode is refused",
			file: "[redis]\nmode = \"replica\"\n", want: []string{"redis.mode", `unknown redis mode "replica"`, "standalone, cluster or sentinel"}},
		{name: "an unknown Redis mode is refused even without a URL, and from the environment says so",
			env: []string{"SECRETSD_REDIS_MODE=Cluster"}, want: []string{"redis.mode (from SECRETSD_REDIS_MODE)", `"Cluster"`}},
		{name: "the URL is parsed for the mode",
			env:  []string{"SECRETSD_REDIS_URL=unix:///run/redis.sock", "SECRETSD_REDIS_MODE=cluster"},
			want: []string{"redis.url (from SECRETSD_REDIS_URL)", "(cluster)", "invalid URL scheme: unix"}},
		{name: "the environment's mode is checked against the file's URL",
			file: "[redis]\nurl = \"redis://s1:26379/0?addr=s2:26379&master_name=mymaster\"\nmode = \"sentinel\"\n",
			env:  []string{"SECRETSD_REDIS_MODE=cluster"}, want: []string{"redis.url", "unexpected option: master_name"}},
		{name: "a sentinel URL is refused without echoing the primary's password",
			env:  []string{"SECRETSD_REDIS_URL=redis://s1:26379?master_name=m&password=hunter2&addr=s2", "SECRETSD_REDIS_MODE=sentinel"},
			want: []string{"redis.url", "addr param: s2", "password=xxxxx"}, not: []string{"hunter2"}},
		{name: "a secret's bad value is not echoed",
			env: []string{"SECRETSD_REVOCATION_FEED_TOKEN=short-secret"}, want: []string{"revocation.feed_token", "16"}, not: []string{"short-secret"}},
		{name: "unknown kms provider",
			file: "[kms]\nprovider = \"vault\"\n", want: []string{"kms.provider", `"vault"`}},
		{name: "bad log format",
			env: []string{"SECRETSD_LOG_FORMAT=xml"}, want: []string{"log.format"}},
		{name: "every problem is reported at once",
			env:  []string{"SECRETSD_LOG_LEVEL=loud", "SECRETSD_JWT_ISSUER="},
			want: []string{"log.level", "jwt.issuer"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			path := ""
			if c.file != "" {
				path = writeFile(t, c.file)
			}
			_, err := config.Load(path, c.env)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			for _, n := range c.not {
				if strings.Contains(err.Error(), n) {
					t.Errorf("error %q reveals %q", err, n)
				}
			}
		})
	}
}

func TestMissingFileIsAnError(t *testing.T) {
	t.Parallel()
	_, err := config.Load(filepath.Join(t.TempDir(), "absent.toml"), nil)
	if err == nil || !strings.Contains(err.Error(), "absent.toml") {
		t.Fatalf("err = %v", err)
	}
}

func TestUnknownEnvironmentIsReported(t *testing.T) {
	t.Parallel()
	got := config.UnknownEnv([]string{
		"SECRETSD_SERVER_LISTN=x", "SECRETSD_SERVER_LISTEN=y", "SECRETSD_CONFIG=z", "HOME=/root", "SECRETSD_ZZZZZZZZZZZZ=1",
		"SECRETSD_AUDIT_FORWARD_SPLUNK_TOKEN=t",
	})
	want := []string{"SECRETSD_SERVER_LISTN (did you mean SECRETSD_SERVER_LISTEN?)", "SECRETSD_ZZZZZZZZZZZZ"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("UnknownEnv = %q, want %q", got, want)
	}
}
