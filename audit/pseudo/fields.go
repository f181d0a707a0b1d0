package pseudo

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Mode says what happens to a field before it is written.
type Mode string

// The modes.
const (
	// Pseudonymise replaces the value with its keyed pseudonym.
	Pseudonymise Mode = "pseudonymise"
	// Truncate keeps the network part of an IP address (/24, /48); the full
	// address survives only as a keyed hash. The value must be an IP address.
	Truncate Mode = "truncate"
	// Keep writes the value unchanged.
	Keep Mode = "keep"
	// Drop writes nothing.
	Drop Mode = "drop"
)

// The fields Portcullis writes that may hold personal data.
const (
	FieldUserID        = "user.id"
	FieldUserName      = "user.name"
	FieldUserEmail     = "user.email"
	FieldSourceIP      = "source.ip"
	FieldSourceAddress = "source.address"
)

// ErrBadConfig is returned for an unknown mode.
var ErrBadConfig = errors.New("bad pseudonymisation config")

// DefaultFields is the safe default: identities pseudonymised, addresses
// truncated. A field that no configuration names is pseudonymised.
func DefaultFields() map[string]Mode {
	return map[string]Mode{
		FieldUserID:        Pseudonymise,
		FieldUserName:      Pseudonymise,
		FieldUserEmail:     Pseudonymise,
		FieldSourceIP:      Truncate,
		FieldSourceAddress: Truncate,
	}
}

// The hashing domain of a field: fields holding the same kind of value share
// one, so that one address or email has one pseudonym wherever it appears,
// while a user id and an email that happen to be equal strings do not.
const (
	domainIP    = "ip"
	domainEmail = "email"
)

func domainOf(field string) string {
	switch field {
	case FieldSourceIP, FieldSourceAddress, "destination.ip", "client.ip", "server.ip":
		return domainIP
	case FieldUserEmail, "user.target.email":
		return domainEmail
	}
	return field
}

func validateModes(fields map[string]Mode) error {
	for f, m := range fields {
		switch m {
		case Pseudonymise, Truncate, Keep, Drop:
		default:
			return fmt.Errorf("%w: field %q has unknown mode %q (want pseudonymise, truncate, keep or drop)", ErrBadConfig, f, m)
		}
	}
	return nil
}

// CheckField refuses a field setting that New would accept but the trail
// could not apply: an unknown field (a typo would leave the real field at
// its default without a word) and truncate on a field that is not an IP
// address (every event carrying it would then fail to be written). The
// configurations of both programs check their field settings with it.
func CheckField(field string, mode Mode) error {
	known := DefaultFields()
	if _, ok := known[field]; !ok {
		names := slices.Sorted(maps.Keys(known))
		return fmt.Errorf("%w: unknown field %q (want one of %s)", ErrBadConfig, field, strings.Join(names, ", "))
	}
	switch mode {
	case Pseudonymise, Keep, Drop:
	case Truncate:
		if field != FieldSourceIP && field != FieldSourceAddress {
			return fmt.Errorf("%w: field %q: truncate applies only to IP addresses (%s, %s)", ErrBadConfig, field, FieldSourceIP, FieldSourceAddress)
		}
	default:
		return fmt.Errorf("%w: field %q: unknown mode %q (want pseudonymise, truncate, keep or drop)", ErrBadConfig, field, mode)
	}
	return nil
}
