package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Help documents the file and every environment variable, generated from
// the settings table so that it cannot drift from what Load reads.
func Help() string {
	var b strings.Builder
	b.WriteString(`Configuration: a TOML file given with --config FILE (or $` + ConfigEnv + `),
then environment variables SECRETSD_<SECTION>_<KEY>, which win over the file.
Lists in the environment are comma-separated ("a,b"); durations are Go
durations in both ("15m", "168h"). Unknown keys in the file are an error.
With no file and no variable secretsd starts with the defaults shown here.
`)
	def := Default()
	for _, section := range Sections {
		fmt.Fprintf(&b, "\n[%s]\n", section)
		for _, s := range settings {
			if s.Section != section {
				continue
			}
			value := formatValue(s.field(&def))
			if s.Secret {
				value = `""  # secret: never printed or logged`
			}
			if s.FileKey() {
				fmt.Fprintf(&b, "  %s = %s\n", s.Key, value)
			} else {
				fmt.Fprintf(&b, "  # environment only\n")
			}
			fmt.Fprintf(&b, "      %s: %s\n", s.Env(), s.Help)
		}
	}
	return b.String()
}

// formatValue writes a field's value as TOML.
func formatValue(p any) string {
	switch p := p.(type) {
	case *string:
		return strconv.Quote(*p)
	case *[]string:
		q := make([]string, len(*p))
		for i, s := range *p {
			q[i] = strconv.Quote(s)
		}
		return "[" + strings.Join(q, ", ") + "]"
	case *time.Duration:
		return strconv.Quote(formatDuration(*p))
	case *bool:
		return strconv.FormatBool(*p)
	case *int:
		return strconv.Itoa(*p)
	case *int64:
		return strconv.FormatInt(*p, 10)
	case *uint32:
		return strconv.FormatUint(uint64(*p), 10)
	case *uint8:
		return strconv.FormatUint(uint64(*p), 10)
	case *[]AuditForward:
		if len(*p) == 0 {
			return "[]"
		}
		items := make([]string, len(*p))
		for i, f := range *p {
			items[i] = fmt.Sprintf("{ name = %q, kind = %q, url = %q, index = %q }", f.Name, f.Kind, f.URL, f.Index)
		}
		return "[" + strings.Join(items, ", ") + "]"
	}
	return fmt.Sprint(p)
}

// formatDuration drops the zero minor units of time.Duration.String
// ("15m0s" → "15m", "168h0m0s" → "168h").
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
