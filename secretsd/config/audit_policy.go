package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/portcullis/portcullis/audit/pseudo"
	"github.com/portcullis/portcullis/audit/retention"
)

// RetentionPeriods are [audit] retention_standard and retention_break_glass
// as the trail takes them (trail.Config.Retention).
func (a Audit) RetentionPeriods() (retention.Periods, error) {
	std, err := retention.ParsePeriod(a.RetentionStandard)
	if err != nil {
		return retention.Periods{}, fmt.Errorf("audit.retention_standard: %w", err)
	}
	bg, err := retention.ParsePeriod(a.RetentionBreakGlass)
	if err != nil {
		return retention.Periods{}, fmt.Errorf("audit.retention_break_glass: %w", err)
	}
	return retention.Periods{Standard: std, BreakGlass: bg}, nil
}

// FieldModes is [audit] fields as pseudo.Config.Fields takes it: each item
// "field=mode". Fields not named keep pseudo.DefaultFields' mode.
func (a Audit) FieldModes() (map[string]pseudo.Mode, error) {
	out := make(map[string]pseudo.Mode, len(a.Fields))
	for _, item := range a.Fields {
		field, mode, ok := strings.Cut(item, "=")
		field, mode = strings.TrimSpace(field), strings.TrimSpace(mode)
		if !ok || field == "" || mode == "" {
			return nil, fmt.Errorf("%q is not field=mode (e.g. %q)", item, "user.name=drop")
		}
		if _, seen := out[field]; seen {
			return nil, fmt.Errorf("field %q is named twice", field)
		}
		m, err := checkFieldMode(field, pseudo.Mode(mode))
		if err != nil {
			return nil, err
		}
		out[field] = m
	}
	return out, nil
}

// checkFieldMode refuses what pseudo would accept but could not apply: an
// unknown field (a typo would leave the real field at its default without
// a word) and truncate on a field that is not an IP address (every event
// carrying it would then fail to be written).
//
// The gateway's caddymodules/security checks its `field` lines the same way.
func checkFieldMode(field string, mode pseudo.Mode) (pseudo.Mode, error) {
	known := pseudo.DefaultFields()
	if _, ok := known[field]; !ok {
		names := slices.Sorted(maps.Keys(known))
		return "", fmt.Errorf("unknown field %q (want one of %s)", field, strings.Join(names, ", "))
	}
	switch mode {
	case pseudo.Pseudonymise, pseudo.Keep, pseudo.Drop:
	case pseudo.Truncate:
		if field != pseudo.FieldSourceIP && field != pseudo.FieldSourceAddress {
			return "", fmt.Errorf("field %q: truncate applies only to IP addresses (source.ip, source.address)", field)
		}
	default:
		return "", fmt.Errorf("field %q: unknown mode %q (want pseudonymise, truncate, keep or drop)", field, mode)
	}
	return mode, nil
}
