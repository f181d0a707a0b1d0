package security

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/portcullis/portcullis/audit/pseudo"
)

// checkFieldMode refuses what pseudo.New would accept but the trail could
// not apply: an unknown field (a typo would leave the real field at its
// default without a word) and truncate on a field that is not an IP address
// (every event carrying it would then fail to be written). secretsd's
// config checks its [audit] fields the same way.
func checkFieldMode(field string, mode pseudo.Mode) error {
	known := pseudo.DefaultFields()
	if _, ok := known[field]; !ok {
		names := slices.Sorted(maps.Keys(known))
		return fmt.Errorf("unknown field %q (want one of %s)", field, strings.Join(names, ", "))
	}
	switch mode {
	case pseudo.Pseudonymise, pseudo.Keep, pseudo.Drop:
	case pseudo.Truncate:
		if field != pseudo.FieldSourceIP && field != pseudo.FieldSourceAddress {
			return fmt.Errorf("field %q: truncate applies only to IP addresses (source.ip, source.address)", field)
		}
	default:
		return fmt.Errorf("field %q: unknown mode %q (want pseudonymise, truncate, keep or drop)", field, mode)
	}
	return nil
}
