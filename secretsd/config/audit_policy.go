package config

import (
	"fmt"
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
		if err := pseudo.CheckField(field, pseudo.Mode(mode)); err != nil {
			return nil, err
		}
		out[field] = pseudo.Mode(mode)
	}
	return out, nil
}
