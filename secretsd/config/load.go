package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/portcullis/portcullis/internal/suggest"
)

// Load reads the configuration: the defaults, then the TOML file at path
// (when path is empty, $SECRETSD_CONFIG; when that is empty too, no file),
// then the SECRETSD_* variables of environ (as os.Environ returns them),
// and validates the result. Relative paths set in the file, and the default
// ones when a file is given, are taken relative to the file's folder;
// relative paths from the environment stay relative to the working folder.
func Load(path string, environ []string) (Config, error) {
	env := envMap(environ)
	if path == "" {
		path = env[ConfigEnv]
	}
	if path == "" {
		return Parse(nil, "", environ)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("config: reading %w", err)
	}
	cfg, err := Parse(data, filepath.Dir(path), environ)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// Parse is Load on the file's content. dir is the folder relative paths in
// the file are resolved against ("" leaves them as they are).
func Parse(data []byte, dir string, environ []string) (Config, error) {
	cfg := Default()
	if err := decodeFile(&cfg, data, dir); err != nil {
		return Config{}, err
	}
	fromEnv, err := applyEnv(&cfg, envMap(environ))
	if err != nil {
		return Config{}, err
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, annotate(err, fromEnv)
	}
	return cfg, nil
}

// decodeFile decodes the TOML document over cfg's defaults, refusing keys
// that no setting has and durations written as bare integers.
func decodeFile(cfg *Config, data []byte, dir string) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(cfg)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if undecoded := md.Undecoded(); len(undecoded) > 0 {
		var msgs []string
		for _, k := range undecoded {
			msgs = append(msgs, unknownKey(k.String()))
		}
		return fmt.Errorf("config: unknown %s: %s (secretsd --help lists every key)",
			plural(len(msgs), "key", "keys"), strings.Join(msgs, ", "))
	}
	var errs []error
	for _, s := range settings {
		if _, ok := s.field(cfg).(*time.Duration); ok && s.FileKey() && md.Type(s.Section, s.Key) == "Integer" {
			errs = append(errs, fmt.Errorf("config: %s: write a duration as a string with a unit, e.g. %q", s.Name(), "15m"))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if dir != "" {
		for _, p := range []*string{&cfg.Storage.Path, &cfg.KMS.MasterKeyFile, &cfg.Audit.Dir, &cfg.Audit.SigningKey,
			&cfg.Audit.PseudonymKey, &cfg.Audit.SubjectKeys, &cfg.Audit.Index} {
			if *p != "" && !filepath.IsAbs(*p) {
				*p = filepath.Join(dir, *p)
			}
		}
	}
	return nil
}

// unknownKey describes an undecoded key, with the nearest known one.
func unknownKey(key string) string {
	if key == "kms.master_key" {
		return fmt.Sprintf("%q (the master key comes from the environment only: %s)", key, "SECRETSD_MASTER_KEY")
	}
	best, bestDist := "", 3 // suggest only close matches
	for _, s := range settings {
		if len(key) > 64 {
			break
		}
		if !s.FileKey() {
			continue
		}
		for _, cand := range []string{s.Name(), s.Section} {
			if d := suggest.Distance(key, cand); d < bestDist {
				best, bestDist = cand, d
			}
		}
	}
	if best != "" {
		return fmt.Sprintf("%q (did you mean %q?)", key, best)
	}
	return strconv.Quote(key)
}

// applyEnv sets every setting whose variable is in env and returns the
// names of the settings it set.
func applyEnv(cfg *Config, env map[string]string) (map[string]bool, error) {
	set := map[string]bool{}
	var errs []error
	for _, s := range settings {
		v, ok := env[s.Env()]
		if !ok {
			continue
		}
		if err := setValue(s.field(cfg), v); err != nil {
			shown := strconv.Quote(v)
			if s.Secret {
				shown = "its value"
			}
			errs = append(errs, fmt.Errorf("config: %s=%s: %w", s.Env(), shown, err))
			continue
		}
		set[s.Name()] = true
	}
	for i, f := range cfg.Audit.Forward {
		cfg.Audit.Forward[i].Token = env[ForwardTokenEnv(f.Name)]
	}
	return set, errors.Join(errs...)
}

// ForwardTokenEnv is the environment variable holding the token of the
// forward destination name: SECRETSD_AUDIT_FORWARD_<NAME>_TOKEN, the name
// upper-cased with "-" as "_".
func ForwardTokenEnv(name string) string {
	return "SECRETSD_AUDIT_FORWARD_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_")) + "_TOKEN"
}

// parseForwards reads the environment form of [[audit.forward]]:
// "name kind url [index]" items separated by ";".
func parseForwards(v string) ([]AuditForward, error) {
	out := []AuditForward{}
	for item := range strings.SplitSeq(v, ";") {
		f := strings.Fields(item)
		switch len(f) {
		case 0:
			continue
		case 3, 4:
		default:
			return nil, fmt.Errorf("%q is not \"name kind url [index]\"", strings.TrimSpace(item))
		}
		d := AuditForward{Name: f[0], Kind: f[1], URL: f[2]}
		if len(f) == 4 {
			d.Index = f[3]
		}
		out = append(out, d)
	}
	return out, nil
}

// setValue parses v into the field p points at.
func setValue(p any, v string) error {
	switch p := p.(type) {
	case *string:
		*p = v
	case *[]string:
		*p = splitList(v)
	case *time.Duration:
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("not a duration (write e.g. %q or %q)", "15m", "168h")
		}
		*p = d
	case *bool:
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return errors.New("not a boolean (true or false)")
		}
		*p = b
	case *int:
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, strconv.IntSize)
		if err != nil {
			return errors.New("not an integer")
		}
		*p = int(n)
	case *int64:
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return errors.New("not an integer")
		}
		*p = n
	case *uint32:
		n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32)
		if err != nil {
			return errors.New("not an integer between 0 and 4294967295")
		}
		*p = uint32(n)
	case *uint8:
		n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 8)
		if err != nil {
			return errors.New("not an integer between 0 and 255")
		}
		*p = uint8(n)
	case *[]AuditForward:
		f, err := parseForwards(v)
		if err != nil {
			return err
		}
		*p = f
	default:
		return fmt.Errorf("setting of type %T has no environment parser", p)
	}
	return nil
}

// splitList reads a comma-separated list, dropping blanks around items and
// empty items.
func splitList(v string) []string {
	out := []string{}
	for item := range strings.SplitSeq(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// UnknownEnv lists the SECRETSD_* variables of environ that no setting has,
// with the nearest known name: secretsd logs them as warnings (a typo would
// otherwise be silently ignored; they are not errors because other tools
// may share the prefix).
func UnknownEnv(environ []string) []string {
	known := map[string]bool{ConfigEnv: true}
	for _, s := range settings {
		known[s.Env()] = true
	}
	var out []string
	for name := range envMap(environ) {
		if !strings.HasPrefix(name, "SECRETSD_") || known[name] || forwardTokenEnv.MatchString(name) {
			continue
		}
		best, bestDist := "", 4
		for k := range known {
			if d := suggest.Distance(name, k); d < bestDist {
				best, bestDist = k, d
			}
		}
		if best != "" {
			out = append(out, fmt.Sprintf("%s (did you mean %s?)", name, best))
		} else {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// forwardTokenEnv matches the variables ForwardTokenEnv makes.
var forwardTokenEnv = regexp.MustCompile(`^SECRETSD_AUDIT_FORWARD_[A-Z0-9_]+_TOKEN$`)

func envMap(environ []string) map[string]string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

// annotate adds the environment variable to each validation error of a
// setting that came from the environment, so the message points at where
// the value was written.
func annotate(err error, fromEnv map[string]bool) error {
	var errs []error
	for _, e := range unjoin(err) {
		var fe *FieldError
		if errors.As(e, &fe) && fromEnv[fe.Setting] {
			if s, ok := lookupSetting(fe.Setting); ok {
				e = fmt.Errorf("config: %s (from %s): %s", fe.Setting, s.Env(), fe.Problem)
			}
		} else {
			e = fmt.Errorf("config: %w", e)
		}
		errs = append(errs, e)
	}
	return errors.Join(errs...)
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
