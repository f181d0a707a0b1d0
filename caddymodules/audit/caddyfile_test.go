package audit_test

import (
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/portcullis/portcullis/caddymodules/audit"
)

func TestCaddyfileTakesNoOptions(t *testing.T) {
	t.Parallel()
	for input, ok := range map[string]bool{
		"audit":              true,
		"audit on":           false,
		"audit {\n dir x\n}": false,
	} {
		err := new(audit.Audit).UnmarshalCaddyfile(caddyfile.NewTestDispenser(input))
		if (err == nil) != ok {
			t.Errorf("%q: error %v, want ok=%v", input, err, ok)
		}
	}
}
