package suggest_test

import (
	"testing"

	"github.com/portcullis/portcullis/internal/suggest"
)

func TestDistance(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"team", "team", 0},
		{"tem", "team", 1},
		{"listen", "lsiten", 2},
		{"", "abc", 3},
		{"kitten", "sitting", 3},
	} {
		if got := suggest.Distance(c.a, c.b); got != c.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
		if got := suggest.Distance(c.b, c.a); got != c.want {
			t.Errorf("Distance(%q, %q) = %d, want %d (symmetric)", c.b, c.a, got, c.want)
		}
	}
}
