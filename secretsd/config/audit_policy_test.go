package config_test

import (
	"maps"
	"strings"
	"testing"

	"github.com/portcullis/portcullis/audit/pseudo"
	"github.com/portcullis/portcullis/audit/retention"
	"github.com/portcullis/portcullis/secretsd/config"
)

func TestAuditRetentionAndFields(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		file    string
		env     []string
		periods retention.Periods
		fields  map[string]pseudo.Mode
	}{
		{name: "defaults: 365 days, 7 years, no field overridden",
			periods: retention.DefaultPeriods(), fields: map[string]pseudo.Mode{}},
		{name: "from the file",
			file:    "[audit]\nretention_standard = \"30d\"\nretention_break_glass = \"10y\"\nfields = [\"user.name=drop\", \"source.ip = keep\"]\n",
			periods: retention.Periods{Standard: retention.Period{Days: 30}, BreakGlass: retention.Period{Years: 10}},
			fields:  map[string]pseudo.Mode{"user.name": pseudo.Drop, "source.ip": pseudo.Keep}},
		{name: "the environment wins over the file",
			file:    "[audit]\nretention_standard = \"30d\"\nfields = [\"user.id=keep\"]\n",
			env:     []string{"SECRETSD_AUDIT_RETENTION_STANDARD=1y6m", "SECRETSD_AUDIT_FIELDS=user.name=drop, source.address=pseudonymise"},
			periods: retention.Periods{Standard: retention.Period{Years: 1, Months: 6}, BreakGlass: retention.Period{Years: 7}},
			fields:  map[string]pseudo.Mode{"user.name": pseudo.Drop, "source.address": pseudo.Pseudonymise}},
		{name: "an empty variable restores the default fields",
			file: "[audit]\nfields = [\"user.id=keep\"]\n", env: []string{"SECRETSD_AUDIT_FIELDS="},
			periods: retention.DefaultPeriods(), fields: map[string]pseudo.Mode{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := config.Parse([]byte(tc.file), "", tc.env)
			if err != nil {
				t.Fatal(err)
			}
			periods, err := cfg.Audit.RetentionPeriods()
			if err != nil || periods != tc.periods {
				t.Errorf("RetentionPeriods = %+v, %v; want %+v", periods, err, tc.periods)
			}
			fields, err := cfg.Audit.FieldModes()
			if err != nil || !maps.Equal(fields, tc.fields) {
				t.Errorf("FieldModes = %v, %v; want %v", fields, err, tc.fields)
			}
		})
	}
}

func TestAuditRetentionAndFieldsRefused(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		file string
		env  []string
		want []string
	}{
		{name: "a zero period",
			env: []string{"SECRETSD_AUDIT_RETENTION_STANDARD=0d"}, want: []string{"audit.retention_standard (from SECRETSD_AUDIT_RETENTION_STANDARD)", "zero"}},
		{name: "a negative period",
			file: "[audit]\nretention_break_glass = \"-7y\"\n", want: []string{"audit.retention_break_glass", "negative"}},
		{name: "a Go duration is not a period",
			file: "[audit]\nretention_standard = \"8760h\"\n", want: []string{"audit.retention_standard", `unknown unit "h"`}},
		{name: "an empty period",
			file: "[audit]\nretention_standard = \"\"\n", want: []string{"audit.retention_standard", "empty"}},
		{name: "more than a century",
			env: []string{"SECRETSD_AUDIT_RETENTION_BREAK_GLASS=1000y"}, want: []string{"audit.retention_break_glass", "century"}},
		{name: "a period in the wrong TOML type",
			file: "[audit]\nretention_standard = 365\n", want: []string{"retention_standard"}},
		{name: "an unknown field is named, with the known ones",
			env: []string{"SECRETSD_AUDIT_FIELDS=user.nmae=drop"}, want: []string{"audit.fields", `unknown field "user.nmae"`, "user.name"}},
		{name: "an unknown mode",
			file: "[audit]\nfields = [\"user.id=hash\"]\n", want: []string{"audit.fields", `unknown mode "hash"`, "pseudonymise, truncate, keep or drop"}},
		{name: "truncate on a field that is no address",
			file: "[audit]\nfields = [\"user.email=truncate\"]\n", want: []string{"audit.fields", "user.email", "only to IP addresses"}},
		{name: "an item without =",
			env: []string{"SECRETSD_AUDIT_FIELDS=user.name"}, want: []string{"audit.fields", `"user.name" is not field=mode`}},
		{name: "a field named twice",
			file: "[audit]\nfields = [\"user.name=drop\", \"user.name=keep\"]\n", want: []string{"audit.fields", `"user.name" is named twice`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := config.Parse([]byte(tc.file), "", tc.env)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestHelpShowsRetentionAndFields(t *testing.T) {
	t.Parallel()
	help := config.Help()
	for _, want := range []string{
		`retention_standard = "365d"`, "SECRETSD_AUDIT_RETENTION_STANDARD",
		`retention_break_glass = "7y"`, "SECRETSD_AUDIT_RETENTION_BREAK_GLASS",
		"fields = []", "SECRETSD_AUDIT_FIELDS", "pseudonymise", "source.address",
	} {
		if !strings.Contains(help, want) {
			t.Errorf("help lacks %q", want)
		}
	}
}
