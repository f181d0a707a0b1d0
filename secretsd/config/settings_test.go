package config_test

import (
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/secretsd/config"
)

// TestEverySettingIsDocumented walks Config by reflection: every field must
// have exactly one entry in the settings table (so it has an environment
// variable and a help line), the entry's key must be the field's TOML key,
// and the help must show both.
func TestEverySettingIsDocumented(t *testing.T) {
	t.Parallel()
	var cfg config.Config
	byField := map[uintptr]config.Setting{}
	envNames := map[string]bool{}
	for _, s := range config.Settings() {
		addr := reflect.ValueOf(s.Field(&cfg)).Pointer()
		if prev, dup := byField[addr]; dup {
			t.Errorf("settings %s and %s share a field", prev.Name(), s.Name())
		}
		byField[addr] = s
		if envNames[s.Env()] {
			t.Errorf("environment variable %s is used twice", s.Env())
		}
		envNames[s.Env()] = true
		if !regexp.MustCompile(`^SECRETSD_[A-Z0-9_]+$`).MatchString(s.Env()) {
			t.Errorf("%s: environment variable %q is not SECRETSD_UPPER_CASE", s.Name(), s.Env())
		}
		if strings.TrimSpace(s.Help) == "" {
			t.Errorf("%s has no help", s.Name())
		}
	}

	help := config.Help()
	sections := reflect.ValueOf(&cfg).Elem()
	for i := range sections.NumField() {
		sf := sections.Type().Field(i)
		section := sf.Tag.Get("toml")
		if !strings.Contains(help, "["+section+"]") {
			t.Errorf("help has no [%s] section", section)
		}
		for j := range sf.Type.NumField() {
			f := sf.Type.Field(j)
			addr := sections.Field(i).Field(j).Addr().Pointer()
			s, ok := byField[addr]
			if !ok {
				t.Errorf("Config.%s.%s has no entry in the settings table", sf.Name, f.Name)
				continue
			}
			delete(byField, addr)
			if s.Section != section {
				t.Errorf("%s is in section %q, its field in %q", s.Name(), s.Section, section)
			}
			if key := f.Tag.Get("toml"); key != "-" && key != s.Key {
				t.Errorf("Config.%s.%s: TOML key %q, settings table %q", sf.Name, f.Name, key, s.Key)
			} else if key == "-" && s.FileKey() {
				t.Errorf("Config.%s.%s is environment-only but the table gives it a file key", sf.Name, f.Name)
			}
			if !strings.Contains(help, s.Env()+": "+s.Help) {
				t.Errorf("help lacks the line of %s", s.Env())
			}
			if s.FileKey() && !strings.Contains(help, "  "+s.Key+" = ") {
				t.Errorf("help lacks the key %s", s.Name())
			}
		}
	}
	for _, s := range byField {
		t.Errorf("setting %s points at no field of Config", s.Name())
	}
}

func TestHelpShowsDefaultsButNoSecrets(t *testing.T) {
	t.Parallel()
	help := config.Help()
	for _, want := range []string{
		`listen = "127.0.0.1:8200"`, `access_ttl = "15m"`, `refresh_ttl = "168h"`, `rotate_every = "720h"`,
		`audience = ["portcullis-gateway"]`, `memory_kib = 65536`, `fail_open = false`, `index_interval = "1s"`, `forward = []`, "SECRETSD_MASTER_KEY",
		`mode = "standalone"`, "SECRETSD_REDIS_MODE: ",
	} {
		if !strings.Contains(help, want) {
			t.Errorf("help lacks %q", want)
		}
	}
	if !strings.Contains(help, `dsn = ""  # secret`) {
		t.Errorf("a secret setting should show no value:\n%s", help)
	}
}
