package config

import (
	"regexp"
	"time"

	"github.com/portcullis/portcullis/audit/retention"
)

// Bounds of the [audit] settings.
const (
	maxAuditQueue        = 1 << 24
	minIndexInterval     = 10 * time.Millisecond
	maxIndexInterval     = time.Hour
	minRetentionInterval = time.Minute
	maxRetentionInterval = 30 * 24 * time.Hour
)

// forwardName is audit/forward's rule for a destination name.
var forwardName = regexp.MustCompile(`^[a-z0-9_-]{1,64}$`)

func (c Config) validateAudit(v *validator) {
	a := c.Audit
	for _, p := range []struct{ setting, path string }{
		{"audit.dir", a.Dir}, {"audit.pseudonym_key", a.PseudonymKey},
		{"audit.subject_keys", a.SubjectKeys}, {"audit.index", a.Index},
	} {
		if p.path == "" {
			v.bad(p.setting, "must name a path")
		}
	}
	if !validWriter(a.Writer) {
		v.bad("audit.writer", "%q is not a writer name: 1 to 64 characters of [a-z0-9._-], starting with a letter or digit", a.Writer)
	}
	if a.QueueSize < 1 || a.QueueSize > maxAuditQueue {
		v.bad("audit.queue_size", "%d is outside [1, %d]", a.QueueSize, maxAuditQueue)
	}
	v.between("audit.index_interval", a.IndexInterval, minIndexInterval, maxIndexInterval)
	v.between("audit.retention_interval", a.RetentionInterval, minRetentionInterval, maxRetentionInterval)
	if _, err := retention.ParsePeriod(a.RetentionStandard); err != nil {
		v.bad("audit.retention_standard", "%v", err)
	}
	if _, err := retention.ParsePeriod(a.RetentionBreakGlass); err != nil {
		v.bad("audit.retention_break_glass", "%v", err)
	}
	if _, err := a.FieldModes(); err != nil {
		v.bad("audit.fields", "%v", err)
	}
	seen := map[string]bool{}
	for _, f := range a.Forward {
		if !forwardName.MatchString(f.Name) {
			v.bad("audit.forward", "name %q must be 1 to 64 characters of [a-z0-9_-]", f.Name)
		} else if seen[f.Name] {
			v.bad("audit.forward", "name %q is used twice", f.Name)
		}
		seen[f.Name] = true
		switch f.Kind {
		case "splunk_hec":
			if f.Token == "" {
				v.bad("audit.forward", "%q: a Splunk HEC destination needs its token in %s", f.Name, ForwardTokenEnv(f.Name))
			}
		case "elasticsearch":
		default:
			v.bad("audit.forward", "%q: kind %q is not splunk_hec or elasticsearch", f.Name, f.Kind)
		}
		v.httpURL("audit.forward", f.URL)
	}
}
