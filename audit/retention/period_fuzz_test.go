package retention_test

import (
	"testing"
	"time"

	"github.com/portcullis/portcullis/audit/retention"
)

// FuzzParsePeriod: a period that parses is valid, prints back to itself,
// and moves a time forward without overflow.
func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"365d", "7y", "18m", "1y6m", "2y3m4d", "0d", "-1d", "100y", "101y",
		"99999999999999999999d", "1d1d", "6m1y", "24h", "", " 30d", "1y 6m", "٣d"} {
		f.Add(s)
	}
	t0 := time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		p, err := retention.ParsePeriod(s)
		if err != nil {
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("ParsePeriod(%q) = %+v, which does not validate: %v", s, p, err)
		}
		again, err := retention.ParsePeriod(p.String())
		if err != nil || again != p {
			t.Fatalf("ParsePeriod(%q).String() = %q reparses as %+v, %v", s, p.String(), again, err)
		}
		if end := p.AddTo(t0); !end.After(t0) || end.Year() > t0.Year()+101 {
			t.Fatalf("%q moves %v to %v", s, t0, end)
		}
	})
}
